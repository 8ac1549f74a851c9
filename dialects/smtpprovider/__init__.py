"""The SMTP-provider dialect (seed 002): a Laravel application's "Promotional API" for shops and
apps: Sanctum-style tokens from POST /api/smtp-token-generate, then /api/v1/smtp-* for domains,
senders, templates, mailing lists, campaigns and welcome mail, answered in its envelopes with
Laravel's validation wording and statuses. Its paths share /api/v1 with the Octeth REST
dialect, so app.DIALECTS lists this one first and `owns` claims only its own."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from dialects.smtpprovider import campaigns, domains, mailing, senders, templates, token, welcome  # noqa: F401  (routes)
from dialects.smtpprovider.resource import blueprint
from services import accounts

NAME = "smtpprovider"
TOKEN_PATH = "/api/smtp-token-generate"
PREFIX = "/api/v1/smtp-"
TEXTS = {413: "The POST data is too large.", 500: "Server Error", 503: "Service Unavailable"}


def owns(path: str) -> bool:
    return path == TOKEN_PATH or path.startswith(PREFIX)


def render_error(status: int, text: str, headers: dict):
    """Routing errors, 413, 503 and crashes as Laravel renders them for a JSON client: {"message"}."""
    route = request.path.lstrip("/")
    if status == NotFound.code:
        text = f"The route {route} could not be found."
    elif status == MethodNotAllowed.code:
        allowed = sorted(_allowed())
        text = f"The {request.method} method is not supported for route {route}. Supported methods: {', '.join(allowed)}."
        headers = {**headers, "Allow": ", ".join(allowed)}
    response = jsonify({"message": TEXTS.get(status, text)})
    response.status_code = status
    response.headers.update(headers)
    return response


def _allowed() -> set[str]:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    return {m for m in adapter.allowed_methods(request.path) if m != "OPTIONS"}


def init_app(app: Flask, settings) -> None:
    app.extensions[token.FAILURES] = accounts.FailedLogins(
        settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address,
        "smtpprovider")
    app.register_blueprint(blueprint)
