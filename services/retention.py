"""Retention: message bodies go after GATEPOST_RETENTION_CONTENT_DAYS (or as soon as every
delivery of a message is final, with GATEPOST_DROP_CONTENT_WHEN_FINAL), the rest of a finished
message's record (events, deliveries, attempts, tags, webhook deliveries) after
GATEPOST_RETENTION_EVENTS_DAYS. Mail still waiting to go is never touched. Expired credentials
(bearer tokens) go a day after they expire."""
from __future__ import annotations

import datetime

import clock
import config
from models import Delivery, Event, InboundReport, Message
from models.db import database
from models.vocabulary import PENDING_DELIVERY
from services import credentials

BATCH = 1000


def _waiting():
    return Delivery.select(Delivery.message).where(Delivery.status.in_(PENDING_DELIVERY))


def drop_content_if_final(message_id: int) -> bool:
    """Called when a delivery ends: the body goes once no delivery of it is waiting."""
    return bool(Message.update(content=None)
                .where(Message.id == message_id, Message.content.is_null(False),
                       ~Message.id.in_(_waiting().where(Delivery.message == message_id))).execute())


def prune() -> dict[str, int]:
    """One pass; returns what it freed. Deletes in batches so no transaction grows large."""
    settings, now = config.current(), clock.now()
    content_before = now - datetime.timedelta(days=settings.retention_content_days)
    records_before = now - datetime.timedelta(days=settings.retention_events_days)
    freed = {"contents": 0, "messages": 0, "events": 0, "inbound_reports": 0, "credentials": 0}
    freed["contents"] = (Message.update(content=None)
                         .where(Message.created_at < content_before, Message.content.is_null(False),
                                ~Message.id.in_(_waiting())).execute())
    while True:
        ids = [m.id for m in Message.select(Message.id).where(Message.created_at < records_before,
                                                               ~Message.id.in_(_waiting())).limit(BATCH)]
        if not ids:
            break
        with database.atomic():
            freed["events"] += Event.delete().where(Event.message.in_(ids)).execute()
            freed["messages"] += Message.delete().where(Message.id.in_(ids)).execute()  # deliveries etc. cascade
    freed["events"] += Event.delete().where(Event.created_at < records_before, Event.message.is_null()).execute()
    freed["inbound_reports"] = InboundReport.delete().where(InboundReport.received_at < records_before).execute()
    freed["credentials"] = credentials.prune_expired(now - datetime.timedelta(days=1))
    return freed
