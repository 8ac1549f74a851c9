"""Sender addresses of a domain, verified by a mailed link, and the delivery choices a campaign
records (the SMTP-provider dialect)."""
from peewee import *


def up(migrator, db):
    class SenderDomain(Model):
        class Meta:
            database = db
            table_name = 'sender_domain'

    class Campaign(Model):
        class Meta:
            database = db
            table_name = 'campaign'

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

    class CampaignRouting(Model):
        campaign = ForeignKeyField(Campaign, unique=True, on_delete='CASCADE')
        vmta_id = IntegerField(null=True)
        bounce_email_id = IntegerField(null=True)
        url_domain_id = IntegerField(null=True)
        sender_email = CharField(max_length=320, default='')
        class Meta:
            database = db
            table_name = 'campaign_routing'

    db.create_tables([Sender, CampaignRouting])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('campaign_routing'), migrator.drop_table('sender'))
