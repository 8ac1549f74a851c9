"""Statistics from the event log, each a grouped SQL query on the (domain|user, event, created_at)
indexes: counts by type, by tag, by day, by recipient domain. "Sent" is messages accepted (one
per recipient); the other counts are events, as Octeth's event-based stats are (an open is an
event each time it happens, but repeats of one recipient within a minute are one event with a
`count`: services.engagement); rates are x / Sent x 100, two decimals, 0 when nothing was sent.
"""
from __future__ import annotations

import datetime
import json

from peewee import fn

import clock
from models import Delivery, Event, Message, MessageTag
from models.vocabulary import PENDING_DELIVERY, EventType

# the report's column for each event type ("Sent" counts accepted messages, one per recipient)
NAMES = {EventType.ACCEPTED: "Sent", EventType.DELIVERED: "Delivered", EventType.BOUNCED: "Bounced",
         EventType.OPENED: "Opened", EventType.CLICKED: "Clicked", EventType.UNSUBSCRIBED: "Unsubscribed",
         EventType.COMPLAINED: "Complained", EventType.FAILED: "Failed", EventType.DEFERRED: "Deferred"}
AGGREGATABLE = {"eventtype": Event.event, "event": Event.event, "type": Event.event, "recipient": Event.recipient,
                "recipientdomain": Delivery.recipient_domain, "domain": Delivery.recipient_domain,
                "tag": MessageTag.tag, "day": fn.DATE(Event.created_at)}


# Naming the event types lets the (domain, event, created_at) index seek each type's time range,
# rather than walk all of a domain's history to group it (bench/bench_events.py measured it).
_KNOWN = Event.event.in_(list(NAMES))


def _window(query, start: datetime.datetime, end: datetime.datetime):
    return query.where(Event.created_at >= start, Event.created_at < end)


def _block(counts: dict[str, int]) -> dict[str, int]:
    return {name: counts.get(event, 0) for event, name in NAMES.items()}


