"""The SMTP-provider blueprint and what its routes share: the bearer token (Sanctum's
`<id>|<token>`), parameters read through Laravel-style rules, the `user_id` that must be the
token's user, and the envelopes: {"success": true, "data": {...}}, {"success": false, "data":
[messages]} (422 validation, 403 wrong user id, 404/409/429/503 where those fit), and 401
{"message": "Unauthenticated."} as Laravel's auth:sanctum middleware answers."""
from __future__ import annotations

import datetime

from flask import Blueprint, jsonify, request
from marshmallow import ValidationError

import config

from dialects.smtpprovider.rules import Rules, Whole, messages
from edge.errors import Declared, Refusal
from edge.params import BadJSON, request_params, schema
from models import User
from services import credentials, rate_limits, secrets
from services.errors import AuthenticationFailed

blueprint = Blueprint("smtpprovider", __name__, url_prefix="/api")
KIND = "smtpprovider"
UNAUTHENTICATED = "Unauthenticated."
WRONG_USER = "Wrong user id: it must be the id of the token's user."
BAD_JSON = "The request body is not valid JSON."
THROTTLED = "Too Many Attempts."


class AnyUser(Rules):
    """A call where the seed leaves user_id optional: checked only when it is given."""
    user_id = Whole()


class ForUser(Rules):
    user_id = Whole(required=True)


class Unauthenticated(Exception):
    """No token, or one that is unknown, revoked or of a disabled user."""


@blueprint.errorhandler(Unauthenticated)
def _unauthenticated(exc):
    return jsonify({"message": UNAUTHENTICATED}), 401


@blueprint.errorhandler(Refusal)
def _refused(exc: Refusal):
    return failure([message for _, message in exc.errors], exc.status, exc.headers)


@blueprint.before_request
def _throttle():
    """Laravel's throttle:api: GATEPOST_API_RATE_LIMIT requests per token (per address without
    one), a budget of this dialect's own; over it, 429 with Retry-After."""
    limit = rate_limits.parsed(config.current().api_rate_limit)
    presented = request.headers.get("Authorization", "")
    key = "token:" + secrets.lookup_hash(presented) if presented else "ip:" + (request.remote_addr or "")
    if rate_limits.hit(limit, "smtpprovider", key):
        return None
    headers = {"Retry-After": str(rate_limits.retry_after(limit, "smtpprovider", key)),
               "X-RateLimit-Limit": str(limit.amount), "X-RateLimit-Remaining": "0"}
    return jsonify({"message": THROTTLED}), 429, headers


def ok(**data):
    return jsonify({"success": True, "data": data})


def failure(texts: list[str], status: int, headers: dict | None = None):
    response = jsonify({"success": False, "data": texts})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def params() -> dict:
    """The query string and the body (JSON or a form) together, as Laravel's $request->input()."""
    try:
        return request_params(request)
    except BadJSON:
        raise Refusal(("json", BAD_JSON), status=400) from None


def token_user() -> User:
    """The user of the presented token. Sanctum's `<id>|<token>` is checked whole (the id must be
    the token's); a bare token is looked up alone, as Sanctum does."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        raise Unauthenticated()
    ident, bar, secret = header[7:].strip().partition("|")
    if not bar:
        ident, secret = "", ident
    try:
        row = credentials.authenticate(KIND, secret)
    except AuthenticationFailed:
        raise Unauthenticated() from None
    if bar and ident != str(row.id):
        raise Unauthenticated()
    return row.user


def validated(rules: type[Rules], values: dict) -> dict:
    try:
        return schema(rules).load(values)
    except ValidationError as exc:
        raise Refusal(*(("validation", text) for text in messages(exc))) from None


def read(rules: type[Rules]) -> tuple[User, dict]:
    """(the token's user, the validated parameters): 401, then 422, then 403 for a user_id that
    is not the token's user, in the order Laravel's middleware, form request and controller run."""
    user = token_user()
    data = validated(rules, params())
    if data.get("user_id") is not None and data["user_id"] != user.id:
        raise Refusal(("user_id", WRONG_USER), status=403)
    return user, data


def invalid(field: str, cause) -> Declared:
    """Laravel's `exists` failure for `field`, as a declaration for a not-found domain error."""
    return Declared(cause, field, 422, f"The selected {field.replace('_', ' ')} is invalid.")


def stamp(moment: datetime.datetime | None) -> str | None:
    """Laravel's JSON dates: 2026-05-06T18:00:00.000000Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None
