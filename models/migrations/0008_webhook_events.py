"""Webhooks subscribe to several event types (webhook_event rows, in the core's event names)
and name the dialect whose payload format they want."""
from peewee import *

# the subscriptions stored before, in AddWebhook's words -> the event types of the event log
OLD_NAMES = {'delivery': 'delivered', 'bounce': 'bounced', 'open': 'opened', 'click': 'clicked',
             'unsubscribe': 'unsubscribed', 'complaint': 'complained'}


def up(migrator, db):
    class Webhook(Model):
        class Meta:
            database = db
            table_name = 'webhook'

    class WebhookEvent(Model):
        webhook = ForeignKeyField(Webhook, on_delete='CASCADE')
        event = CharField(max_length=20)
        class Meta:
            database = db
            table_name = 'webhook_event'
            indexes = ((('webhook', 'event'), True),)
    db.create_tables([WebhookEvent])
    rows = db.execute_sql('SELECT id, event FROM webhook').fetchall()
    if rows:
        WebhookEvent.insert_many([{'webhook': i, 'event': OLD_NAMES.get(e, e)} for i, e in rows]).execute()
    migrator.migrate(
        migrator.add_column('webhook', 'format', CharField(max_length=20, default='octeth')),
        migrator.drop_column('webhook', 'event'),
    )


def down(migrator, db):
    migrator.migrate(migrator.add_column('webhook', 'event', CharField(max_length=20, default='')))
    db.execute_sql('DROP TABLE webhook_event')
    migrator.migrate(migrator.drop_column('webhook', 'format'))
