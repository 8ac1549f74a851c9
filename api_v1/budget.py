"""One request budget per presented key across the /api/v1 resources (GATEPOST_API_RATE_LIMIT),
as Octeth counts it: each of its limits in fixed windows, counted before the blueprint's own
checks, with X-RateLimit-Limit, -Remaining, -Reset and Retry-After on every answer of the
blueprint. Flask-Limiter did this before, with the same counters (storage keys
LIMITER/gatepost/<key>/api_v1/...) and the same headers and answers; it worked out on every
request which of its limits applied, a tenth of an accept."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from api_v1.resource import RATE_LIMITED, blueprint, error_response, presented_key
from services import rate_limits, secrets  # noqa: F401  (rate_limits: the memory:// storage without timer threads)

log = logging.getLogger(__name__)
SCOPE = "api_v1"
RATE_LIMITED_TEXTS = {"api_v1.get_events": "Too many requests. Please wait for {seconds} seconds before trying again."}


class KeyBudget:
    def __init__(self, settings):
        self.limits = sorted(parse_many(settings.api_rate_limit), key=lambda limit: limit.GRANULARITY.seconds)
        self.counter = FixedWindowRateLimiter(storage_from_string(settings.ratelimit_storage))

    def init_app(self, app: Flask) -> None:
        """First of the blueprint's checks; its headers after the blueprint's own after-request
        hooks (they run in reverse), before the app's."""
        app.before_request_funcs.setdefault(blueprint.name, []).insert(0, self.count)
        app.after_request_funcs.setdefault(blueprint.name, []).insert(0, self.add_headers)

    def count(self):
        """Count this request against each limit, the shortest window first, up to the first it
        is over: that one is answered 429 and shown in the headers, else the shortest."""
        key = ("gatepost", _rate_key(), SCOPE)
        g.rate_limit = self.limits[0], key, None
        for limit in self.limits:
            if not self.counter.hit(limit, *key):
                log.info("ratelimit %s (%s) exceeded at endpoint: %s", limit, key[1], SCOPE)
                window = self.counter.get_window_stats(limit, *key)
                g.rate_limit = limit, key, window
                seconds = _seconds_left(window)
                text = RATE_LIMITED_TEXTS.get(request.endpoint, RATE_LIMITED)
                return error_response([(429, text.format(seconds=seconds, attempts=limit.amount))], 429,
                                      {"Retry-After": str(seconds)})
        return None

    def add_headers(self, response):
        if "rate_limit" not in g:
            return response
        limit, key, window = g.rate_limit
        window = window or self.counter.get_window_stats(limit, *key)
        reset_at = int(window.reset_time + 1)
        response.headers.add("X-RateLimit-Limit", str(limit.amount))
        response.headers.add("X-RateLimit-Remaining", str(window.remaining))
        response.headers.add("X-RateLimit-Reset", str(reset_at))
        # an answer's own Retry-After stands when it is no sooner (the 429 above gave its text the
        # same figure: counted again a moment later it could be a second less)
        given, left = response.headers.get("Retry-After"), _seconds_left(window)
        if given is None or int(given) < left:
            response.headers.set("Retry-After", str(left))
        return response


def _seconds_left(window) -> int:
    """Whole seconds until `window` resets, at least 1."""
    return max(1, int(window.reset_time + 1 - time.time()))


def _rate_key() -> str:
    key = presented_key()
    return "key:" + secrets.lookup_hash(key) if key else "ip:" + (request.remote_addr or "")
