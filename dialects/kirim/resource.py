"""The Kirim.Email blueprint and what its routes share: the request reader (query, form,
multipart or JSON, keys kept as sent: template variables and headers are case-sensitive),
HTTP Basic authentication, the envelope and the error shape.

Success: `{"success": true, "message"?, "data"?}`. Errors: the guide's `{"success": false,
"error": {"code", "message"}}` with the reference's `message` beside it (what the SDKs read);
422 adds the reference's per-field `errors` (`{"domain": ["..."]}`): a 422 Refusal's codes are
the failing fields' names.
"""
from __future__ import annotations

import datetime

from flask import Blueprint, jsonify, request

from edge.errors import Refusal
from edge.params import BadJSON, request_params
from models import SenderDomain, User
from services import accounts, credentials, domains, smtp_credentials
from services.errors import AuthenticationFailed, DomainNotFound, InvalidDomainName

blueprint = Blueprint("kirim", __name__, url_prefix="/api")
VALIDATION_FAILED = "Validation failed."
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "payload_too_large", 429: "rate_limited", 500: "server_error",
         503: "service_unavailable"}


def ok(data=None, message: str | None = None, status: int = 200, **extra):
    body = {"success": True}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    response = jsonify({**body, **extra})
    response.status_code = status
    return response


def error_response(status: int, code: str, message: str, headers: dict | None = None, errors: dict | None = None):
    body = {"success": False, "message": message, "error": {"code": code, "message": message}}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Basic realm="Kirim.Email"')
    return response


@blueprint.errorhandler(Refusal)
def _refused(exc: Refusal):
    if exc.status == 422:
        errors: dict[str, list[str]] = {}
        for field, message in exc.errors:
            errors.setdefault(str(field), []).append(message)
        return error_response(422, "validation_failed", VALIDATION_FAILED, exc.headers, errors)
    code, message = exc.errors[0]
    return error_response(exc.status, str(code), message, exc.headers)


def invalid(field: str, message: str) -> Refusal:
    return Refusal((field, message), status=422)


def params() -> dict:
    """Query string, then the body (JSON whatever its Content-Type when it looks like JSON, else
    a form read as PHP reads one: `variables[name]=x`, `to[]=a`), keys as sent."""
    try:
        return request_params(request, fold_case=False)
    except BadJSON:
        raise Refusal(("invalid_json", "The request body must be a JSON object (or a form)"), status=400) from None


def text(values: dict, key: str, *, required: bool = False, default: str = "", limit: int = 100_000) -> str:
    value = values.get(key)
    if value is None or value == "":
        if required:
            raise invalid(key, f"The {key} field is required.")
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise invalid(key, f"The {key} field must be a string.")
    value = str(value)
    if len(value) > limit:
        raise invalid(key, f"The {key} field must not be greater than {limit} characters.")
    return value


def integer(values: dict, key: str, default: int, minimum: int, maximum: int) -> int:
    value = values.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise invalid(key, f"The {key} field must be an integer.") from None
    if not minimum <= number <= maximum:
        raise invalid(key, f"The {key} field must be between {minimum} and {maximum}.")
    return number


def flag(values: dict, key: str) -> bool | None:
    value = values.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise invalid(key, f"The {key} field must be true or false.")


def paging(values: dict, default_limit: int = 10, max_limit: int = 100) -> tuple[int, int, int]:
    """(page, limit, offset) from `page` and `limit` (or `per_page`)."""
    if values.get("limit") in (None, "") and values.get("per_page") not in (None, ""):
        values = {**values, "limit": values["per_page"]}
    limit = integer(values, "limit", default_limit, 1, max_limit)
    page = integer(values, "page", 1, 1, 10_000_000)
    return page, limit, (page - 1) * limit


def pagination(total: int, page: int, limit: int, offset: int) -> dict:
    return {"total": total, "page": page, "limit": limit, "offset": offset,
            "last_page": max(1, -(-total // limit))}


def row_id(value: str, prefixes: tuple[str, ...], missing: type[Exception]) -> int:
    """A row id as the path gives it: `12`, or the guide's prefixed `cred_12` / `webhook_12`."""
    text_id = str(value or "").strip().lower()
    for prefix in prefixes:
        text_id = text_id.removeprefix(prefix)
    if not text_id.isdigit() or not 0 < int(text_id) < 2**63:
        raise missing()
    return int(text_id)


def _basic() -> tuple[str, str]:
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or not auth.password:
        raise Refusal(("unauthorized", "Missing or invalid Basic authentication (username:api-key)"), status=401)
    return auth.username, auth.password


def _account(username: str, key: str) -> User:
    """The user whose username (their email) and key (a `kirim` credential, or their Octeth
    API key) these are."""
    try:
        user = credentials.authenticate("kirim", key).user
    except AuthenticationFailed:
        try:
            user = accounts.user_by_api_key(key)
        except AuthenticationFailed:
            user = None
    if user is None or user.email.lower() != username.strip().lower():
        raise AuthenticationFailed()
    return user


def account() -> User:
    try:
        return _account(*_basic())
    except AuthenticationFailed:
        raise Refusal(("unauthorized", "Invalid username or API key"), status=401) from None


def sender(domain_name: str) -> tuple[User, SenderDomain]:
    """Send calls: the account's Basic credentials, or an SMTP credential of this very domain
    (`smtp_user:smtp_password`, as the guide's send examples present)."""
    username, key = _basic()
    try:
        user = _account(username, key)
    except AuthenticationFailed:
        try:
            row = smtp_credentials.authenticate(username, key)
        except AuthenticationFailed:
            raise Refusal(("unauthorized", "Invalid username, API key or SMTP password"), status=401) from None
        if not row.domain.user.is_enabled:
            raise Refusal(("unauthorized", "The account is disabled"), status=401) from None
        try:
            same = domains.normalize_name(domain_name) == row.domain.name
        except InvalidDomainName:
            same = False
        if not same:
            raise Refusal(("forbidden", "This SMTP credential belongs to another domain"), status=403) from None
        return row.domain.user, row.domain
    return user, domain_of(user, domain_name)


def account_domain(name: str) -> tuple[User, SenderDomain]:
    """The calling account and its domain of this name (404 when it has none)."""
    user = account()
    return user, domain_of(user, name)


def domain_of(user: User, name: str) -> SenderDomain:
    try:
        return domains.by_name(user, name)
    except DomainNotFound:
        raise Refusal(("domain_not_found", "Domain not found or you do not own this domain"), status=404) from None


def unix(moment) -> int | None:
    return int(moment.replace(tzinfo=datetime.UTC).timestamp()) if moment else None


def iso(moment) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
