"""Credentials of several kinds for the coming dialects (OAuth clients and tokens, personal
access tokens, prefixed account keys, Basic-auth keys)."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SenderDomain(Model):
        class Meta:
            database = db
            table_name = 'sender_domain'

    class Credential(Model):
        kind = CharField(max_length=32)
        user = ForeignKeyField(User, on_delete='CASCADE')
        domain = ForeignKeyField(SenderDomain, null=True, on_delete='CASCADE')
        parent = ForeignKeyField('self', null=True, on_delete='CASCADE')
        name = CharField(max_length=255, default='')
        public_id = CharField(max_length=64, null=True, unique=True)
        secret_hash = CharField(max_length=64, unique=True)
        test = BooleanField(default=False)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)
        expires_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'credential'
            indexes = ((('user', 'kind'), False),)
    db.create_tables([Credential])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('credential'))
