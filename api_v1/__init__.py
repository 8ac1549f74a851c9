"""The /api/v1 dialect: a sender-domain API key as `Authorization: Bearer` (or SenderAPIKey in
the body), bare JSON objects on success and {"Errors": [{"Code", "Message"}]} on failure.
Unlike /api.php, every failing parameter is reported, and the HTTP status carries meaning.

Requests are limited per presented key (GATEPOST_API_RATE_LIMIT); since a guesser presents a new
key each time, failed authentications (401) are also counted per client address, and an address
over GATEPOST_AUTH_FAILURES_PER_ADDRESS is answered 429 until its window passes."""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from edge.params import BadJSON, request_params
from models.db import UNAVAILABLE
import config
from services import accounts, api_keys, secrets
from services.errors import InvalidSenderAPIKey

log = logging.getLogger(__name__)
blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")
RATE_LIMITED = "Too many requests. Wait for {seconds} seconds for another {attempts} attempts."


class ApiError(Exception):
    def __init__(self, *errors: tuple[int, str], status: int = 422):
        super().__init__(errors)
        self.errors, self.status = errors, status


def error_response(errors, status: int, headers: dict | None = None):
    response = jsonify({"Errors": [{"Code": code, "Message": message} for code, message in errors]})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@blueprint.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.errors, exc.status)


@blueprint.errorhandler(Exception)
def _crash(exc: Exception):
    """Anything unexpected: logged for the operator, never a traceback or an HTML page for the client."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    if isinstance(exc, UNAVAILABLE):
        log.error("database unavailable: %s", exc)
        return error_response([(503, "Service temporarily unavailable: the database cannot be reached")], 503,
                              {"Retry-After": "30"})
    log.exception("%s %s failed", request.method, request.path)
    return error_response([(100005, "API command failed")], 500)


def http_error(exc: HTTPException):
    """Routing errors (404, 405) in this dialect's shape."""
    return error_response([(exc.code, exc.description)], exc.code)


def params() -> dict:
    try:
        return request_params(request)
    except BadJSON:
        raise ApiError((100000, "Invalid JSON request body"), status=400) from None


def presented_key(values: dict | None = None) -> str:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return str((values if values is not None else params()).get("senderapikey") or "")


def sender_key(values: dict):
    """The API key row (with its domain and user) for this request, or 13 / HTTP 401."""
    try:
        row = api_keys.authenticate(presented_key(values))
    except InvalidSenderAPIKey:
        raise ApiError((13, "Invalid SenderAPIKey"), status=401) from None
    if not row.domain.user.is_enabled:
        raise ApiError((2, "Invalid user account"), status=403)
    return row


def load(schema: type[Schema], values: dict, codes: dict[str, tuple[int, str]]) -> dict:
    """Validate with `schema`; every failing parameter becomes one error, by `codes[param]`."""
    try:
        return schema().load(values)
    except ValidationError as exc:
        raise ApiError(*sorted(codes[key.lower()] for key in exc.messages)) from None


def _rate_key() -> str:
    key = presented_key()
    return "key:" + secrets.lookup_hash(key) if key else "ip:" + (request.remote_addr or "")


@blueprint.before_request
def _refuse_guessers():
    failures, address = current_app.extensions["gatepost.api_v1_failures"], request.remote_addr or "?"
    if not failures.allowed(None, address):
        seconds = failures.retry_after(None, address)
        message = RATE_LIMITED.format(seconds=seconds, attempts=failures.per_address.amount)
        return error_response([(429, message)], 429, {"Retry-After": str(seconds)})
    return None


@blueprint.after_request
def _count_failed_authentication(response):
    if response.status_code == 401:
        current_app.extensions["gatepost.api_v1_failures"].failed(None, request.remote_addr or "?")
    return response


def init_app(app: Flask, rate_limit: str, storage_uri: str) -> Limiter:
    """Register the resources with a per-key rate limit (`storage_uri`: memory:// or redis://)."""
    from api_v1 import email, events, openapi, webhooks  # noqa: F401  (registers the routes)

    limiter = Limiter(_rate_key, app=app, storage_uri=storage_uri, headers_enabled=True,
                      key_prefix="gatepost")
    limiter.limit(rate_limit)(blueprint)
    settings = config.current()
    app.extensions["gatepost.api_v1_failures"] = accounts.FailedLogins(
        storage_uri, settings.login_failures_per_user, settings.auth_failures_per_address, "api-v1")

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        current = limiter.current_limit
        seconds = max(1, int(current.reset_at - time.time())) if current else 60
        message = RATE_LIMITED.format(seconds=seconds, attempts=exc.limit.limit.amount)
        return error_response([(429, message)], 429, {"Retry-After": str(seconds)})

    app.register_blueprint(blueprint)
    return limiter
