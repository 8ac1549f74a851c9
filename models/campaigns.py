"""A campaign: content (its own, or a template's copied at launch) sent to a contact list at a
pace. `cursor` is the last contact materialised into the queue; it moves in the same
transaction as the messages it stands for, so a crash never sends a contact twice."""
import uuid

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField, UUIDField

from clock import now
from models.accounts import User
from models.contacts import ContactList
from models.db import BaseModel
from models.domains import SenderDomain
from models.templates import Template
from models.vocabulary import CampaignStatus


class Campaign(BaseModel):
    uuid = UUIDField(default=uuid.uuid4, unique=True)  # dialects expose the int id or this
    user = ForeignKeyField(User, backref="campaigns", on_delete="CASCADE")
    domain = ForeignKeyField(SenderDomain, backref="campaigns", on_delete="CASCADE")  # the From address's
    list = ForeignKeyField(ContactList, backref="campaigns", null=True, on_delete="SET NULL")
    template = ForeignKeyField(Template, backref="campaigns", null=True, on_delete="SET NULL")
    name = CharField(max_length=255)
    segment = CharField(max_length=32, default="all")
    from_email = CharField(max_length=320)
    from_name = CharField(max_length=255, default="")
    reply_to = CharField(max_length=320, default="")
    subject = TextField(default="")
    html = TextField(default="")
    text = TextField(default="")
    tags = TextField(default="[]")  # JSON list
    status = CharField(max_length=10, default=CampaignStatus.DRAFT.value)
    begins_at = DateTimeField(null=True)  # None: when launched
    speed = IntegerField(default=0)  # messages per hour; 0: as fast as the queue takes them
    cursor = IntegerField(default=0)  # the id of the last contact materialised
    queued = IntegerField(default=0)  # messages queued
    skipped = IntegerField(default=0)  # contacts passed over: not subscribed, suppressed, or refused
    paced_from = DateTimeField(null=True)  # the pace counts from here (launch or resume) ...
    paced_count = IntegerField(default=0)  # ... and this many were queued since
    last_error = TextField(default="")  # why the runner paused it, if it did
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)
    completed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "begins_at"), False),)
