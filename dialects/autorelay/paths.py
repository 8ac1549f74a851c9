"""Which requests are this dialect's: its own paths, and Octeth's `/api/v1/webhooks` when the
request presents an account key (`Bearer sk_...`)."""
from __future__ import annotations

from flask import has_request_context, request

PREFIXES = ("/api/v1/emails", "/api/v1/contacts", "/api/v1/domains", "/api/v1/campaigns", "/api/v1/stats")
SHARED = "/api/v1/webhooks"  # Octeth's too: ours when the key is an sk_ key
KEY_PREFIX = "sk_"


def owns(path: str) -> bool:
    if any(path == p or path.startswith(p + "/") for p in PREFIXES) or path.startswith(SHARED + "/"):
        return True
    return path.rstrip("/") == SHARED and presents_account_key()


def presents_account_key() -> bool:
    if not has_request_context():
        return False
    header = request.headers.get("Authorization", "")
    return header[:7].lower() == "bearer " and header[7:].strip().startswith(KEY_PREFIX)
