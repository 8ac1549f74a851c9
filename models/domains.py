"""Sender domains and what hangs off them: API keys, SMTP credentials, webhooks."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models.accounts import User
from clock import now
from models.db import BaseModel
from models.vocabulary import DomainStatus, Switch

class SenderDomain(BaseModel):
    user = ForeignKeyField(User, backref="domains", on_delete="CASCADE", index=False)
    name = CharField(max_length=253, index=True)  # ASCII (IDNA) form, lower case
    status = CharField(max_length=20, default=DomainStatus.PENDING, index=True)
    status_reason = TextField(default="")
    created_at = DateTimeField(default=now)
    link_tracking = BooleanField(default=True)
    open_tracking = BooleanField(default=True)
    unsubscribe_link = BooleanField(default=False)
    hosting_provider = CharField(max_length=100, default="")
    subdomain = CharField(max_length=63, default="")  # "" = the installation's default
    track_prefix = CharField(max_length=32, default="")  # "" = "track"
    track_merge = CharField(max_length=1, default="-")
    track_prefix_disabled = BooleanField(default=False)
    dkim_selector = CharField(max_length=63)
    dkim_private_key = TextField()  # PEM, encrypted at rest
    dkim_public_key = TextField()  # base64 SubjectPublicKeyInfo, as published in DNS
    signing_key = TextField()  # webhook HMAC key, encrypted at rest
    previous_signing_key = TextField(default="")  # still signs beside the new one for a grace period
    signing_key_rotated_at = DateTimeField(null=True)
    ownership_token = CharField(max_length=64)
    verification = TextField(default="")  # JSON: last per-record results
    verified_at = DateTimeField(null=True)
    verification_failures = IntegerField(default=0)
    queue_cleared_at = DateTimeField(null=True)  # ClearDomainQueue: mail accepted before it never goes

    class Meta:
        indexes = ((("user", "name"), True),)


class DomainAPIKey(BaseModel):
    domain = ForeignKeyField(SenderDomain, backref="api_keys", on_delete="CASCADE")
    description = CharField(max_length=255)
    key_hash = CharField(max_length=64, unique=True)
    key_encrypted = TextField()
    status = CharField(max_length=20, default=Switch.ENABLED)
    created_at = DateTimeField(default=now)
    last_used_at = DateTimeField(null=True)


class SMTPCredential(BaseModel):
    """The four defaults are what submission fills in when a message lacks them (empty: none)."""
    domain = ForeignKeyField(SenderDomain, backref="smtp_credentials", on_delete="CASCADE")
    username = CharField(max_length=255, unique=True)
    name = CharField(max_length=255, default="")  # what its owner calls it (Kirim.Email's credential name)
    password_hash = CharField(max_length=255)
    status = CharField(max_length=20, default=Switch.ENABLED)
    created_at = DateTimeField(default=now)
    from_email = CharField(max_length=255, default="")
    from_name = CharField(max_length=255, default="")
    reply_to_email = CharField(max_length=255, default="")
    reply_to_name = CharField(max_length=255, default="")


class Webhook(BaseModel):
    """An endpoint of a sender domain, subscribed to one or more event types (WebhookEvent),
    receiving them in one dialect's payload format (services.webhook_deliveries.FORMATS).
    An account-wide endpoint has `user` instead of `domain` (it hears every domain of the user)
    and its own signing `secret`."""
    domain = ForeignKeyField(SenderDomain, backref="webhooks", null=True, on_delete="CASCADE")
    user = ForeignKeyField(User, backref="webhooks", null=True, on_delete="CASCADE")  # account-wide
    secret = TextField(default="")  # encrypted at rest; "" = signed with the domain's signing key
    url = TextField()
    format = CharField(max_length=20, default="octeth")
    status = CharField(max_length=20, default=Switch.ENABLED)  # Enabled | Suspended (failing)
    status_reason = TextField(default="")
    consecutive_failures = IntegerField(default=0)
    created_at = DateTimeField(default=now)


class WebhookEvent(BaseModel):
    """One event type (models.vocabulary.EventType) a webhook is subscribed to."""
    webhook = ForeignKeyField(Webhook, backref="subscriptions", on_delete="CASCADE", index=False)
    event = CharField(max_length=20)

    class Meta:
        indexes = ((("webhook", "event"), True),)
