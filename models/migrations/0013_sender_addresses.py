"""Sender addresses a user has named, with their From names (SendPulse's /senders)."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SenderAddress(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        email = CharField(max_length=320)
        name = CharField(max_length=255, default='')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'sender_address'
            indexes = ((('user', 'email'), True),)

    db.create_tables([SenderAddress])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sender_address'))
