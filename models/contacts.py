"""Contact lists per user and the contacts on them (one row per list and address)."""
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from clock import now
from models.accounts import User
from models.db import BaseModel
from models.vocabulary import ContactStatus


class ContactList(BaseModel):
    user = ForeignKeyField(User, backref="contact_lists", on_delete="CASCADE")
    name = CharField(max_length=255)
    created_at = DateTimeField(default=now)


class Contact(BaseModel):
    list = ForeignKeyField(ContactList, backref="contacts", on_delete="CASCADE", index=False)
    email = CharField(max_length=320, index=True)  # ASCII form, lower case (as suppressions keep it)
    name = CharField(max_length=255, default="")
    fields = TextField(default="{}")  # JSON object: the custom fields templates personalise from
    status = CharField(max_length=12, default=ContactStatus.SUBSCRIBED.value)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("list", "email"), True),)
