"""AutoRelay's webhook payload, registered with the one outbox: `{"type": "email.opened",
"data": {...}}`, signed `x-webhook-signature: <hex HMAC-SHA256(secret, raw body)>` with the
endpoint's own `whsec_` secret.

Verify over the raw body. The seed's sample verifies `JSON.stringify(req.body)` (the body
parsed and written again) and its `timingSafeEqual` throws on a length mismatch; the body is
written here exactly as JSON.stringify writes it (compact, UTF-8, keys in order), so even that
sample agrees with the raw body."""
from __future__ import annotations

import hashlib
import hmac
import json

from dialects.autorelay.vocabulary import WEBHOOK_NAME, iso
from services import webhook_deliveries, webhooks

FORMAT = "autorelay"


def payload(event, message, domain) -> dict:
    details = json.loads(event.details or "{}")
    data = {"id": f"evt_{event.id}", "emailId": message.uuid if message else None,
            "messageId": message.message_id_header.strip("<>") if message else None,
            "to": event.recipient, "from": message.mail_from if message else None,
            "subject": message.subject if message else None, "domain": domain.name,
            "tags": tags(json.loads(message.tags)) if message else {}, "createdAt": iso(event.created_at)}
    if event.event in ("bounced", "failed"):
        bounce = details.get("bounce") or {}
        data["bounce"] = {"type": "hard" if bounce.get("hard") else "soft",
                          "reason": bounce.get("reason") or details.get("reason") or "",
                          "message": details.get("smtp_reply") or bounce.get("diagnostic") or details.get("reason") or ""}
    if event.event == "clicked":
        data["link"] = details.get("url")
    return {"type": WEBHOOK_NAME.get(event.event, f"email.{event.event}"), "data": data}


def tags(stored: list[str]) -> dict[str, str]:
    """The core keeps a tag as "name=value" (emails.tags_of writes them)."""
    return dict(t.split("=", 1) if "=" in t else (t, "") for t in stored)


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@webhook_deliveries.register_format(FORMAT)
def render(event, message, domain, delivery_id: int) -> tuple[bytes, dict[str, str]]:
    data = payload(event, message, domain)
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json", "x-webhook-signature": sign(body, webhooks.secret_for(delivery_id)),
                  "x-webhook-event": data["type"], "x-webhook-id": str(delivery_id)}
