"""Moving-window counters (the `limits` library) on the configured storage: memory:// within one
process, redis:// shared by every process of an installation. One limiter per storage URI."""
from __future__ import annotations

import functools
import time

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

import config


class InlineExpiryMemoryStorage(MemoryStorage):
    """memory:// (for api_v1.budget too) without a thread per request: the stock storage starts a
    timer thread 10 ms after each use to drop expired moving-window entries, so under load every
    request started a thread. Here they are dropped inline, at most once a second (they only
    bound memory: the window check reads entry times; counters expire when read)."""
    STORAGE_SCHEME = ["memory"]  # replaces the stock class for memory:// URIs

    def _MemoryStorage__schedule_expiry(self) -> None:  # the private hook the stock methods call
        now = time.monotonic()
        if now >= getattr(self, "_next_expiry", 0.0):
            self._next_expiry = now + 1.0
            self._MemoryStorage__expire_events()


@functools.cache
def _limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def hit(limit: RateLimitItem, *identifiers: str) -> bool:
    """Count one against `limit` for `identifiers`; False (and nothing counted) when over it."""
    return _limiter(config.current().ratelimit_storage).hit(limit, "gatepost", *identifiers)


def per_second(rate: int, burst: int) -> RateLimitItem:
    """`rate` a second on average, with up to `burst` at once: `burst` per burst/rate seconds."""
    burst = max(burst, rate)
    return RateLimitItemPerSecond(burst, max(1, round(burst / rate)))


def hit_with_stats(limit: RateLimitItem, *identifiers: str, cost: int = 1) -> tuple[bool, int, int]:
    """Like `hit` (counting `cost` at once), also answering what a client is told: (allowed,
    remaining, seconds until the window frees a request) — for X-RateLimit-Remaining and
    Retry-After."""
    limiter = _limiter(config.current().ratelimit_storage)
    allowed = limiter.hit(limit, "gatepost", *identifiers, cost=cost)
    stats = limiter.get_window_stats(limit, "gatepost", *identifiers)
    return allowed, stats.remaining, max(1, int(stats.reset_time - time.time()) + 1)


def retry_after(limit: RateLimitItem, *identifiers: str) -> int:
    """Seconds until `limit` for `identifiers` has room again (at least 1)."""
    stats = _limiter(config.current().ratelimit_storage).get_window_stats(limit, "gatepost", *identifiers)
    return max(1, int(stats.reset_time - time.time()) + 1)


@functools.cache
def parsed(text: str) -> RateLimitItem:
    """A setting such as "100 per minute", read once."""
    return parse(text)
