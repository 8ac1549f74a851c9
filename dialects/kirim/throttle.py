"""The request budget: per account (the Basic username; per client address without one),
GATEPOST_API_RATE_LIMIT (100 a minute, Kirim.Email's Standard plan). Every answer carries
X-RateLimit-Limit and X-RateLimit-Remaining; a refused one is 429 with Retry-After. Failed
authentications count per client address, as on /api/v1: over
GATEPOST_AUTH_FAILURES_PER_ADDRESS the address is answered 429 until its window passes."""
from __future__ import annotations

from flask import current_app, g, request
from limits import parse as parse_limit

from dialects.kirim.resource import blueprint, error_response
from services import accounts, rate_limits, secrets

FAILURES = "gatepost.kirim_failures"
LIMIT = "gatepost.kirim_limit"
TOO_MANY = "Too many attempts. Please try again later."


def configure(app, settings) -> None:
    app.extensions[LIMIT] = parse_limit(settings.api_rate_limit)
    app.extensions[FAILURES] = accounts.FailedLogins(
        settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address, "kirim")


@blueprint.before_request
def _limit():
    failures, address = current_app.extensions[FAILURES], request.remote_addr or "?"
    if not failures.allowed(None, address):
        seconds = failures.retry_after(None, address)
        return error_response(429, "rate_limited", TOO_MANY, {"Retry-After": str(seconds)})
    auth = request.authorization
    who = "user:" + secrets.lookup_hash(auth.username.strip().lower()) if auth and auth.username else "ip:" + address
    limit = current_app.extensions[LIMIT]
    allowed, remaining, seconds = rate_limits.hit_with_stats(limit, "kirim", who)
    g.kirim_rate = {"X-RateLimit-Limit": str(limit.amount), "X-RateLimit-Remaining": str(remaining)}
    if not allowed:
        return error_response(429, "rate_limited", TOO_MANY, {"Retry-After": str(seconds), **g.kirim_rate})
    return None


@blueprint.after_request
def _count(response):
    if response.status_code == 401:
        current_app.extensions[FAILURES].failed(None, request.remote_addr or "?")
    for name, value in g.get("kirim_rate", {}).items():
        response.headers.setdefault(name, value)
    return response
