"""The /api/v1 blueprint and what its resources read requests with: parameters, the presented
sender key, schema loading; and its error shape, {"Errors": [{"Code", "Message"}]}."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from marshmallow import Schema, ValidationError

from edge.params import BadJSON, request_params, schema as params_schema
from edge.errors import Declared, Refusal, refusal_for
from services import api_keys
from services.errors import AccountDisabled, GatewayError, InvalidSenderAPIKey

blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")
RATE_LIMITED = "Too many requests. Wait for {seconds} seconds for another {attempts} attempts."


def error_response(errors, status: int, headers: dict | None = None):
    response = jsonify({"Errors": [{"Code": code, "Message": message} for code, message in errors]})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@blueprint.errorhandler(Refusal)
def _refused(exc: Refusal):
    return error_response(exc.errors, exc.status, exc.headers)


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


LARGE_BODY = 64 * 1024


@blueprint.before_request
def _key_before_a_large_body():
    """With the key in the Authorization header, a large body is read only for a valid key: a
    stranger's upload is refused before a byte of it is parsed."""
    if (request.content_length or 0) > LARGE_BODY and request.headers.get("Authorization"):
        try:
            sender_key({})
        except GatewayError as exc:
            raise refusal_for(exc, KEY_ERRORS) or exc from None


def load(schema: type[Schema], values: dict, codes: dict[str, tuple[int, str]],
         unknown: dict[str, type[GatewayError]] | None = None) -> dict:
    """Validate with `schema`; every failing parameter becomes one error, by `codes[param]`.
    A parameter in `unknown` that is given but unreadable (an ID that is no number) names
    nothing: once the rest passes, it raises that not-found error, as an unknown ID would."""
    try:
        return params_schema(schema).load(values)
    except ValidationError as exc:
        failing = [key.lower() for key in exc.messages]
        unreadable = [key for key in failing if key in (unknown or {}) and values.get(key) not in (None, "")]
        if unreadable and len(unreadable) == len(failing):
            raise unknown[unreadable[0]](f"No such {unreadable[0]}") from None
        raise Refusal(*sorted(codes[key] for key in failing if key not in unreadable)) from None
