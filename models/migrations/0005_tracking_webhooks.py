"""Webhook outbox and attempts, message tags, signing-key rotation, webhook suspension, event indexes."""
from peewee import *


def up(migrator, db):
    class Event(Model):
        class Meta:
            database = db
            table_name = 'event'

    class Message(Model):
        class Meta:
            database = db
            table_name = 'message'

    class Webhook(Model):
        class Meta:
            database = db
            table_name = 'webhook'

    class MessageTag(Model):
        message = ForeignKeyField(Message, on_delete='CASCADE')
        tag = CharField(index=True, max_length=128)
        class Meta:
            database = db
            table_name = 'message_tag'
    db.create_tables([MessageTag])

    class WebhookDelivery(Model):
        webhook = ForeignKeyField(Webhook, on_delete='CASCADE')
        event = ForeignKeyField(Event, on_delete='CASCADE')
        status = CharField(max_length=10, default='pending')
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        lease_owner = CharField(null=True, max_length=64)
        lease_expires_at = DateTimeField(null=True)
        last_status = IntegerField(null=True)
        last_error = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'webhook_delivery'
            indexes = ((('status', 'next_attempt_at'), False),)
    db.create_tables([WebhookDelivery])

    class WebhookAttempt(Model):
        delivery = ForeignKeyField(WebhookDelivery, on_delete='CASCADE')
        started_at = DateTimeField()
        duration_ms = IntegerField(default=0)
        status_code = IntegerField(null=True)
        response = TextField(default='')
        error = TextField(default='')
        class Meta:
            database = db
            table_name = 'webhook_attempt'
    db.create_tables([WebhookAttempt])

    migrator.migrate(migrator.add_column('sender_domain', 'previous_signing_key', TextField(default='')))
    migrator.migrate(migrator.add_column('sender_domain', 'signing_key_rotated_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('webhook', 'status_reason', TextField(default='')))
    migrator.migrate(migrator.add_column('webhook', 'consecutive_failures', IntegerField(default=0)))
    migrator.migrate(migrator.add_index('event', ('domain_id', 'event', 'created_at')))
    migrator.migrate(migrator.add_index('event', ('user_id', 'event', 'created_at')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('event', 'event_user_id_event_created_at'))
    migrator.migrate(migrator.drop_index('event', 'event_domain_id_event_created_at'))
    migrator.migrate(migrator.drop_column('webhook', 'consecutive_failures'))
    migrator.migrate(migrator.drop_column('webhook', 'status_reason'))
    migrator.migrate(migrator.drop_column('sender_domain', 'signing_key_rotated_at'))
    migrator.migrate(migrator.drop_column('sender_domain', 'previous_signing_key'))
    migrator.migrate(migrator.drop_table('webhook_attempt'))
    migrator.migrate(migrator.drop_table('webhook_delivery'))
    migrator.migrate(migrator.drop_table('message_tag'))
