"""The /api/v1 dialect (Octeth's REST layer): a sender-domain API key as `Authorization: Bearer`
(or SenderAPIKey in the body), bare JSON objects on success and {"Errors": [{"Code", "Message"}]}
on failure. Unlike /api.php, every failing parameter is reported, and the HTTP status carries
meaning. Each route declares its domain errors (edge.errors) beside itself."""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from marshmallow import Schema, ValidationError

from edge.params import BadJSON, request_params
from edge.errors import Declared, Refusal
from services import api_keys, secrets
from services.errors import AccountDisabled, InvalidSenderAPIKey

log = logging.getLogger(__name__)
blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")
NAME = "api_v1"
RATE_LIMITED = "Too many requests. Wait for {seconds} seconds for another {attempts} attempts."


def error_response(errors, status: int, headers: dict | None = None):
    response = jsonify({"Errors": [{"Code": code, "Message": message} for code, message in errors]})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@blueprint.errorhandler(Refusal)
def _refused(exc: Refusal):
    return error_response(exc.errors, exc.status, exc.headers)


def owns(path: str) -> bool:
    return path.startswith("/api/v1")


def render_error(status: int, text: str, headers: dict):
    """Routing errors (404, 405), a database that is down (503) and crashes (100005, 500)."""
    return error_response([(100005 if status == 500 else status, text)], status, headers)


def params() -> dict:
    try:
        return request_params(request)
    except BadJSON:
        raise Refusal((100000, "Invalid JSON request body"), status=400) from None


def presented_key(values: dict | None = None) -> str:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return str((values if values is not None else params()).get("senderapikey") or "")


KEY_ERRORS = (Declared(InvalidSenderAPIKey, 13, 401, "Invalid SenderAPIKey"),
              Declared(AccountDisabled, 2, 403, "Invalid user account"))


def sender_key(values: dict):
    """The API key row (with its domain and user) for this request; routes declare KEY_ERRORS."""
    return api_keys.authenticate(presented_key(values))


def load(schema: type[Schema], values: dict, codes: dict[str, tuple[int, str]]) -> dict:
    """Validate with `schema`; every failing parameter becomes one error, by `codes[param]`."""
    try:
        return schema().load(values)
    except ValidationError as exc:
        raise Refusal(*sorted(codes[key.lower()] for key in exc.messages)) from None


def _rate_key() -> str:
    key = presented_key()
    return "key:" + secrets.lookup_hash(key) if key else "ip:" + (request.remote_addr or "")


def init_app(app: Flask, settings) -> Limiter:
    """Register the resources with a per-key rate limit (memory:// or redis:// counters)."""
    from api_v1 import email, events, openapi, webhooks  # noqa: F401  (registers the routes)

    limiter = Limiter(_rate_key, app=app, storage_uri=settings.ratelimit_storage, headers_enabled=True,
                      key_prefix="gatepost")
    limiter.limit(settings.api_rate_limit)(blueprint)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        current = limiter.current_limit
        seconds = max(1, int(current.reset_at - time.time())) if current else 60
        message = RATE_LIMITED.format(seconds=seconds, attempts=exc.limit.limit.amount)
        return error_response([(429, message)], 429, {"Retry-After": str(seconds)})

    app.register_blueprint(blueprint)
    return limiter
