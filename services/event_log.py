"""Reading the event log: the filters of GetEvents, /api/v1/events and ExportEvents, and the
`Query` grammar they share.

Query grammar: whitespace-separated terms, all of which must match. `field:value` or
`field:"several words"` for the fields subject, from, to (or recipient), tag, messageid and
event; any other term is free text, found in the subject, the recipient or the sender.
Values are matched case-insensitively as substrings (tag, messageid and event exactly; event
names are the dialect's, read by the reader it passes). The query is parsed into expressions,
never concatenated into SQL, and holds at most MAX_TERMS terms (each adds to the SQL expression
tree, whose depth the databases bound).
"""
from __future__ import annotations

import dataclasses
import datetime
import re
import shlex
from collections.abc import Callable

from peewee import JOIN, SQL, fn

from models import Event, Message, MessageTag, SenderDomain, User
from models.vocabulary import EventType
from services.errors import BadQuery

MATCHERS = {
    "subject": lambda v: Message.subject.contains(v),
    "from": lambda v: Message.mail_from.contains(v),
    "to": lambda v: Event.recipient.contains(v),
    "recipient": lambda v: Event.recipient.contains(v),
    "tag": lambda v: Message.id.in_(MessageTag.select(MessageTag.message).where(MessageTag.tag == v)),
    "messageid": lambda v: Message.uuid == v.strip("<>").split("@")[0],
    "": lambda v: Message.subject.contains(v) | Event.recipient.contains(v) | Message.mail_from.contains(v),
}
MAX_TERMS = 50


def core_event(name: str) -> EventType | None:
    """The core's own names (a dialect passes its reader to take its own words)."""
    try:
        return EventType(str(name or "").strip().lower())
    except ValueError:
        return None


def event_type(name: str, read_event: Callable[[str], EventType | None] = core_event) -> EventType:
    found = read_event(name)
    if found is None:
        raise BadQuery(f"unknown event {name!r}")
    return found


# No MessageID or stored text holds it, and PostgreSQL refuses it in a query's text (a 500 there)
NUL = "\x00"


def parse_query(query: str, read_event: Callable[[str], EventType | None] = core_event):
    """The query as a peewee expression over Event joined with Message (None for no query);
    `event:` terms are read with the dialect's `read_event`."""
    if NUL in (query or ""):
        raise BadQuery("the query holds a NUL character")
    try:
        terms = shlex.split(query or "")
    except ValueError as exc:
        raise BadQuery(f"unbalanced quotes in query: {exc}") from None
    if len(terms) > MAX_TERMS:
        raise BadQuery(f"the query has {len(terms)} terms; at most {MAX_TERMS} are allowed")
    condition = None
    for term in terms:
        field, sep, value = term.partition(":")
        if field.lower() == "event" and sep:
            part = Event.event == event_type(value, read_event)
            condition = part if condition is None else condition & part
            continue
        if not sep or field.lower() not in MATCHERS:
            field, value = "", term  # free text (a colon inside it included)
        if value:
            part = MATCHERS[field.lower()](value)
            condition = part if condition is None else condition & part
    return condition


@dataclasses.dataclass(frozen=True)
class Filter:
    user: User
    domain_ids: tuple[int, ...] | None = None  # None: all the user's domains
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None  # exclusive
    event: EventType | None = None
    query: str = ""
    message_id: str | None = None  # a MessageID (uuid) beats the query
    read_event: Callable[[str], EventType | None] = core_event  # the dialect's event names, for `event:`


def select(f: Filter):
    """Events matching a filter, newest first, with their message and domain joined."""
    rows = (Event.select(Event, Message, SenderDomain)
            .join(Message, JOIN.LEFT_OUTER).switch(Event).join(SenderDomain)
            .where(Event.user == f.user))
    if f.domain_ids is not None:
        rows = rows.where(Event.domain.in_(list(f.domain_ids)))
    if f.start:
        rows = rows.where(Event.created_at >= f.start)
    if f.end:
        rows = rows.where(Event.created_at < f.end)
    if f.event:
        rows = rows.where(Event.event == f.event)
    if f.message_id:
        wanted = f.message_id.strip().strip("<>").split("@")[0]
        rows = rows.where(Message.uuid == wanted if NUL not in wanted else SQL("1 = 0"))
    elif f.query:
        condition = parse_query(f.query)
        if condition is not None:
            rows = rows.where(condition)
    return rows.order_by(Event.created_at.desc(), Event.id.desc())


def page(f: Filter, offset: int, limit: int) -> tuple[int, list[Event]]:
    rows = select(f)
    return rows.count(), list(rows.offset(offset).limit(limit))


def tags_of(events: list[Event]) -> dict[int, list[str]]:
    """Tags of the messages of a page of events, in one query."""
    ids = {e.message_id for e in events if e.message_id}
    found: dict[int, list[str]] = {}
    for message_id, tag in MessageTag.select(MessageTag.message, MessageTag.tag).where(
            MessageTag.message.in_(list(ids))).tuples() if ids else ():
        found.setdefault(message_id, []).append(tag)
    return found


def parse_date(value: str, *, end: bool = False) -> datetime.datetime:
    """Y-m-d (a whole day: `end` gives the next midnight), Y-m-d H:M:S, or a unix timestamp."""
    value = str(value).strip()
    if re.fullmatch(r"\d{9,11}", value):
        return datetime.datetime.fromtimestamp(int(value), datetime.UTC).replace(tzinfo=None)
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.datetime.strptime(value, form)
        except ValueError:
            continue
        if not 1970 <= parsed.year <= 9000:  # leaves room for a period's length either side
            raise BadQuery(f"date out of range: {value!r}")
        return parsed + datetime.timedelta(days=1) if end and form == "%Y-%m-%d" else parsed
    raise BadQuery(f"not a date: {value!r} (use YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or a unix timestamp)")


def after(f: Filter, last_id: int, limit: int) -> list[Event]:
    """Events matching a filter with ids above `last_id`, oldest first: what a live stream sends
    next (ids grow with each commit on SQLite's single writer; on PostgreSQL and MySQL a
    transaction committing late with a lower id than one already sent would be missed)."""
    return list(select(f).where(Event.id > last_id).order_by(Event.id).limit(limit))


def last_id() -> int:
    """The newest event's id: where a stream that follows only new events starts."""
    return Event.select(fn.MAX(Event.id)).scalar() or 0
