"""Kirim.Email's SMTP API (`/api/domains/...`, `/api/quota`, `/api/validate/...`,
`/api/email/validate...`): HTTP Basic `username:api-key`, both the guide's spellings (the seed)
and the API reference's (what the official SDKs call), each over the same services. One module
per resource; `resource` holds the envelope, the request reader and authentication,
`throttle` the request budget, `webhook_payload` the webhook format (which the worker loads
alone: this package imports nothing heavy until `init_app`)."""
from __future__ import annotations

NAME = "kirim"
PREFIXES = ("/api/domains", "/api/quota", "/api/validate/", "/api/email/validate")


def owns(path: str) -> bool:
    return path.startswith(PREFIXES) or path in ("/api/validate", "/api/email")


def render_error(status: int, text: str, headers: dict):
    """Routing errors, a body over the size limit, a database that is down and crashes."""
    from dialects.kirim.resource import CODES, error_response

    message = {500: "Server error: something went wrong"}.get(status, text)
    return error_response(status, CODES.get(status, "error"), message, headers)


def init_app(app, settings) -> None:
    from dialects.kirim import (credentials, domains, logs, messages, quota, suppressions,  # noqa: F401  (routes)
                                throttle, validation, webhooks)
    from dialects.kirim.resource import blueprint

    throttle.configure(app, settings)
    app.register_blueprint(blueprint)
