"""Accepted mail: one Message (content stored once) and one Delivery per recipient. The
deliveries are the queue; every attempt is kept."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from clock import now
from models.accounts import User
from models.campaigns import Campaign
from models.db import BaseModel, ContentField
from models.domains import SenderDomain
from models.vocabulary import DeliveryStatus

class Message(BaseModel):
    uuid = CharField(max_length=36, unique=True)  # the MessageID the API answers
    user = ForeignKeyField(User, backref="messages", on_delete="CASCADE", index=False)
    domain = ForeignKeyField(SenderDomain, backref="messages", on_delete="CASCADE")
    message_id_header = CharField(max_length=255)
    mail_from = CharField(max_length=320)  # the From address
    subject = TextField(default="")
    tags = TextField(default="[]")  # JSON list
    track_opens = BooleanField(null=True)  # None: the domain's setting
    track_links = BooleanField(null=True)
    source = CharField(max_length=10, default="api")  # api | smtp
    content = ContentField(null=True)  # the composed, unsigned RFC 5322 message
    size = IntegerField(default=0)
    created_at = DateTimeField(default=now)
    send_at = DateTimeField(default=now)
    campaign = ForeignKeyField(Campaign, backref="messages", null=True, on_delete="SET NULL", index=False)
    contact_id = IntegerField(null=True)  # the campaign's contact; with `campaign` unique: never twice

    class Meta:
        indexes = ((("user", "created_at"), False), (("campaign", "contact_id"), True))


class Delivery(BaseModel):
    message = ForeignKeyField(Message, backref="deliveries", on_delete="CASCADE")
    recipient = CharField(max_length=320)
    recipient_domain = CharField(max_length=253)
    kind = CharField(max_length=3, default="to")  # to | cc | bcc
    status = CharField(max_length=10, default=DeliveryStatus.QUEUED)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=now)
    lease_owner = CharField(max_length=64, null=True)
    lease_expires_at = DateTimeField(null=True)
    last_reply = TextField(default="")  # why it has not gone yet, or how it ended
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


class DeliveryAttempt(BaseModel):
    delivery = ForeignKeyField(Delivery, backref="attempt_log", on_delete="CASCADE")
    started_at = DateTimeField(default=now)
    duration_ms = IntegerField(default=0)
    mx_host = CharField(max_length=255, default="")
    smtp_code = IntegerField(null=True)
    reply = TextField(default="")
    outcome = CharField(max_length=10)  # delivered | deferred | bounced | failed


class MessageTag(BaseModel):
    """A message's tags, one row each, so stats and searches by tag are indexed queries."""
    message = ForeignKeyField(Message, backref="tag_rows", on_delete="CASCADE")
    tag = CharField(max_length=128, index=True)
