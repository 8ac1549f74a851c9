"""POST /oauth/access_token: OAuth2 client credentials (a `sendpulse` credential's client_id and
client_secret) for a one-hour bearer token, answered as SendPulse does, errors in OAuth's own
shape (the Node SDK looks for `error: "invalid_client"`). Failed attempts are counted per client
address (GATEPOST_AUTH_FAILURES_PER_ADDRESS) and per client id, as logins are."""
from __future__ import annotations

from flask import current_app, jsonify, request

from dialects.sendpulse.resource import TOKEN_KIND, blueprint, params
from services import accounts, credentials
from services.errors import AuthenticationFailed

CLIENT_KIND = "sendpulse"
FAILURES = "gatepost.sendpulse_failures"


def init_app(app, settings) -> None:
    app.extensions[FAILURES] = accounts.FailedLogins(
        settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address, "sendpulse")


def _oauth_error(error: str, description: str, status: int, headers: dict | None = None):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@blueprint.post("/oauth/access_token")
def access_token():
    values = params()
    if str(values.get("grant_type") or "") != "client_credentials":
        return _oauth_error("unsupported_grant_type", "The grant type must be client_credentials", 400)
    client_id, secret = str(values.get("client_id") or ""), str(values.get("client_secret") or "")
    failures, address = current_app.extensions[FAILURES], request.remote_addr or "?"
    if not failures.allowed(client_id, address):
        seconds = failures.retry_after(client_id, address)
        return _oauth_error("invalid_client", f"Too many failed attempts; try again in {seconds} seconds", 429,
                            {"Retry-After": str(seconds)})
    try:
        client = credentials.authenticate(CLIENT_KIND, secret, client_id)
    except AuthenticationFailed:
        failures.failed(client_id, address)
        return _oauth_error("invalid_client", "Client authentication failed", 401)
    _, shown = credentials.issue(client.user, TOKEN_KIND, domain=client.domain if client.domain_id else None,
                                 parent=client)
    return jsonify(shown)
