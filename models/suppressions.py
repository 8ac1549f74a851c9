"""Who must not be mailed again, per user; and who must always be mailable (the allow-list)."""
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from clock import now
from models.accounts import User
from models.db import BaseModel


class Suppression(BaseModel):
    user = ForeignKeyField(User, backref="suppressions", on_delete="CASCADE", index=False)
    email = CharField(max_length=320)  # lower case
    reason = CharField(max_length=20)  # hard-bounce | repeated-soft-bounce | complaint | unsubscribe | manual
    detail = TextField(default="")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("user", "email"), True),)


class SuppressionAllow(BaseModel):
    """An address, or a whole domain, that no suppression ever applies to (Kirim.Email's whitelist)."""
    user = ForeignKeyField(User, backref="allowed", on_delete="CASCADE", index=False)
    recipient = CharField(max_length=320)  # lower case: an address, or a domain name
    recipient_type = CharField(max_length=10)  # email | domain
    description = TextField(default="")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("user", "recipient"), True),)
