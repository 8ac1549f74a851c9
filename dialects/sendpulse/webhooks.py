"""SendPulse's webhook format: a JSON array of events, each `{event, timestamp, message_id,
recipient, sender, subject}`, with the SMTP response for deliveries and bounces, unsigned as
SendPulse's are. Batched as SendPulse batches: an event waits at most 30 s for others of its
webhook, and one POST carries up to 500 (the outbox's batching; its retries and replay apply as
to any format). Subscribe with `gatepost webhooks add --format sendpulse`."""
from __future__ import annotations

import datetime
import json
import re

from models.vocabulary import EventType
from services import webhook_deliveries

FORMAT = "sendpulse"
NAMES = {EventType.ACCEPTED: "sent", EventType.DELIVERED: "delivered", EventType.DEFERRED: "soft_bounce",
         EventType.OPENED: "open", EventType.CLICKED: "click", EventType.UNSUBSCRIBED: "unsubscribe",
         EventType.COMPLAINED: "spam"}
SMTP_EVENTS = (EventType.DELIVERED, EventType.DEFERRED, EventType.BOUNCED, EventType.FAILED)
ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")


def event_name(event_type: str, details: dict) -> str:
    """Bounces by SendPulse's hard/soft; a failure that was no bounce (gave up, cleared) is `undelivered`."""
    if event_type in (EventType.BOUNCED, EventType.FAILED):
        bounce = details.get("bounce")
        if bounce is None:
            return "undelivered"
        return "hard_bounce" if bounce.get("hard") else "soft_bounce"
    return NAMES.get(event_type, str(event_type))


def payload(event, message) -> dict:
    details = json.loads(event.details or "{}")
    data = {"event": event_name(event.event, details),
            "timestamp": int(event.created_at.replace(tzinfo=datetime.UTC).timestamp()),
            "message_id": message.uuid if message else None, "recipient": event.recipient,
            "sender": message.mail_from if message else None, "subject": message.subject if message else None}
    if event.event in SMTP_EVENTS:
        reply = str(details.get("smtp_reply") or "")
        subcode = ENHANCED.search(reply)
        data.update(smtp_server_response_code=str(details.get("smtp_code") or ""),
                    smtp_server_response_subcode=subcode[0] if subcode else "", smtp_server_response=reply)
    if event.event == EventType.CLICKED:
        data["link_url"] = details.get("url", "")
    return data


def render_batch(items) -> tuple[bytes, dict[str, str]]:
    body = [payload(event, message) for event, message, domain, delivery_id in items]
    return json.dumps(body, separators=(",", ":")).encode(), {"Content-Type": "application/json"}


@webhook_deliveries.register_format(FORMAT, batch=webhook_deliveries.Batching(render_batch, size=500,
                                                                               wait=datetime.timedelta(seconds=30)))
def render(event, message, domain, delivery_id: int) -> tuple[bytes, dict[str, str]]:
    return render_batch([(event, message, domain, delivery_id)])
