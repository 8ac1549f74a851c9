"""The one function that records what happened to mail."""
from __future__ import annotations

import json

import clock
from models import Delivery, Event, Message
from services import webhook_deliveries, webhooks


def record(event: str, *, message: Message, delivery: Delivery | None = None, recipient: str = "",
           **details) -> Event:
    """Append an event for a message (and one of its deliveries), and its webhook outbox rows.
    Call it inside the transaction that makes the change it describes, so the change, the event
    and its notifications stand or fall together."""
    row = Event.create(**_row(event, message, delivery, recipient, details))
    webhook_deliveries.enqueue(row)
    return row


def record_many(entries: list[tuple[str, Message, Delivery | None, dict]]) -> None:
    """`record` for several (event, message, delivery, details) at once, as a worker settles a
    group of deliveries: each sender's subscriptions are looked up once, and the events no
    webhook wants are written with one INSERT."""
    hooks: dict[tuple, list] = {}
    unwatched = []
    for event, message, delivery, details in entries:
        key = (message.domain_id, event, message.user_id)
        if key not in hooks:
            hooks[key] = list(webhooks.subscribers(*key))
        row = _row(event, message, delivery, "", details)
        if hooks[key]:  # its outbox rows need its id
            webhook_deliveries.enqueue(Event.create(**row), hooks[key])
        else:
            unwatched.append(row)
    if unwatched:
        Event.insert_many(unwatched).execute()


def _row(event: str, message: Message, delivery: Delivery | None, recipient: str, details: dict) -> dict:
    return dict(user=message.user_id, domain=message.domain_id, message=message, delivery=delivery, event=event,
                recipient=recipient or (delivery.recipient if delivery else ""),
                details=json.dumps(details, default=str), created_at=clock.now())
