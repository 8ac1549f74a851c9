"""/api/v1/webhooks: the Bearer twins of AddWebhook, GetWebhooks and DeleteWebhook.

GET rows are a superset of the seed ({Event, URL, Status: "Active"}) and the newer docs
({WebhookID, Event, WebhookURL}); events use the public names (delivered, bounced...).
DELETE answers the seed's {"Message": ...}, which is also a superset of the newer {}.
Webhook IDs are strings, as the seed's NewWebhookID ("12345"); WebhookID is accepted in either
form, and one that is given but names no webhook of the key's domain answers 4, not 1.

The path is shared with the generic /api/v1 dialect (dialects/autorelay): a request presenting
a Bearer `sk_` account key is answered there, before these routes run; every other key (a
sender-domain key, in the header or as SenderAPIKey) reaches these.
"""
from api_v1.resource import KEY_ERRORS, blueprint, load, params, sender_key
from edge import octeth_vocabulary, octeth_webhooks
from edge.errors import Declared, declares
from edge.octeth_vocabulary import PAST
from edge.params import ID, Params, Text
from models import Webhook
from services import webhooks
from services.errors import ForbiddenWebhookHost, InvalidWebhookEvent, InvalidWebhookURL, WebhookNotFound


def public_view(hook: Webhook) -> dict:
    """Event in the past-tense names the seed shows here (`delivered`); Events lists them all."""
    events = [PAST[e] for e in webhooks.events_of(hook)]
    return {"WebhookID": str(hook.id), "Event": events[0], "Events": events, "WebhookURL": hook.url,
            "URL": hook.url, "Status": "Active" if hook.status == "Enabled" else hook.status,
            "StatusReason": hook.status_reason}


class AddParams(Params):
    Event = Text(required=True)
    WebhookURL = Text(required=True)


@blueprint.post("/webhooks")
@declares(*KEY_ERRORS, Declared(InvalidWebhookEvent, 3, 422, "Invalid Event value"),
          Declared(InvalidWebhookURL, 6, 422), Declared(ForbiddenWebhookHost, 7, 422))
def add_webhook():
    values = params()
    key = sender_key(values)
    p = load(AddParams, values, {"event": (2, "Event is missing"), "webhookurl": (5, "WebhookURL is missing")})
    hook = webhooks.add(key.domain.user, key.domain_id, octeth_vocabulary.webhook_events(p["Event"]),
                        p["WebhookURL"], format=octeth_webhooks.FORMAT)
    return {"NewWebhookID": str(hook.id)}


@blueprint.get("/webhooks")
@declares(*KEY_ERRORS)
def get_webhooks():
    key = sender_key(params())
    return {"Webhooks": [public_view(h) for h in webhooks.list_for(key.domain.user, key.domain_id)]}


class DeleteParams(Params):
    WebhookID = ID(required=True)


@blueprint.delete("/webhooks")
@declares(*KEY_ERRORS, Declared(WebhookNotFound, 4, 404, "Invalid WebhookID"))
def delete_webhook():
    """Another domain's webhook of the same user is as unknown as anyone else's."""
    values = params()
    key = sender_key(values)
    p = load(DeleteParams, values, {"webhookid": (1, "WebhookID is missing")}, {"webhookid": WebhookNotFound})
    webhooks.delete(webhooks.get(key.domain.user, p["WebhookID"], key.domain_id))
    return {"Message": "Webhook successfully deleted."}
