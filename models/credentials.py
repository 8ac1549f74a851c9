"""Credentials of the kinds the dialects present (services.credentials names them): each a
secret looked up by its keyed hash, owned by a user and optionally tied to a sender domain."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField

from clock import now
from models.accounts import User
from models.db import BaseModel
from models.domains import SenderDomain


class Credential(BaseModel):
    kind = CharField(max_length=32)
    user = ForeignKeyField(User, backref="credentials", on_delete="CASCADE", index=False)
    domain = ForeignKeyField(SenderDomain, backref="credentials", null=True, on_delete="CASCADE")
    parent = ForeignKeyField("self", backref="issued", null=True, on_delete="CASCADE")  # the client a token was issued to
    name = CharField(max_length=255, default="")
    public_id = CharField(max_length=64, null=True, unique=True)  # the half that is not secret (a client id)
    secret_hash = CharField(max_length=64, unique=True)
    test = BooleanField(default=False)  # test-mode keys: mail is recorded, never delivered
    created_at = DateTimeField(default=now)
    last_used_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "kind"), False),)
