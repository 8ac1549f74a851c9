"""POST/GET /api.php: parse, authenticate, validate, dispatch, answer in the envelope.

Handler errors (parameters, auth, permission) answer HTTP 200 with Success false, as Octeth
does; only hard failures (bad JSON 100000, unknown command 100003, crash 100005) use 4xx/5xx.
"""
from __future__ import annotations

import logging

from flask import Blueprint, g, request
from marshmallow import ValidationError

from commands import envelope, registry
from commands.registry import Rejected
from edge.params import BadJSON, request_params, schema
from models.db import UNAVAILABLE
from services import accounts
from services.errors import AuthenticationFailed, GatewayError, PermissionDenied

log = logging.getLogger(__name__)
blueprint = Blueprint("api_php", __name__)

AUTH_FAILED = (99998, "Authentication failure or session expired")


@blueprint.route("/api.php", methods=["GET", "POST"])
def api_php():
    try:
        params = request_params(request)
    except BadJSON:
        return envelope.render(envelope.hard_failure(100000, "Invalid JSON request body"), 400)
    xml = params.get("responseformat") == "XML"  # case-sensitive, as in Octeth
    name = str(params.get("command") or "")
    try:
        command = registry.lookup(name)
        g.command = command.name
    except registry.UnknownCommand:
        return envelope.render(envelope.hard_failure(100003, f'Invalid API command: "{name}" not found.'), 400, xml)
    try:
        answer = run(command, params)
        if isinstance(answer, envelope.Download):
            return envelope.download(answer)
        return envelope.render(envelope.success(answer), xml=xml)
    except Rejected as r:
        return envelope.render({**envelope.failure(r.code, r.text, r.detail, command.error_list), **r.extra}, xml=xml)
    except UNAVAILABLE:
        raise  # the app answers 503 with Retry-After
    except Exception:
        log.exception("command %s failed", command.name)
        return envelope.render(envelope.hard_failure(100005, "API command failed"), 500, xml)


def run(command: registry.Command, params: dict) -> dict:
    user = authenticate(params) if command.authenticate else None
    if command.permission:
        try:
            accounts.require(user, command.permission)
        except PermissionDenied as exc:
            raise Rejected(99999, str(exc)) from None
    values = validate(command, params)
    try:
        return command.handler(user, values)
    except GatewayError as exc:
        err = command.for_error(exc)
        if err is None:
            raise
        raise Rejected(err.code, err.text, str(exc)) from None


def authenticate(params: dict):
    """SessionID or APIKey: either one that is valid will do."""
    for credential, find in (("sessionid", accounts.user_by_session), ("apikey", accounts.user_by_api_key)):
        if isinstance(params.get(credential), str) and params[credential]:
            try:
                return find(params[credential])
            except AuthenticationFailed:
                continue
    raise Rejected(*AUTH_FAILED)


def validate(command: registry.Command, params: dict) -> dict:
    """Load the command's schema; the first failing parameter, in the order of its codes, answers."""
    try:
        return schema(command.schema).load(params)
    except ValidationError as exc:
        failed = [(key, params.get(key) in (None, "")) for key in map(str.lower, exc.messages)]
        found = [(e, key) for key, missing in failed if (e := command.for_param(key, missing))]
        if not found:
            raise
        err, key = min(found, key=lambda pair: pair[0].code)
        raise Rejected(err.code, err.text) from None
