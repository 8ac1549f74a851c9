"""What happened to mail, one row per state change."""
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from clock import now
from models.accounts import User
from models.db import BaseModel
from models.domains import SenderDomain
from models.messages import Delivery, Message


class Event(BaseModel):
    user = ForeignKeyField(User, backref="events", on_delete="CASCADE", index=False)
    domain = ForeignKeyField(SenderDomain, backref="events", on_delete="CASCADE", index=False)
    message = ForeignKeyField(Message, backref="events", null=True, on_delete="SET NULL")
    delivery = ForeignKeyField(Delivery, backref="events", null=True, on_delete="SET NULL")
    event = CharField(max_length=20)  # accepted deferred delivered bounced failed opened clicked ...
    recipient = CharField(max_length=320, default="")
    details = TextField(default="{}")  # JSON: SMTP reply, MX host, URL, user agent ...
    created_at = DateTimeField(default=now)

    class Meta:
        # a page of events and a period's counts, per domain or per user, by type or not
        indexes = ((("domain", "created_at"), False), (("user", "created_at"), False),
                   (("domain", "event", "created_at"), False), (("user", "event", "created_at"), False))
