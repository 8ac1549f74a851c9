"""An event as both Octeth dialects show it: GetEvents rows on /api.php and the rows of
GET /api/v1/events are built from this one view, with the event in Octeth's short names."""
from __future__ import annotations

import datetime
import json

from edge.octeth_vocabulary import SHORT


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _unix(moment: datetime.datetime) -> int:
    return int(moment.replace(tzinfo=datetime.UTC).timestamp())


def event_view(event, tags: list[str]) -> dict:
    message = event.message
    headers = {"subject": message.subject, "from": message.mail_from, "to": event.recipient,
               "message-id": message.message_id_header} if message else {}
    name = SHORT.get(event.event, event.event)  # the seed's `open`, `click`, `send`, ...
    return {"id": event.id, "event": name, "event_type": name, "timestamp": _iso(event.created_at),
            "logged_at": _unix(event.created_at), "recipient": event.recipient,
            "message_id": message.uuid if message else None,
            "campaign_id": message.campaign_id if message else None, "domain": event.domain.name, "tags": tags,
            "details": json.loads(event.details or "{}"), "message": {"headers": headers}}
