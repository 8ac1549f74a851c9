"""Sending logs: the list (guide `logs`, reference `log`), one message's events, and the live
stream as Server-Sent Events, over the event log.

Filters: `limit`, `page`, `start`/`end` (ISO 8601, or unix seconds), `sender`, `recipient`,
`subject` (substrings), `event_type` (Kirim.Email's names), `tags` (comma-separated, all must
be on the message). Entries are the reference's (`id`, `user_guid`, `user_domain_guid`,
`event_type`, `message_guid`, `timestamp`) with the sender, recipient, subject, tags and the
event's details beside them.

The stream first sends the events since `start` (when given; else none), then follows new ones
as they are committed, polling every POLL_SECONDS, with a comment line every HEARTBEAT_SECONDS
so proxies keep the connection open; each event is `id: <id>`, `event: <event_type>`,
`data: <entry as JSON>`. A client that reconnects with `Last-Event-ID` resumes after that
event. It ends after `limit` events (default 50,000, at most 500,000).
"""
from __future__ import annotations

import datetime
import json
import shlex
import time

from flask import Response, request

from dialects.kirim.resource import (account_domain, blueprint, error_response, integer, invalid, iso, ok,
                                     pagination, paging, params, text, unix)
from dialects.kirim.vocabulary import EVENT_NAMES, EVENTS_READ
from models import Event, SenderDomain, User
from models.db import database
from services import event_log

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 10.0
STREAM_BATCH = 500


def entry(event: Event, tags: list[str]) -> dict:
    message = event.message if event.message_id else None
    return {"id": event.id, "user_guid": str(event.user_id), "user_domain_guid": str(event.domain_id),
            "event_type": EVENT_NAMES.get(event.event, event.event),
            "message_guid": message.uuid if message else None, "timestamp": unix(event.created_at),
            "created_at": iso(event.created_at), "sender": message.mail_from if message else None,
            "recipient": event.recipient, "subject": message.subject if message else None, "tags": tags,
            "details": json.loads(event.details or "{}")}


def _moment(values: dict, key: str) -> datetime.datetime | None:
    given = text(values, key, limit=64).strip()
    if not given:
        return None
    try:
        if given.isdigit():
            return datetime.datetime.fromtimestamp(int(given), datetime.UTC).replace(tzinfo=None)
        moment = datetime.datetime.fromisoformat(given.replace(" ", "T") if len(given) > 10 else given)
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise invalid(key, f"The {key} field must be an ISO 8601 date (2024-01-15T10:30:00Z).") from None
    if not 1970 <= moment.year <= 9000:  # what every backend's DATETIME compares without complaint
        raise invalid(key, f"The {key} field must be a date between 1970 and 9000.")
    return moment


def _filter(user: User, domain: SenderDomain, values: dict) -> event_log.Filter:
    terms = []
    for key, field in (("sender", "from"), ("recipient", "to"), ("subject", "subject")):
        value = text(values, key, limit=320)
        if value:
            terms.append(f"{field}:{shlex.quote(value)}")
    terms += [f"tag:{shlex.quote(t.strip())}" for t in text(values, "tags", limit=1000).split(",") if t.strip()]
    name = text(values, "event_type", limit=32).strip().lower()
    if name and name not in EVENTS_READ:
        raise invalid("event_type", "The event_type must be one of: " + ", ".join(EVENTS_READ) + ".")
    return event_log.Filter(user=user, domain_ids=(domain.id,), start=_moment(values, "start"),
                            end=_moment(values, "end"), event=EVENTS_READ[name][0] if name else None,
                            query=" ".join(terms))


@blueprint.get("/domains/<name>/log")
@blueprint.get("/domains/<name>/logs")
def list_logs(name):
    user, domain = account_domain(name)
    values = params()
    page, limit, offset = paging(values, default_limit=10, max_limit=1000)
    total, rows = event_log.page(_filter(user, domain, values), offset, limit)
    tags = event_log.tags_of(rows)
    return ok([entry(e, tags.get(e.message_id, [])) for e in rows], pagination=pagination(total, page, limit, offset))


@blueprint.get("/domains/<name>/log/<guid>")
@blueprint.get("/domains/<name>/logs/<guid>")
def message_logs(name, guid):
    user, domain = account_domain(name)
    rows = list(reversed(event_log.page(event_log.Filter(user=user, domain_ids=(domain.id,), message_id=guid),
                                        0, 1000)[1]))
    if not rows:
        return _not_found()
    tags = event_log.tags_of(rows)
    return ok([entry(e, tags.get(e.message_id, [])) for e in rows])


def _not_found():
    return error_response(404, "message_not_found", "Message not found")


@blueprint.get("/domains/<name>/log/stream")
@blueprint.get("/domains/<name>/logs/stream")
def stream_logs(name):
    user, domain = account_domain(name)
    values = params()
    limit = integer(values, "limit", 50_000, 1, 500_000)
    found = _filter(user, domain, values)
    resume = request.headers.get("Last-Event-ID", "").strip()
    if resume.isdigit():
        first = int(resume)
    elif found.start is not None:
        first = 0
    else:
        first = event_log.last_id()
    return Response(_events(found, first, limit), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _events(found: event_log.Filter, last: int, limit: int):
    """The stream's body: runs after the request has ended, so it opens a connection per poll."""
    yield "retry: 3000\n: connected\n\n"
    sent, quiet = 0, 0.0
    while sent < limit:
        with database.connection_context():
            rows = event_log.after(found, last, min(STREAM_BATCH, limit - sent))
            tags = event_log.tags_of(rows)
        for event in rows:
            data = entry(event, tags.get(event.message_id, []))
            yield f"id: {event.id}\nevent: {data['event_type']}\ndata: {json.dumps(data)}\n\n"
            last, sent, quiet = event.id, sent + 1, 0.0
        if not rows:
            time.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS
            if quiet >= HEARTBEAT_SECONDS:
                yield ": keepalive\n\n"
                quiet = 0.0
