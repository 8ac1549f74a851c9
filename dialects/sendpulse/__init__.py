"""The SendPulse dialect (seed 004, SendPulse's SMTP API): `/oauth/access_token`, `/smtp/...`,
`/senders` and `/v2/email-service/smtp/sender_domains`, so SendPulse's own SDKs work against
Gatepost with only their API URL changed. OAuth2 client credentials (`gatepost credentials
create --kind sendpulse`) buy one-hour bearer tokens; errors are `{"error_code", "message"}`;
each account has GATEPOST_SENDPULSE_RATE_LIMIT requests (10 a second, as SendPulse allows).

The routes are imported by `init_app`, so the worker can load `dialects.sendpulse.webhooks`
(its payload format) without Flask and the routes."""
from __future__ import annotations

NAME = "sendpulse"
PREFIXES = ("/oauth/", "/smtp/", "/senders", "/v2/email-service/")
CRASH = "Internal server error"


def owns(path: str) -> bool:
    return path.startswith(PREFIXES)


def render_error(status: int, text: str, headers: dict):
    """Routing errors (404, 405), a body over the size limit (413), a database that is down (503)
    and crashes (500, no traceback), in SendPulse's error shape."""
    from dialects.sendpulse.resource import error_response

    return error_response(status, CRASH if status == 500 else text, status, headers)


def init_app(app, settings) -> None:
    from dialects.sendpulse import emails, oauth, senders, unsubscribe, webhooks  # noqa: F401  (registers the routes)
    from dialects.sendpulse.resource import blueprint

    oauth.init_app(app, settings)
    app.register_blueprint(blueprint)
