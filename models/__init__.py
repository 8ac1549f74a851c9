"""peewee models, one module per aggregate; MODELS lists them in dependency order."""
from models.accounts import Session, User, UserGroup
from models.campaign_routing import CampaignRouting
from models.campaigns import Campaign
from models.chores import Chore
from models.contacts import Contact, ContactList
from models.credentials import Credential
from models.domains import DomainAPIKey, SenderDomain, SMTPCredential, Webhook, WebhookEvent
from models.events import Event
from models.inbound import InboundReport
from models.senders import Sender
from models.suppressions import Suppression, SuppressionAllow
from models.templates import Template, TemplateVersion
from models.messages import Delivery, DeliveryAttempt, Message, MessageTag
from models.webhooks import WebhookAttempt, WebhookDelivery
from models.workers import WorkerHeartbeat

MODELS = [UserGroup, User, Session, SenderDomain, DomainAPIKey, SMTPCredential, Webhook, WebhookEvent, Template,
          TemplateVersion, ContactList, Contact, Campaign, Message, Delivery, DeliveryAttempt, Event, Suppression,
          SuppressionAllow, Chore, InboundReport, MessageTag, WebhookDelivery, WebhookAttempt, Credential,
          WorkerHeartbeat, Sender, CampaignRouting]

__all__ = ["MODELS", "Campaign", "CampaignRouting", "Chore", "Contact", "ContactList", "Credential", "Delivery",
           "DeliveryAttempt", "DomainAPIKey", "Event", "InboundReport", "Message", "MessageTag", "SMTPCredential",
           "Sender", "SenderDomain", "Session", "Suppression", "SuppressionAllow", "Template", "TemplateVersion",
           "User", "UserGroup", "Webhook", "WebhookAttempt", "WebhookDelivery", "WebhookEvent", "WorkerHeartbeat"]
