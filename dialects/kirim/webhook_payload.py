"""Kirim.Email's webhook payload, as its own automation node sends it: one JSON object per
event with `message_guid, type, sender, sender_domain, sender_ip, recipient, recipient_domain,
recipient_ip, event_type, event, subject, status, tags, event_detail, timestamp` and
`signature` = hex HMAC-SHA256 keyed with the domain's signing key followed by the message_guid,
of the empty string (Kirim.Email keys it with the account's API secret, which Gatepost never
keeps in clear; the domain's signing key plays that part). After a key rotation the previous
key's signature comes along for a day as `signature_previous`.

Receivers verify with `hmac.new((key + payload["message_guid"]).encode(), b"",
hashlib.sha256).hexdigest() == payload["signature"]`.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json

from dialects.kirim.vocabulary import EVENT_NAMES
from services import webhook_deliveries

FORMAT = "kirim"


def sign(key: str, message_guid: str) -> str:
    return hmac.new((key + message_guid).encode(), b"", hashlib.sha256).hexdigest()


def payload(name: str, *, message_guid: str, sender: str, recipient: str, subject: str, tags: list, detail: dict,
            moment: datetime.datetime, keys: list[str]) -> dict:
    data = {"message_guid": message_guid, "type": name, "sender": sender,
            "sender_domain": sender.rpartition("@")[2], "sender_ip": None, "recipient": recipient,
            "recipient_domain": recipient.rpartition("@")[2], "recipient_ip": None, "event_type": name,
            "event": name, "subject": subject, "status": name, "tags": tags, "event_detail": detail,
            "timestamp": int(moment.replace(tzinfo=datetime.UTC).timestamp()), "signature": sign(keys[0], message_guid)}
    if len(keys) > 1:
        data["signature_previous"] = sign(keys[1], message_guid)
    return data


def body(data: dict, delivery_id: str) -> tuple[bytes, dict[str, str]]:
    return (json.dumps(data, separators=(",", ":")).encode(),
            {"Content-Type": "application/json", "X-Kirim-Event": data["event"], "X-Gatepost-Delivery": delivery_id})


@webhook_deliveries.register_format(FORMAT)
def render(event, message, domain, delivery_id: int) -> tuple[bytes, dict[str, str]]:
    data = payload(EVENT_NAMES.get(event.event, event.event), message_guid=message.uuid if message else "",
                   sender=message.mail_from if message else f"noreply@{domain.name}", recipient=event.recipient,
                   subject=message.subject if message else "", tags=json.loads(message.tags) if message else [],
                   detail=json.loads(event.details or "{}"), moment=event.created_at,
                   keys=webhook_deliveries.signing_keys(domain))
    return body(data, str(delivery_id))
