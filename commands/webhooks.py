"""Webhook commands: AddWebhook, GetWebhooks, DeleteWebhook.

A webhook answers as a superset of the seed ({WebhookID, URL, Events: [...]}) and the newer
docs ({WebhookID, Event, WebhookURL}). AddWebhook's ErrorCode is a list ([1]), as in the seed.
IDs answer as strings (NewWebhookID "456", WebhookID), as the seed shows them.
DeleteWebhook follows the seed's codes where the newer docs renumber them: 1 for a missing
WebhookID or DomainID, 2 for an unknown DomainID, 3 when the webhook belongs to another of
the user's domains, 4 for an unknown WebhookID.
"""
from commands.domains import DomainParams
from marshmallow import ValidationError, fields, validates_schema

from edge import octeth_vocabulary, octeth_webhooks
from edge.octeth_vocabulary import SHORT
from edge.params import ID, Params, Text
from commands.registry import Err, command
from models.accounts import MANAGE_DOMAIN
from services import domains, webhooks
from services.errors import (DomainNotFound, ForbiddenWebhookHost, InvalidWebhookEvent, InvalidWebhookURL,
                             WebhookDomainMismatch, WebhookNotFound)


def webhook_view(hook) -> dict:
    """Status is Enabled, or Suspended after repeated failures: StatusReason says why. Events in
    Octeth's short names, as the seed shows them (`send`, `open`, ...); Event is the first."""
    events = [SHORT[e] for e in webhooks.events_of(hook)]
    return {"WebhookID": str(hook.id), "DomainID": str(hook.domain_id), "Event": events[0], "Events": events,
            "URL": hook.url, "WebhookURL": hook.url, "Status": hook.status, "StatusReason": hook.status_reason,
            "ConsecutiveFailures": hook.consecutive_failures}


class AddWebhookParams(Params):
    """One `Event`, or several as `Events` (a list or a comma-separated string, as the seed's
    GetWebhooks shows them); Events wins when both are given."""
    DomainID = ID(required=True)
    Event = Text()
    Events = fields.Raw()
    WebhookURL = Text(required=True)

    @validates_schema
    def some_event(self, data, **kwargs):
        if not data.get("Event") and data.get("Events") in (None, "", []):
            raise ValidationError("Event is missing", "Event")


@command("EmailGateway.AddWebhook", schema=AddWebhookParams, permission=MANAGE_DOMAIN, error_list=True, errors=(
    Err(1, "Missing required parameter DomainID", "DomainID", "missing"),
    Err(2, "Missing required parameter Event", "Event"),
    Err(3, "Invalid event type specified", "Events"),
    Err(3, "Invalid event type specified", InvalidWebhookEvent),
    Err(4, "Domain not found or access denied", "DomainID", "invalid"),
    Err(4, "Domain not found or access denied", DomainNotFound),
    Err(5, "Missing required parameter WebhookURL", "WebhookURL"),
    Err(6, "Webhook URL must be a valid HTTP or HTTPS URL.", InvalidWebhookURL),
    Err(7, "Webhook URL host is not allowed.", ForbiddenWebhookHost),
))
def add_webhook(user, p):
    events = octeth_vocabulary.webhook_events(p["Events"] if p.get("Events") not in (None, "", []) else p["Event"])
    hook = webhooks.add(user, p["DomainID"], events, p["WebhookURL"], format=octeth_webhooks.FORMAT)
    return {"NewWebhookID": str(hook.id)}


@command("EmailGateway.GetWebhooks", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter DomainID", "DomainID", "missing"),
    Err(2, "Invalid domain or domain does not belong to the user", "DomainID", "invalid"),
    Err(2, "Invalid domain or domain does not belong to the user", DomainNotFound),
))
def get_webhooks(user, p):
    domain = domains.get(user, p["DomainID"])
    return {"SigningKey": domains.signing_key(domain),
            "Webhooks": [webhook_view(h) for h in webhooks.list_for(user, domain.id)]}


class DeleteWebhookParams(Params):
    WebhookID = ID(required=True)
    DomainID = ID(required=True)


@command("EmailGateway.DeleteWebhook", schema=DeleteWebhookParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter: WebhookID or DomainID", "WebhookID", "missing"),
    Err(1, "Missing required parameter: WebhookID or DomainID", "DomainID", "missing"),
    Err(2, "Invalid DomainID or DomainID not found", "DomainID", "invalid"),
    Err(2, "Invalid DomainID or DomainID not found", DomainNotFound),
    Err(3, "Domain validation failed", WebhookDomainMismatch),
    Err(4, "Webhook not found or user does not have permission to access it", "WebhookID", "invalid"),
    Err(4, "Webhook not found or user does not have permission to access it", WebhookNotFound),
))
def delete_webhook(user, p):
    webhooks.delete(webhooks.get(user, p["WebhookID"], p["DomainID"]))
    return {}
