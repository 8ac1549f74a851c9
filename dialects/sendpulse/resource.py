"""The SendPulse blueprint and what its routes share: the request's parameters as SendPulse's
clients send them, the bearer-token account, and its error shape `{"error_code", "message"}`.

Clients send parameters four ways, all read here: a JSON body; a form; pysendpulse's GET with a
whole url-encoded JSON object as the query string (`/smtp/emails?%7B%22limit%22:%2010%7D`); the
Node SDK's GET with a JSON body. Values that are themselves documents (`email`, `emails`) come as
objects, as JSON-encoded strings (pysendpulse) or PHP-serialized strings (the Node SDK)."""
from __future__ import annotations

import json
import urllib.parse

import phpserialize
from flask import Blueprint, g, jsonify, request
from limits import parse as parse_limit

import config
from edge.errors import Refusal
from edge.params import MAX_DEPTH, BadJSON, php_form
from services import credentials, rate_limits
from services.errors import AuthenticationFailed

blueprint = Blueprint("sendpulse", __name__)
TOKEN_KIND = "sendpulse-token"
PUBLIC_PATHS = ("/oauth/access_token",)

# SendPulse's own codes; the others are the HTTP status, as its API answers them.
NO_DATA, NO_SENDER, NO_RECIPIENTS, NO_CONTENT = 8, 10, 11, 13
NUL_TEXT = "A NUL character is not allowed in any value"  # PostgreSQL cannot store or compare one


def error_response(code: int, message: str, status: int, headers: dict | None = None):
    response = jsonify({"error_code": code, "message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@blueprint.errorhandler(Refusal)
def _refused(exc: Refusal):
    code, message = exc.errors[0]
    return error_response(code, message, exc.status, exc.headers)


def refuse(code: int, message: str, status: int = 400) -> Refusal:
    return Refusal((code, message), status=status)


@blueprint.before_request
def _authenticate():
    """Every call but the token endpoint takes `Authorization: Bearer <token>`; an unknown or
    expired token is a 401 (the SDKs then fetch a new token and retry once). Then the account's
    request budget (GATEPOST_SENDPULSE_RATE_LIMIT)."""
    if "\x00" in request.path:
        return error_response(400, NUL_TEXT, 400)
    if request.path in PUBLIC_PATHS:
        return None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    try:
        g.sendpulse = credentials.authenticate(TOKEN_KIND, token)
    except AuthenticationFailed:
        return error_response(401, "Unauthorized: the access token is missing, unknown or expired", 401)
    limit = parse_limit(config.current().sendpulse_rate_limit)
    if not rate_limits.hit(limit, "sendpulse", str(g.sendpulse.user_id)):
        return error_response(429, "Too many requests", 429, {"Retry-After": str(max(1, limit.get_expiry()))})
    return None


def user():
    return g.sendpulse.user


def token_domain():
    """The one sender domain the client credential was issued for, if any (None: all the user's)."""
    return g.sendpulse.domain if g.sendpulse.domain_id else None


def _document(text: str):
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise refuse(NO_DATA, "No data: the body is not valid JSON") from None
    if _depth(value) > MAX_DEPTH:
        raise refuse(NO_DATA, "No data: the JSON nests too deep")
    return value


def _depth(value, depth: int = 1) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and value and depth <= MAX_DEPTH:
        return max(_depth(v, depth + 1) for v in value)
    return depth


def params() -> dict:
    """Query string, then the body on top, with keys as sent (attachment names and template
    variables keep their case)."""
    query = urllib.parse.unquote_plus(request.query_string.decode("latin-1"))
    if query.lstrip().startswith("{"):  # pysendpulse: the whole query is one JSON object
        found = _document(query)
        values = found if isinstance(found, dict) else {}
    else:
        values = _form(request.args.items(multi=True))
    raw = request.get_data(cache=True)
    if raw.strip() and (request.is_json or raw.lstrip()[:1] in (b"{", b"[")):
        body = _document(raw.decode("utf-8", "replace"))
        if not isinstance(body, dict):
            raise refuse(NO_DATA, "No data: the body must be a JSON object")
        values.update(body)
    elif raw.strip() or request.files:
        values.update(_form(request.form.items(multi=True)))
    return _without_nul(values)


def _without_nul(value):
    """The value itself; refused when any string in it (keys too) holds a NUL."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and "\x00" in item:
            raise refuse(400, NUL_TEXT)
    return value


def _form(pairs) -> dict:
    try:
        return php_form(pairs)
    except BadJSON:
        raise refuse(NO_DATA, "No data: the form nests too deep") from None


def _php_lists(value):
    """A PHP array with keys 0..n-1 is a list; keys and strings arrive as bytes-free text."""
    if isinstance(value, dict):
        items = {str(k): _php_lists(v) for k, v in value.items()}
        if items and sorted(items) == sorted(str(i) for i in range(len(items))):
            return [items[str(i)] for i in range(len(items))]
        return items
    return value


def structured(value, what: str):
    """A document parameter: an object or list, or a string holding one as JSON or PHP-serialized
    (`a:2:{...}`); None when absent or empty. Anything else is refused as "no data"."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text[:2] in ("a:", "O:") and text.endswith("}"):
            try:
                value = _php_lists(phpserialize.loads(text.encode("utf-8"), decode_strings=True))
            except (ValueError, TypeError, IndexError, UnicodeDecodeError, RecursionError):
                raise refuse(NO_DATA, f"No data: {what} is not a readable serialized array") from None
        else:
            value = _document(text)
    if not isinstance(value, (dict, list)):
        raise refuse(NO_DATA, f"No data: {what} must be an object or an array")
    return _without_nul(value)


def integer(values: dict, name: str, default: int, maximum: int) -> int:
    raw = values.get(name)
    if raw in (None, ""):
        return default
    try:
        number = int(str(raw).strip())
    except ValueError:
        raise refuse(400, f"{name} must be a whole number") from None
    if number < 0:
        raise refuse(400, f"{name} must not be negative")
    return min(number, maximum) or default
