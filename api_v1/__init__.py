"""The /api/v1 dialect (Octeth's REST layer): a sender-domain API key as `Authorization: Bearer`
(or SenderAPIKey in the body), bare JSON objects on success and {"Errors": [{"Code", "Message"}]}
on failure. Unlike /api.php, every failing parameter is reported, and the HTTP status carries
meaning. Each route declares its domain errors (edge.errors) beside itself.

Requests are limited per presented key (GATEPOST_API_RATE_LIMIT, one budget across the
resources); since a guesser presents a new key each time, failed authentications (401) are also
counted per client address, and an address over GATEPOST_AUTH_FAILURES_PER_ADDRESS is answered
429 until its window passes."""
from __future__ import annotations

import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from api_v1 import email, events, openapi, webhooks  # noqa: F401  (registers the routes)
from api_v1.resource import RATE_LIMITED, blueprint, error_response, presented_key
from services import accounts, secrets

NAME = "api_v1"
RATE_LIMITED_TEXTS = {"api_v1.get_events": "Too many requests. Please wait for {seconds} seconds before trying again."}
FAILURES = "gatepost.api_v1_failures"


def owns(path: str) -> bool:
    return path.startswith("/api/v1")


def render_error(status: int, text: str, headers: dict):
    """Routing errors (404, 405), a body over the size limit (42, 413), a database that is down
    (503) and crashes (100005, 500)."""
    code = {500: 100005, 413: 42}.get(status, status)
    return error_response([(code, text)], status, headers)


def _rate_key() -> str:
    key = presented_key()
    return "key:" + secrets.lookup_hash(key) if key else "ip:" + (request.remote_addr or "")


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


def init_app(app: Flask, settings) -> Limiter:
    """Register the resources with one request budget per key across all of them, as Octeth
    counts it (memory:// or redis:// counters). Each resource answers a 429 in the seed's words
    for it (events has its own text)."""
    limiter = Limiter(_rate_key, app=app, storage_uri=settings.ratelimit_storage, headers_enabled=True,
                      key_prefix="gatepost")
    limiter.shared_limit(settings.api_rate_limit, scope="api_v1")(blueprint)
    app.extensions[FAILURES] = accounts.FailedLogins(
        settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address, "api-v1")

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        current = limiter.current_limit
        seconds = max(1, int(current.reset_at - time.time())) if current else 60
        text = RATE_LIMITED_TEXTS.get(request.endpoint, RATE_LIMITED)
        message = text.format(seconds=seconds, attempts=exc.limit.limit.amount)
        return error_response([(429, message)], 429, {"Retry-After": str(seconds)})

    app.register_blueprint(blueprint)
    _on_the_blueprint_only(app, limiter)
    return limiter


def _on_the_blueprint_only(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter hooks itself into every request of the app, where it finds no limit but
    this blueprint's: its hooks move to the blueprint's requests, in the same places among the
    other hooks (its check before the blueprint's own, its headers after them, before the
    app's), so the other dialects, the dashboard and /healthz no longer pay for it."""
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        moved = [f for f in hooks[None] if getattr(f, "__self__", None) is limiter or limiter in getattr(f, "args", ())]
        hooks[None] = [f for f in hooks[None] if f not in moved]
        hooks.setdefault(blueprint.name, [])[:0] = moved