def totals(domain_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> dict[int, dict[str, int]]:
    """Per domain: {"Sent": n, "Delivered": n, ...}, zero-filled."""
    found: dict[int, dict[str, int]] = {d: {} for d in domain_ids}
    query = (Event.select(Event.domain, Event.event, fn.COUNT(Event.id))
             .where(Event.domain.in_(domain_ids), _KNOWN).group_by(Event.domain, Event.event))
    for domain_id, event, n in _window(query, start, end).tuples():
        found[domain_id][event] = n
    return {d: _block(c) for d, c in found.items()}


def sum_blocks(blocks) -> dict[str, int]:
    blocks = list(blocks)
    return {name: sum(b[name] for b in blocks) for name in NAMES.values()}


def with_rates(block: dict[str, int]) -> dict:
    sent = block["Sent"]

    def rate(n: int) -> float:
        return round(n * 100 / sent, 2) if sent else 0

    return {**block, "SpamComplaint": block["Complained"], "DeliveryRate": rate(block["Delivered"]), "OpenRate": rate(block["Opened"]),
            "ClickRate": rate(block["Clicked"]), "BounceRate": rate(block["Bounced"]),
            "UnsubscribeRate": rate(block["Unsubscribed"]), "ComplaintRate": rate(block["Complained"])}


def by_tag(domain_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    query = (Event.select(MessageTag.tag, Event.event, fn.COUNT(Event.id))
             .join(MessageTag, on=(MessageTag.message == Event.message))
             .where(Event.domain.in_(domain_ids), _KNOWN).group_by(MessageTag.tag, Event.event))
    for tag, event, n in _window(query, start, end).tuples():
        found.setdefault(tag, {})[event] = n
    return {tag: _block(c) for tag, c in sorted(found.items())}

MAX_PERIOD = datetime.timedelta(days=36525)  # a century: longer ones (1970..9000) overflow the period before them


def activity(domain_ids: list[int]) -> dict[int, dict]:
    """Per domain: sent in the last 7 days, its bounce rate (%), and the time of its newest event."""
    now = clock.now()
    recent = totals(domain_ids, now - datetime.timedelta(days=7), now + datetime.timedelta(seconds=1))
    newest = fn.MAX(Event.created_at).python_value(Event.created_at.python_value)
    last = dict(Event.select(Event.domain, newest).where(Event.domain.in_(domain_ids)).group_by(Event.domain).tuples())
    return {d: {"sent": c["Sent"], "bounce_rate": with_rates(c)["BounceRate"], "last_activity_at": last.get(d)}
            for d, c in recent.items()}


def previous(start: datetime.datetime, end: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The period of the same length just before."""
    return start - (end - start), start


def aggregate(domain_ids: list[int], start: datetime.datetime, end: datetime.datetime, field: str,
              size: int) -> list[dict]:
    """Elasticsearch-style terms buckets [{key, doc_count}], largest first; an unknown field
    has no buckets (as a terms aggregation on a missing field)."""
    column = AGGREGATABLE.get((field or "eventType").replace("_", "").replace("-", "").lower())
    if column is None:
        return []
    count = fn.COUNT(Event.id)
    query = Event.select(column, count).where(Event.domain.in_(domain_ids))
    if column is Delivery.recipient_domain:
        query = query.join(Delivery, on=(Delivery.id == Event.delivery))
    elif column is MessageTag.tag:
        query = query.join(MessageTag, on=(MessageTag.message == Event.message))
    query = _window(query, start, end).group_by(column).order_by(count.desc(), column).limit(max(1, size))
    return [{"key": str(key)[:10] if column is AGGREGATABLE["day"] else key, "doc_count": n}
            for key, n in query.tuples()]


def daily(domain_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> dict[str, dict[str, int]]:
    """{"Y-m-d": {Sent, Bounced, Opened, Clicked}} for days that had any; empty days left out."""
    day = fn.DATE(Event.created_at)
    series: dict[str, dict[str, int]] = {}
    query = (Event.select(day, Event.event, fn.COUNT(Event.id))
             .where(Event.domain.in_(domain_ids), Event.event.in_([EventType.ACCEPTED, EventType.BOUNCED, EventType.OPENED, EventType.CLICKED]))
             .group_by(day, Event.event))
    for key, event, n in _window(query, start, end).tuples():
        entry = series.setdefault(str(key)[:10], {"Sent": 0, "Bounced": 0, "Opened": 0, "Clicked": 0})
        entry[NAMES[event]] = n
    return dict(sorted(series.items()))


def queued(domain_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> dict[int, int]:
    """Deliveries still waiting, of messages accepted in the period, per domain."""
    return dict(Delivery.select(Message.domain, fn.COUNT(Delivery.id)).join(Message)
                .where(Message.domain.in_(domain_ids), Delivery.status.in_(PENDING_DELIVERY),
                       Message.created_at >= start, Message.created_at < end)
                .group_by(Message.domain).tuples())


def series(domain_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> dict[str, dict[str, int]]:
    """{"Y-m-d": block of every report column} for each day of the period, empty days zero-filled
    (a chart's x axis must not skip a quiet day)."""
    day = fn.DATE(Event.created_at)
    found: dict[str, dict[str, int]] = {}
    query = Event.select(day, Event.event, fn.COUNT(Event.id)).where(Event.domain.in_(domain_ids), _KNOWN)
    for key, event, n in _window(query, start, end).group_by(day, Event.event).tuples():
        found.setdefault(str(key)[:10], {})[event] = n
    count = (end.date() - start.date()).days + (end.time() != datetime.time())
    days = [str(start.date() + datetime.timedelta(days=i)) for i in range(count)]
    return {day: _block(found.get(day, {})) for day in days}


MAX_REASON_ROWS = 10_000  # bounce events read for their reasons (each reason sits in the event's JSON)


def bounce_reasons(domain_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> dict[str, int]:
    """Bounced events of the period by their reason (services.bounce_reasons), most frequent first."""
    counts: dict[str, int] = {}
    query = Event.select(Event.details).where(Event.domain.in_(domain_ids), Event.event == EventType.BOUNCED)
    for (details,) in _window(query, start, end).limit(MAX_REASON_ROWS).tuples():
        reason = (json.loads(details or "{}").get("bounce") or {}).get("reason") or "unclassified"
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
