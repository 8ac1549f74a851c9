"""A user's messages as a log, newest first: each message with the state of its deliveries
taken as one, its recipients and its opens and clicks, and one message with its events.

A message's state, defined once for every dialect that shows mail per message: QUEUED while any
delivery is still to be attempted (queued or deferred); then BOUNCED if any bounced, FAILED if
any failed, TEST for a test key's mail, else DELIVERED. The filter answers the same in SQL.
"""
from __future__ import annotations

import dataclasses

from peewee import fn

from models import Delivery, Event, Message
from models.vocabulary import PENDING_DELIVERY, DeliveryStatus, EventType
from services.errors import NotFound

STATES = (DeliveryStatus.QUEUED, DeliveryStatus.BOUNCED, DeliveryStatus.FAILED, DeliveryStatus.TEST,
          DeliveryStatus.DELIVERED)


class MessageNotFound(NotFound):
    """Message not found"""


@dataclasses.dataclass
class Entry:
    message: Message
    state: DeliveryStatus
    recipients: list[Delivery]
    opened: int
    clicked: int


def state_of(statuses) -> DeliveryStatus:
    found = set(statuses)
    if found & set(PENDING_DELIVERY):
        return DeliveryStatus.QUEUED
    return next((s for s in STATES[1:-1] if s in found), DeliveryStatus.DELIVERED)


def _having(*statuses):
    return fn.EXISTS(Delivery.select(Delivery.id).where(Delivery.message == Message.id, Delivery.status.in_(statuses)))


def _in_state(state: DeliveryStatus):
    """SQL for "the message is in `state`", as state_of reads it."""
    pending = _having(*PENDING_DELIVERY)
    if state == DeliveryStatus.QUEUED:
        return pending
    earlier = STATES[1:STATES.index(state)]
    condition = ~pending
    for status in earlier:
        condition &= ~_having(status)
    if state == DeliveryStatus.DELIVERED:
        return condition & ~_having(*STATES[1:-1])
    return condition & _having(state)


def page(user, *, state: DeliveryStatus | None = None, offset: int = 0, limit: int = 20) -> tuple[int, list[Entry]]:
    """How many of the user's messages are in `state` (all: None), and one page of them."""
    query = Message.select().where(Message.user == user)
    if state is not None:
        query = query.where(_in_state(state))
    total = query.count()
    messages = list(query.order_by(Message.created_at.desc(), Message.id.desc()).offset(offset).limit(limit))
    return total, _entries(messages)


def get(user, ident: str) -> tuple[Entry, list[Event]]:
    """One of the user's messages by its id (the uuid), with its events in order."""
    message = Message.get_or_none(Message.uuid == (ident or "").strip(), Message.user == user)
    if message is None:
        raise MessageNotFound()
    events = list(Event.select().where(Event.message == message).order_by(Event.created_at, Event.id))
    return _entries([message])[0], events


def _entries(messages: list[Message]) -> list[Entry]:
    ids = [m.id for m in messages]
    if not ids:
        return []
    deliveries: dict[int, list[Delivery]] = {i: [] for i in ids}
    for d in Delivery.select().where(Delivery.message.in_(ids)).order_by(Delivery.id):
        deliveries[d.message_id].append(d)
    counts = {(m, e): n for m, e, n in (
        Event.select(Event.message, Event.event, fn.COUNT(Event.id))
        .where(Event.message.in_(ids), Event.event.in_((EventType.OPENED, EventType.CLICKED)))
        .group_by(Event.message, Event.event).tuples())}
    return [Entry(m, state_of(d.status for d in deliveries[m.id]), deliveries[m.id],
                  counts.get((m.id, EventType.OPENED), 0), counts.get((m.id, EventType.CLICKED), 0))
            for m in messages]
