"""Messages: search the event log (recipient, subject, tag, message id, event, dates), one
message's timeline (accepted, each attempt with its SMTP reply, the outcome, opens, clicks),
and the queue (what waits, why, and the next attempt)."""
from __future__ import annotations

import json
import shlex

from flask import abort, g, render_template, request

from models.vocabulary import EventType
from services import event_log, queue
from services.errors import BadQuery
from ui.web import blueprint, field, number

PAGE_SIZE = 50
SEARCH_FIELDS = (("recipient", "to"), ("subject", "subject"), ("tag", "tag"))


def _filter() -> event_log.Filter:
    """The form's fields as the event log's filter; its query terms quoted, never interpreted."""
    terms = [f"{term}:{shlex.quote(field(name))}" for name, term in SEARCH_FIELDS if field(name)]
    status = field("status")
    return event_log.Filter(
        user=g.user, event=event_log.event_type(status) if status else None,
        start=event_log.parse_date(field("start")) if field("start") else None,
        end=event_log.parse_date(field("end"), end=True) if field("end") else None,
        query=" ".join(terms), message_id=field("message_id") or None)


@blueprint.get("/messages", endpoint="messages")
def search():
    page = number("page", 1, minimum=1)
    error, total, rows = "", 0, []
    try:
        total, rows = event_log.page(_filter(), (page - 1) * PAGE_SIZE, PAGE_SIZE)
    except BadQuery as exc:
        error = str(exc)
    return render_template("messages.html", events=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           error=error, statuses=list(EventType), args=request.args)


@blueprint.get("/messages/<message_id>")
def message(message_id: str):
    found = queue.inspect(message_id, user=g.user)
    if found is None:
        abort(404)
    _, events = event_log.page(event_log.Filter(user=g.user, message_id=found["message_id"]), 0, 500)
    timeline = [{"at": e.created_at, "event": e.event, "recipient": e.recipient, "details": json.loads(e.details or "{}")}
                for e in reversed(events)]
    return render_template("message.html", message=found, timeline=timeline)


@blueprint.get("/queue", endpoint="queue")
def waiting():
    return render_template("queue.html", deliveries=queue.waiting(g.user, 200))
