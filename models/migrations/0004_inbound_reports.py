"""Inbound reports nobody could match, kept for the operator."""
from peewee import *


class ContentField(BlobField):  # frozen copy of models.db.ContentField
    field_type = 'CONTENT'


def up(migrator, db):
    class InboundReport(Model):
        received_at = DateTimeField(index=True)
        mail_from = CharField(max_length=320, default='')
        rcpt_to = CharField(max_length=320)
        kind = CharField(max_length=20)
        reason = TextField(default='')
        content = ContentField()
        class Meta:
            database = db
            table_name = 'inbound_report'
    db.create_tables([InboundReport])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('inbound_report'))
