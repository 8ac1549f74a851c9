"""Who must not be mailed again, per user."""
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from clock import now
from models.accounts import User
from models.db import BaseModel


class Suppression(BaseModel):
    user = ForeignKeyField(User, backref="suppressions", on_delete="CASCADE")
    email = CharField(max_length=320)  # lower case
    reason = CharField(max_length=20)  # hard-bounce | repeated-soft-bounce | complaint | unsubscribe | manual
    detail = TextField(default="")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("user", "email"), True),)
