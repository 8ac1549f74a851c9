"""POST /api/smtp-token-generate {email, password}: a personal access token `<id>|<token>`
(stored only as its keyed hash; `gatepost credentials list|revoke --kind smtpprovider`). Its
answers have their own envelope, {status, message, ...}; failed attempts are counted per
address and per email (429 once over GATEPOST_LOGIN_FAILURES_PER_USER or
GATEPOST_AUTH_FAILURES_PER_ADDRESS)."""
from __future__ import annotations

from flask import current_app, jsonify, request

from dialects.smtpprovider.resource import blueprint, params, validated
from dialects.smtpprovider.rules import Email, Rules, Text
from edge.errors import Refusal
from services import accounts, credentials
from services.errors import InvalidLogin

FAILURES = "gatepost.smtpprovider_failures"
CREATED = "Token Created Successfully"
INVALID = "Invalid email or password"
THROTTLED = "Too many login attempts. Please try again in {seconds} seconds."


class TokenRequest(Rules):
    untrimmed = ("password",)
    email = Email(required=True)
    password = Text(required=True, max_length=None)


def _answer(status: int, message: str, headers: dict | None = None, **more):
    response = jsonify({"status": status == 200, "message": message, **more})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@blueprint.post("/smtp-token-generate")
def generate_token():
    failures, address = current_app.extensions[FAILURES], request.remote_addr or "?"
    try:
        values = validated(TokenRequest, params())
    except Refusal as exc:  # Laravel's message: the first failure, "(and N more errors)"
        texts = [message for _, message in exc.errors]
        more = len(texts) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        return _answer(exc.status, texts[0] + suffix)
    if not failures.allowed(values["email"], address):
        seconds = failures.retry_after(values["email"], address)
        return _answer(429, THROTTLED.format(seconds=seconds), {"Retry-After": str(seconds)})
    try:
        user = accounts.check_password(values["email"], values["password"])
    except InvalidLogin:
        failures.failed(values["email"], address)
        return _answer(401, INVALID)
    _, shown = credentials.issue(user, "smtpprovider", name="smtp-token-generate")
    name = f"{user.first_name} {user.last_name}".strip() or user.email.partition("@")[0]
    return _answer(200, CREATED, token=shown["token"], user={"id": user.id, "name": name, "email": user.email})
