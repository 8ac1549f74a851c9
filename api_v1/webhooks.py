"""/api/v1/webhooks: the Bearer twins of AddWebhook, GetWebhooks and DeleteWebhook.

GET rows are a superset of the seed ({Event, URL, Status: "Active"}) and the newer docs
({WebhookID, Event, WebhookURL}); events use the public names (delivered, bounced...).
DELETE answers the seed's {"Message": ...}, which is also a superset of the newer {}.
"""
from api_v1 import ApiError, blueprint, load, params, sender_key
from edge.params import ID, Params, Text
from models import Webhook
from services import webhooks
from services.errors import ForbiddenWebhookHost, InvalidWebhookEvent, InvalidWebhookURL, WebhookNotFound


def public_view(hook: Webhook) -> dict:
    return {"WebhookID": hook.id, "Event": webhooks.PUBLIC_NAMES[hook.event], "WebhookURL": hook.url,
            "URL": hook.url, "Status": "Active" if hook.status == "Enabled" else hook.status,
            "StatusReason": hook.status_reason}


class AddParams(Params):
    Event = Text(required=True)
    WebhookURL = Text(required=True)


@blueprint.post("/webhooks")
def add_webhook():
    values = params()
    key = sender_key(values)
    p = load(AddParams, values, {"event": (2, "Event is missing"), "webhookurl": (5, "WebhookURL is missing")})
    try:
        hook = webhooks.add(key.domain.user, key.domain_id, p["Event"], p["WebhookURL"])
    except InvalidWebhookEvent:
        raise ApiError((3, "Invalid Event value")) from None
    except InvalidWebhookURL as exc:
        raise ApiError((6, str(exc))) from None
    except ForbiddenWebhookHost as exc:
        raise ApiError((7, str(exc))) from None
    return {"NewWebhookID": hook.id}


@blueprint.get("/webhooks")
def get_webhooks():
    key = sender_key(params())
    return {"Webhooks": [public_view(h) for h in webhooks.list_for(key.domain.user, key.domain_id)]}


class DeleteParams(Params):
    WebhookID = ID(required=True)


@blueprint.delete("/webhooks")
def delete_webhook():
    values = params()
    key = sender_key(values)
    p = load(DeleteParams, values, {"webhookid": (1, "WebhookID is missing")})
    try:
        hook = webhooks.get(key.domain.user, p["WebhookID"])
        if hook.domain_id != key.domain_id:
            raise WebhookNotFound()
    except WebhookNotFound:
        raise ApiError((4, "Invalid WebhookID"), status=404) from None
    webhooks.delete(hook)
    return {"Message": "Webhook successfully deleted."}
