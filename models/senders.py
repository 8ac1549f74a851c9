"""Sender addresses a user has named (SendPulse's `/senders`): an address with the From name it
goes out under. Sending is allowed from any address of an Enabled domain of the user; a named
sender adds its display name, and lists which addresses the user means to send from."""
from peewee import CharField, DateTimeField, ForeignKeyField

from clock import now
from models.accounts import User
from models.db import BaseModel


class SenderAddress(BaseModel):
    user = ForeignKeyField(User, backref="sender_addresses", on_delete="CASCADE")
    email = CharField(max_length=320)  # ASCII form, lower case
    name = CharField(max_length=255, default="")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("user", "email"), True),)
