"""What every AutoRelay resource shares: the blueprint, the key, the request budget, reading a
JSON body and a page, and the error shape.

Errors (the seed defines none): `{"error": {"code": "<word>", "message": "<text for people>"}}`
with the HTTP status saying the class: 400 bad_request / invalid_json, 401 missing_api_key /
invalid_api_key, 403 account_disabled / domain_not_found / domain_not_verified, 404 not_found,
405 method_not_allowed, 409 conflict / recipient_suppressed, 413 payload_too_large, 422
validation_error, 429 rate_limit_exceeded / send_limit_reached (with Retry-After), 500
internal_error, 503 service_unavailable.

Rate limits: requests a minute per key by the plan of the user's group (a group named
Professional: 500, Enterprise: 2000, any other: Starter's 100); failed authentications count per
client address (GATEPOST_AUTH_FAILURES_PER_ADDRESS), and an address over it is answered 429.
"""
from __future__ import annotations

import json

from flask import Blueprint, current_app, g, jsonify, request
from limits import RateLimitItemPerMinute
from marshmallow import Schema, ValidationError

from edge.errors import Refusal
from edge.params import schema as params_schema
from services import accounts, credentials, rate_limits
from services.errors import AuthenticationFailed

blueprint = Blueprint("autorelay", __name__, url_prefix="/api/v1")
PLANS = {"starter": 100, "professional": 500, "enterprise": 2000}  # requests a minute per key
FAILURES = "gatepost.autorelay_failures"
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "payload_too_large", 422: "validation_error", 429: "rate_limit_exceeded",
         500: "internal_error", 503: "service_unavailable"}
MAX_LIMIT = 100


def error_response(status: int, code: str | None, message: str, headers: dict | None = None):
    response = jsonify({"error": {"code": code or CODES.get(status, "error"), "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def refused(exc: Refusal):
    code, message = exc.errors[0]
    return error_response(exc.status, str(code), message, exc.headers)


blueprint.register_error_handler(Refusal, refused)


def init_app(app, settings) -> None:
    app.extensions[FAILURES] = accounts.FailedLogins(
        settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address, "autorelay")


def plan_limit(user) -> int:
    return PLANS.get(user.group.name.strip().lower(), PLANS["starter"])


@blueprint.before_request
def authenticate():
    """The key of this request (g.autorelay_key, with its user), within its budget; else a Refusal."""
    failures, address = current_app.extensions[FAILURES], request.remote_addr or "?"
    if not failures.allowed(None, address):
        seconds = failures.retry_after(None, address)
        raise Refusal(("rate_limit_exceeded", f"Too many failed authentications; retry in {seconds} seconds"),
                      status=429, headers={"Retry-After": str(seconds)})
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer " or not header[7:].strip():
        failures.failed(None, address)
        raise Refusal(("missing_api_key", "Missing API key: send Authorization: Bearer sk_live_..."), status=401)
    try:
        key = credentials.authenticate("autorelay", header[7:].strip())
    except AuthenticationFailed:
        failures.failed(None, address)
        raise Refusal(("invalid_api_key", "Invalid API key, revoked, or its account is disabled"), status=401) from None
    per_minute = plan_limit(key.user)
    limit = RateLimitItemPerMinute(per_minute)
    if not rate_limits.hit(limit, "autorelay", key.secret_hash):
        seconds = rate_limits.retry_after(limit, "autorelay", key.secret_hash)
        raise Refusal(("rate_limit_exceeded", f"Rate limit of {per_minute} requests a minute exceeded; "
                                              f"retry in {seconds} seconds"),
                      status=429, headers={"Retry-After": str(seconds)})
    g.autorelay_key = key


def key():
    """The request's credential (services.credentials), with its user."""
    return g.autorelay_key


def user():
    return g.autorelay_key.user


def body() -> dict:
    """The JSON object of the request (an empty body is an empty object)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refusal(("invalid_json", "The request body is not valid JSON"), status=400) from None
    if not isinstance(value, dict):
        raise Refusal(("invalid_json", "The request body must be a JSON object"), status=400)
    return value


def load(schema: type[Schema], values: dict) -> dict:
    """Validate; every failing field is named in one 422 validation_error."""
    try:
        return params_schema(schema).load(values)
    except ValidationError as exc:
        raise Refusal(("validation_error", "Invalid request: " + "; ".join(_messages(exc.messages))),
                      status=422) from None


def _messages(messages, path: tuple[str, ...] = ()) -> list[str]:
    """marshmallow's nested messages as "field.0.name: text" lines."""
    if isinstance(messages, dict):
        return [m for key, value in messages.items()
                for m in _messages(value, path if key == "_schema" else (*path, str(key)))]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{'.'.join(path)}: {' '.join(messages)}" if path else " ".join(messages)]
    return [m for item in messages for m in _messages(item, path)]


def paging(default_limit: int) -> tuple[int, int, int]:
    """(page, limit, offset) from ?page= and ?limit= (1..100)."""
    values = {}
    for name, default, top in (("page", 1, 10**9), ("limit", default_limit, MAX_LIMIT)):
        raw = request.args.get(name, "")
        try:
            values[name] = int(raw) if raw.strip() else default
        except ValueError:
            values[name] = 0
        if not 1 <= values[name] <= top:
            raise Refusal(("validation_error", f"Invalid request: {name} must be a whole number from 1 to {top}"),
                          status=422)
    return values["page"], values["limit"], (values["page"] - 1) * values["limit"]
