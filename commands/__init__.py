"""The /api.php dialect (Octeth's command API). Importing the command modules registers their
commands with the registry; the dispatcher blueprint serves them."""
from __future__ import annotations

from flask import Flask

from commands import api_keys, domains, email, envelope, events, smtp_credentials, smtp_relay, users, webhooks  # noqa: F401
from commands.dispatcher import blueprint

PATH = "/api.php"
NAME = "api.php"


def init_app(app: Flask, settings) -> None:
    app.register_blueprint(blueprint)


def owns(path: str) -> bool:
    return path == PATH


def render_error(status: int, text: str, headers: dict):
    """Octeth's hard failures: a wrong method is 100001 (HTTP 400); a body over the size limit
    is Gatepost's 42 (HTTP 413); anything else the dispatcher did not answer itself (database
    down, a crash) is 100005 with the HTTP status."""
    if status == 405:
        return envelope.render(envelope.hard_failure(100001, "Invalid connection method"), 400, headers=headers)
    if status == 413:
        return envelope.render(envelope.hard_failure(42, "Message too large"), 413, headers=headers)
    if status not in (500, 503):
        text = "API command failed"
    return envelope.render(envelope.hard_failure(100005, text), status, headers=headers)
