"""Webhooks of a domain: create (the guide's `{url, events: [...]}` or the reference's
`{type, url}`), list (`?type=`), get, update, delete, and test (guide `POST
.../webhooks/{id}/test`, reference `POST .../webhooks/test {url, event_type}`). Events arrive
in Kirim.Email's payload (webhook_payload) through the one webhook outbox; a test POSTs a
sample payload once, now, with the same URL checks, and answers what the endpoint said.

A webhook answers the reference's fields (`webhook_guid`, `type`, `url`, ...) and the guide's
(`id`, `events`); paths take the id or the guide's `webhook_<id>`.
"""
from __future__ import annotations

import uuid

import clock
from dialects.kirim import webhook_payload
from dialects.kirim.resource import account_domain, blueprint, invalid, ok, params, row_id, text, unix
from dialects.kirim.vocabulary import EVENT_NAMES, EVENTS_READ, events as read_events
from edge.errors import Declared, declares
from models import SenderDomain, User, Webhook
from services import webhook_deliveries, webhooks
from services.errors import ForbiddenWebhookHost, InvalidWebhookURL, WebhookNotFound

URL_ERRORS = (Declared(InvalidWebhookURL, "url", 422), Declared(ForbiddenWebhookHost, "url", 422))
NOT_FOUND = Declared(WebhookNotFound, "webhook_not_found", 404, "Webhook not found")
PREFIXES = ("webhook_", "wh_")


def view(hook: Webhook, user: User) -> dict:
    names = list(dict.fromkeys(EVENT_NAMES[e] for e in webhooks.events_of(hook)))
    return {"id": hook.id, "webhook_guid": str(hook.id), "user_guid": str(user.id),
            "user_domain_guid": str(hook.domain_id), "user_smtp_guid": None, "type": names[0] if names else None,
            "events": names, "url": hook.url, "is_deleted": False, "status": hook.status,
            "status_reason": hook.status_reason, "created_at": unix(hook.created_at),
            "modified_at": unix(hook.created_at)}


def _events(values: dict, required: bool):
    given = values.get("events") if values.get("events") not in (None, "", []) else values.get("type")
    if given in (None, "", []):
        if required:
            raise invalid("type", "The type field (or events) is required.")
        return None
    found = read_events(given)
    if found is None:
        raise invalid("type", "The event type must be one of: " + ", ".join(EVENTS_READ) + ".")
    return found


def _hook(user: User, domain: SenderDomain, ident: str) -> Webhook:
    return webhooks.get(user, row_id(ident, PREFIXES, WebhookNotFound), domain.id)


@blueprint.post("/domains/<name>/webhooks")
@declares(*URL_ERRORS)
def create_webhook(name):
    user, domain = account_domain(name)
    values = params()
    url = text(values, "url", required=True, limit=webhooks.MAX_URL)
    hook = webhooks.add(user, domain.id, _events(values, required=True), url, format=webhook_payload.FORMAT)
    return ok(view(hook, user), "Webhook created successfully.", 201)


@blueprint.get("/domains/<name>/webhooks")
def list_webhooks(name):
    user, domain = account_domain(name)
    wanted = _events(params(), required=False)
    found = [h for h in webhooks.list_for(user, domain.id)
             if wanted is None or set(wanted) & set(webhooks.events_of(h))]
    return ok([view(h, user) for h in found])


@blueprint.get("/domains/<name>/webhooks/<ident>")
@declares(NOT_FOUND)
def get_webhook(name, ident):
    user, domain = account_domain(name)
    return ok(view(_hook(user, domain, ident), user))


@blueprint.route("/domains/<name>/webhooks/<ident>", methods=["PUT", "PATCH"])
@declares(NOT_FOUND, *URL_ERRORS)
def update_webhook(name, ident):
    user, domain = account_domain(name)
    hook = _hook(user, domain, ident)
    values = params()
    url = text(values, "url", limit=webhooks.MAX_URL) or None
    hook = webhooks.update(hook, events=_events(values, required=False), url=url)
    return ok(view(hook, user), "Webhook updated successfully.")


@blueprint.delete("/domains/<name>/webhooks/<ident>")
@declares(NOT_FOUND)
def delete_webhook(name, ident):
    user, domain = account_domain(name)
    webhooks.delete(_hook(user, domain, ident))
    return ok(message="Webhook deleted successfully.")


def _test(domain: SenderDomain, url: str, event_name: str):
    guid = str(uuid.uuid4())
    data = webhook_payload.payload(event_name, message_guid=guid, sender=f"noreply@{domain.name}",
                                   recipient="test@example.com", subject="Kirim.Email webhook test", tags=["test"],
                                   detail={"test": True}, moment=clock.now(),
                                   keys=webhook_deliveries.signing_keys(domain))
    body, headers = webhook_payload.body(data, "test")
    status, answer, error = webhook_deliveries.post_once(url, body, headers)
    delivered = status is not None and 200 <= status < 300
    return ok({"url": url, "event_type": event_name, "delivered": delivered, "status_code": status,
               "response": answer, "error": error or None, "payload": data},
              "Test webhook delivered." if delivered else f"Test webhook failed: {error or f'HTTP {status}'}")


@blueprint.post("/domains/<name>/webhooks/test")
@declares(*URL_ERRORS)
def test_url(name):
    user, domain = account_domain(name)
    values = params()
    url = text(values, "url", required=True, limit=webhooks.MAX_URL)
    event_name = text(values, "event_type", limit=32).strip().lower() or "delivered"
    if event_name not in EVENTS_READ:
        raise invalid("event_type", "The event_type must be one of: " + ", ".join(EVENTS_READ) + ".")
    webhooks.check_url(url)
    return _test(domain, url, event_name)


@blueprint.post("/domains/<name>/webhooks/<ident>/test")
@declares(NOT_FOUND)
def test_webhook(name, ident):
    user, domain = account_domain(name)
    hook = _hook(user, domain, ident)
    events = webhooks.events_of(hook)
    return _test(domain, hook.url, EVENT_NAMES[events[0]] if events else "delivered")
