"""The webhook payload of the Octeth dialects, documented in the README: a JSON object with the
event in Octeth's past-tense names, signed `X-Gatepost-Signature: t=<unix>,v1=<hex HMAC-SHA256(
key, "<t>.<raw body>")>` with the domain's signing key (and a second `v1=` from the previous key
for a day after RegenerateSigningKey)."""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time

from edge.octeth_vocabulary import PAST
from services import webhook_deliveries

FORMAT = "octeth"


def payload(event, message, domain) -> dict:
    return {"id": f"evt_{event.id}", "event": PAST.get(event.event, event.event),
            "timestamp": int(event.created_at.replace(tzinfo=datetime.UTC).timestamp()),
            "occurred_at": event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "domain": domain.name,
            "message_id": message.uuid if message else None,
            "campaign_id": message.campaign_id if message else None, "recipient": event.recipient,
            "subject": message.subject if message else None, "tags": json.loads(message.tags) if message else [],
            "details": json.loads(event.details or "{}")}


def signature(body: bytes, timestamp: int, keys: list[str]) -> str:
    signed = f"{timestamp}.".encode() + body
    return ",".join([f"t={timestamp}"] + [f"v1={hmac.new(k.encode(), signed, hashlib.sha256).hexdigest()}" for k in keys])


@webhook_deliveries.register_format(FORMAT)
def render(event, message, domain, delivery_id: int) -> tuple[bytes, dict[str, str]]:
    data = payload(event, message, domain)
    body = json.dumps(data, separators=(",", ":")).encode()
    return body, {"Content-Type": "application/json", "X-Gatepost-Event": data["event"],
                  "X-Gatepost-Delivery": str(delivery_id),
                  "X-Gatepost-Signature": signature(body, int(time.time()), webhook_deliveries.signing_keys(domain))}
