"""Campaigns, and each message's campaign and contact (unique together: a contact is mailed
once per campaign)."""
import uuid

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

    class ContactList(Model):
        class Meta:
            database = db
            table_name = 'contact_list'

    class Template(Model):
        class Meta:
            database = db
            table_name = 'template'

    class Campaign(Model):
        uuid = UUIDField(default=uuid.uuid4, unique=True)
        user = ForeignKeyField(User, on_delete='CASCADE')
        domain = ForeignKeyField(SenderDomain, on_delete='CASCADE')
        list = ForeignKeyField(ContactList, null=True, on_delete='SET NULL')
        template = ForeignKeyField(Template, null=True, on_delete='SET NULL')
        name = CharField(max_length=255)
        segment = CharField(max_length=32, default='all')
        from_email = CharField(max_length=320)
        from_name = CharField(max_length=255, default='')
        reply_to = CharField(max_length=320, default='')
        subject = TextField(default='')
        html = TextField(default='')
        text = TextField(default='')
        tags = TextField(default='[]')
        status = CharField(max_length=10, default='draft')
        begins_at = DateTimeField(null=True)
        speed = IntegerField(default=0)
        cursor = IntegerField(default=0)
        queued = IntegerField(default=0)
        skipped = IntegerField(default=0)
        paced_from = DateTimeField(null=True)
        paced_count = IntegerField(default=0)
        last_error = TextField(default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        completed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'campaign'
            indexes = ((('status', 'begins_at'), False),)

    db.create_tables([Campaign])
    migrator.migrate(
        migrator.add_column('message', 'campaign_id', ForeignKeyField(Campaign, null=True, on_delete='SET NULL',
                                                                      field=Campaign.id)),
        migrator.add_column('message', 'contact_id', IntegerField(null=True)),
        migrator.add_index('message', ('campaign_id', 'contact_id'), True),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_index('message', 'message_campaign_id_contact_id'),
                     migrator.drop_column('message', 'contact_id'), migrator.drop_column('message', 'campaign_id'))
    db.execute_sql('DROP TABLE campaign')
