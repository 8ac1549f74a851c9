"""The one function that records what happened to mail."""
from __future__ import annotations

import json

import clock
from models import Delivery, Event, Message
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
