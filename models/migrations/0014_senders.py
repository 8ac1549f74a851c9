"""Sender addresses of a domain, verified by a mailed link (the SMTP-provider dialect)."""
from peewee import *


def up(migrator, db):
    class SenderDomain(Model):
        class Meta:
            database = db
            table_name = 'sender_domain'

    class Sender(Model):
        domain = ForeignKeyField(SenderDomain, on_delete='CASCADE')
        email = CharField(max_length=320)
        name = CharField(max_length=255, default='')
        verified_at = DateTimeField(null=True)
        verification_sent_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sender'
            indexes = ((('domain', 'email'), True),)

    db.create_tables([Sender])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sender'))
