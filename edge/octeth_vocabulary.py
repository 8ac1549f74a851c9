"""Octeth's words for the core's event types, in one table for both Octeth dialects.

Octeth has two spellings: the short one of /api.php (AddWebhook's `Event`/`Events`, GetEvents'
`event_type`) and /api/v1/events (`EventType`), where the seed shows `open`, `click`, `send`;
and the past tense of /api/v1/webhooks (`delivered`, `bounced`, ...), which are the core's own
names. Input takes either; output uses the one the seed shows for that place.
"""
from __future__ import annotations

from models.vocabulary import EventType
from services import event_log
from services.errors import InvalidWebhookEvent

SHORT = {EventType.ACCEPTED: "send", EventType.DELIVERED: "delivery", EventType.BOUNCED: "bounce",
         EventType.OPENED: "open", EventType.CLICKED: "click", EventType.UNSUBSCRIBED: "unsubscribe",
         EventType.COMPLAINED: "complaint", EventType.DEFERRED: "deferred", EventType.FAILED: "failed"}
PAST = {e: e.value for e in EventType}  # delivered, bounced, opened, ... (and accepted)
_READ = {**{name: e for e, name in SHORT.items()}, **{name: e for e, name in PAST.items()}}


def event_type(name) -> EventType | None:
    """The event type an Octeth client means by `name` (any spelling, any case); None if none."""
    return _READ.get(str(name or "").strip().lower())


def event_filter(name) -> EventType:
    """An event filter (`Event`, or `event:` in a Query) in Octeth's words, or BadQuery."""
    return event_log.event_type(name, event_type)


def webhook_events(value) -> list[EventType]:
    """What an Octeth client subscribes to: one name, a list (`["send", "open", "click"]`) or a
    comma-separated string, in any of Octeth's spellings; InvalidWebhookEvent otherwise."""
    names = value if isinstance(value, list) else str(value or "").split(",")
    found = [event_type(n) for n in names if str(n).strip()]
    if not found or None in found:
        raise InvalidWebhookEvent()
    return found
