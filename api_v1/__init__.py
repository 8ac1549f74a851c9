"""The /api/v1 dialect (Octeth's REST layer): a sender-domain API key as `Authorization: Bearer`
(or SenderAPIKey in the body), bare JSON objects on success and {"Errors": [{"Code", "Message"}]}
on failure. Unlike /api.php, every failing parameter is reported, and the HTTP status carries
meaning. Each route declares its domain errors (edge.errors) beside itself.

Requests are limited per presented key (GATEPOST_API_RATE_LIMIT, one budget across the
resources); since a guesser presents a new key each time, failed authentications (401) are also
counted per client address, and an address over GATEPOST_AUTH_FAILURES_PER_ADDRESS is answered
429 until its window passes."""
from __future__ import annotations

from flask import Flask, current_app, request

from api_v1 import email, events, openapi, webhooks  # noqa: F401  (registers the routes)
from api_v1.budget import KeyBudget
from api_v1.resource import RATE_LIMITED, blueprint, error_response
from services import accounts

NAME = "api_v1"
FAILURES = "gatepost.api_v1_failures"


def owns(path: str) -> bool:
    return path.startswith("/api/v1")


def render_error(status: int, text: str, headers: dict):
    """Routing errors (404, 405), a body over the size limit (42, 413), a database that is down
    (503) and crashes (100005, 500)."""
    code = {500: 100005, 413: 42}.get(status, status)
    return error_response([(code, text)], status, headers)


@blueprint.before_request
def _refuse_guessers():
    failures, address = current_app.extensions[FAILURES], request.remote_addr or "?"
    if not failures.allowed(None, address):
        seconds = failures.retry_after(None, address)
        message = RATE_LIMITED.format(seconds=seconds, attempts=failures.per_address.amount)
        return error_response([(429, message)], 429, {"Retry-After": str(seconds)})
    return None


@blueprint.after_request
def _count_failed_authentication(response):
    if response.status_code == 401:
        current_app.extensions[FAILURES].failed(None, request.remote_addr or "?")
    return response


def init_app(app: Flask, settings) -> None:
    """Register the resources with one request budget per key across all of them, as Octeth
    counts it (memory:// or redis:// counters; api_v1.budget). Each resource answers a 429 in
    the seed's words for it (events has its own text)."""
    app.extensions[FAILURES] = accounts.FailedLogins(
        settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address, "api-v1")
    app.register_blueprint(blueprint)
    KeyBudget(settings).init_app(app)
