"""Messages, their deliveries (the queue) and attempts, events, suppressions; ClearDomainQueue's mark.

Generated with `python -m playhouse.migrations ... generate messages_events models:MODELS`.
Message content is a CONTENT column: BLOB, BYTEA or LONGBLOB by backend (models.db).
"""
from peewee import *


class ContentField(BlobField):
    field_type = 'CONTENT'


def up(migrator, db):
    class SenderDomain(Model):
        class Meta:
            database = db
            table_name = 'sender_domain'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Message(Model):
        uuid = CharField(unique=True, max_length=36)
        user = ForeignKeyField(User, on_delete='CASCADE')
        domain = ForeignKeyField(SenderDomain, on_delete='CASCADE')
        message_id_header = CharField()
        mail_from = CharField(max_length=320)
        subject = TextField(default='')
        tags = TextField(default='[]')
        track_opens = BooleanField(null=True)
        track_links = BooleanField(null=True)
        source = CharField(max_length=10, default='api')
        content = ContentField(null=True)
        size = IntegerField(default=0)
        created_at = DateTimeField()
        send_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'message'
            indexes = ((('user', 'created_at'), False),)
    db.create_tables([Message])

    class Delivery(Model):
        message = ForeignKeyField(Message, on_delete='CASCADE')
        recipient = CharField(max_length=320)
        recipient_domain = CharField(max_length=253)
        kind = CharField(max_length=3, default='to')
        status = CharField(max_length=10, default='queued')
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        lease_owner = CharField(null=True, max_length=64)
        lease_expires_at = DateTimeField(null=True)
        last_reply = TextField(default='')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'delivery'
            indexes = ((('status', 'next_attempt_at'), False),)
    db.create_tables([Delivery])

    class DeliveryAttempt(Model):
        delivery = ForeignKeyField(Delivery, on_delete='CASCADE')
        started_at = DateTimeField()
        duration_ms = IntegerField(default=0)
        mx_host = CharField(default='')
        smtp_code = IntegerField(null=True)
        reply = TextField(default='')
        outcome = CharField(max_length=10)
        class Meta:
            database = db
            table_name = 'delivery_attempt'
    db.create_tables([DeliveryAttempt])

    class Event(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        domain = ForeignKeyField(SenderDomain, on_delete='CASCADE')
        message = ForeignKeyField(Message, null=True, on_delete='SET NULL')
        delivery = ForeignKeyField(Delivery, null=True, on_delete='SET NULL')
        event = CharField(max_length=20)
        recipient = CharField(max_length=320, default='')
        details = TextField(default='{}')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'event'
            indexes = ((('domain', 'created_at'), False), (('user', 'created_at'), False))
    db.create_tables([Event])

    class Suppression(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        email = CharField(max_length=320)
        reason = CharField(max_length=20)
        detail = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'suppression'
            indexes = ((('user', 'email'), True),)
    db.create_tables([Suppression])

    migrator.migrate(migrator.add_column('sender_domain', 'queue_cleared_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('sender_domain', 'queue_cleared_at'))
    migrator.migrate(migrator.drop_table('suppression'))
    migrator.migrate(migrator.drop_table('event'))
    migrator.migrate(migrator.drop_table('delivery_attempt'))
    migrator.migrate(migrator.drop_table('delivery'))
    migrator.migrate(migrator.drop_table('message'))
