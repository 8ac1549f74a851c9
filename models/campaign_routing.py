"""What a campaign asked of the delivery side beyond the core's own fields: the SMTP-provider
API's sending pool (`vmta_id`), bounce mailbox (`bounce_email_id`) and link domain
(`url_domain_id`) and its Sender address. Recorded for the day Gatepost has more than one of
each; today there is one sending pool, VERP bounce addresses and each domain's tracking host."""
from peewee import CharField, ForeignKeyField, IntegerField

from models.campaigns import Campaign
from models.db import BaseModel


class CampaignRouting(BaseModel):
    campaign = ForeignKeyField(Campaign, backref="routing", unique=True, on_delete="CASCADE")
    vmta_id = IntegerField(null=True)
    bounce_email_id = IntegerField(null=True)
    url_domain_id = IntegerField(null=True)
    sender_email = CharField(max_length=320, default="")
