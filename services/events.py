"""The one function that records what happened to mail."""
from __future__ import annotations

import json

import clock
from models import Delivery, Event, Message, WebhookDelivery
from models.db import LastId, insert_rows
from services import webhook_deliveries


def record(event: str, *, message: Message, delivery: Delivery | None = None, recipient: str = "",
           **details) -> Event:
    """Append an event for a message (and one of its deliveries), and its webhook outbox rows.
    Call it inside the transaction that makes the change it describes, so the change, the event
    and its notifications stand or fall together."""
    row = Event.create(user=message.user_id, domain=message.domain_id, message=message, delivery=delivery,
                       event=event, recipient=recipient or (delivery.recipient if delivery else ""),
                       details=json.dumps(details, default=str), created_at=clock.now())
    webhook_deliveries.enqueue(row)
    return row


def record_all(event: str, entries: list[dict], hooks: dict | None = None) -> None:
    """`record` for many events of one type at once: `entries` are dicts of user, domain,
    message, delivery (ids), recipient and details. One INSERT; the event ids are read back only
    for the webhook outbox rows of those whose domain or user has a subscriber. `hooks`: the
    subscribers (webhook_deliveries.subscribed) when the caller read them already."""
    now = clock.now()
    if hooks is None:
        hooks = webhook_deliveries.subscribed((event, e["domain"], e["user"]) for e in entries)
    rows = [_row(event, e, now) for e in entries]
    if not any(hooks.values()):
        insert_rows(Event, rows)
        return
    written = insert_rows(Event, rows, returning=("id", "domain_id", "user_id"))
    webhook_deliveries.enqueue_all([Event(id=i, event=event, domain=domain, user=user, created_at=now)
                                    for i, domain, user in written], hooks)


def _row(event: str, e: dict, now) -> dict:
    return {"user": e["user"], "domain": e["domain"], "message": e["message"], "delivery": e["delivery"],
            "event": event, "recipient": e["recipient"], "details": json.dumps(e["details"], default=str),
            "created_at": now}


def record_steps(event: str, entry: dict, hooks: list) -> list[tuple]:
    """`record_all` of one entry as models.db.insert_script steps: its event, and its outbox
    rows to `hooks` (its subscribers, none of them batching: webhook_deliveries.batching)."""
    now = clock.now()
    return [(Event, [_row(event, entry, now)]),
            (WebhookDelivery, webhook_deliveries.outbox_rows(LastId(Event), now, hooks))]
