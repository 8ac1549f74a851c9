"""Addresses of a sender domain that mail is sent from, each verified once its mailbox proves
it receives mail (the SMTP-provider API's senders)."""
from peewee import CharField, DateTimeField, ForeignKeyField

from clock import now
from models.db import BaseModel
from models.domains import SenderDomain


class Sender(BaseModel):
    domain = ForeignKeyField(SenderDomain, backref="senders", on_delete="CASCADE", index=False)
    email = CharField(max_length=320)  # ASCII form, lower case, on the domain
    name = CharField(max_length=255, default="")
    verified_at = DateTimeField(null=True)
    verification_sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("domain", "email"), True),)
