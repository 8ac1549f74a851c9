"""Stored templates (a user's own, or the system's when `user` is empty) and every earlier
version of each, kept when it is updated."""
import uuid

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField, UUIDField

from clock import now
from models.accounts import User
from models.db import BaseModel
from models.domains import SenderDomain


class Template(BaseModel):
    uuid = UUIDField(default=uuid.uuid4, unique=True)  # dialects expose the int id or this
    user = ForeignKeyField(User, backref="templates", null=True, on_delete="CASCADE", index=False)  # None: shipped with Gatepost
    domain = ForeignKeyField(SenderDomain, backref="templates", null=True, on_delete="SET NULL")
    name = CharField(max_length=255)
    subject = TextField(default="")
    html = TextField(default="")
    text = TextField(default="")
    active = BooleanField(default=True)
    version = IntegerField(default=1)  # the current one; earlier ones are TemplateVersion rows
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("user", "name"), False),)


class TemplateVersion(BaseModel):
    """A template as it was before an update."""
    template = ForeignKeyField(Template, backref="versions", on_delete="CASCADE", index=False)
    version = IntegerField()
    name = CharField(max_length=255)
    subject = TextField(default="")
    html = TextField(default="")
    text = TextField(default="")
    created_at = DateTimeField(default=now)  # when this version was made current

    class Meta:
        indexes = ((("template", "version"), True),)
