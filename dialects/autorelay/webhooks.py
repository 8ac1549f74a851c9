"""/api/v1/webhooks: account-wide endpoints (every domain of the user) with their own
`whsec_` secret, shown once, and the six event names of the seed (payload.py renders them).

The path is Octeth's too (api_v1/webhooks.py). `answer_shared_path`, an app-level
before_request, answers it here when the request presents a Bearer `sk_` key, before Octeth's
route and its hooks run; with any other key the request goes on to Octeth's. DELETE
/webhooks/:id is this dialect's own path."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from dialects.autorelay import payload, resource
from dialects.autorelay.paths import SHARED, presents_account_key
from dialects.autorelay.resource import blueprint
from dialects.autorelay.vocabulary import WEBHOOK_EVENTS, iso, webhook_names
from edge.errors import Declared, Refusal, declares
from services import webhooks
from services.errors import ForbiddenWebhookHost, InvalidWebhookURL, WebhookNotFound


def _event_names(value):
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v in WEBHOOK_EVENTS for v in value):
        raise ValidationError(f"must be a non-empty list of {', '.join(WEBHOOK_EVENTS)}")


class WebhookSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    url = fields.String(required=True, validate=validate.Length(min=1))
    events = fields.Raw(required=True, validate=_event_names)


def view(hook) -> dict:
    return {"id": str(hook.id), "url": hook.url, "events": webhook_names(webhooks.events_of(hook)),
            "isActive": hook.status == "Enabled", "createdAt": iso(hook.created_at)}


@declares(Declared(InvalidWebhookURL, "validation_error", 422), Declared(ForbiddenWebhookHost, "validation_error", 422))
def create_webhook():
    p = resource.load(WebhookSchema, resource.body())
    names = list(dict.fromkeys(p["events"]))
    hook, secret = webhooks.add_for_account(resource.user(), [e for n in names for e in WEBHOOK_EVENTS[n]], p["url"],
                                            format=payload.FORMAT)
    return {"id": str(hook.id), "url": hook.url, "secret": secret, "events": names}, 201


def list_webhooks():
    return {"webhooks": [view(h) for h in webhooks.account_webhooks(resource.user(), payload.FORMAT)]}


@blueprint.delete("/webhooks/<ident>")
@declares(Declared(WebhookNotFound, "not_found", 404, "Webhook not found"))
def delete_webhook(ident: str):
    webhooks.delete(webhooks.account_webhook(resource.user(), ident, payload.FORMAT))
    return {"id": ident, "deleted": True}


VIEWS = {"POST": create_webhook, "GET": list_webhooks}


def answer_shared_path():
    """/api/v1/webhooks with an sk_ key: answered here, whatever route the path matched."""
    if request.path.rstrip("/") != SHARED or not presents_account_key():
        return None
    try:
        resource.authenticate()
        if request.method not in VIEWS:
            raise Refusal(("method_not_allowed", f"{request.method} is not allowed here"), status=405,
                          headers={"Allow": ", ".join(VIEWS)})
        answer = VIEWS[request.method]()
    except Refusal as exc:
        return resource.refused(exc)
    return current_app.make_response(answer)
