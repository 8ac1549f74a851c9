"""Sender keys as last read (the key row with its domain, owner and group) and user API keys (the
user with its group, under "user:" + hash), reused for a few seconds: the lookup was a quarter
of an accept's CPU. Whatever changes a key, a domain, an account or a group calls `forget()`,
so a change made in this process counts at once; one made in another process counts within
REMEMBER_SECONDS."""
from __future__ import annotations

import time

REMEMBER_SECONDS = 5.0
LIMIT = 10_000  # distinct keys; beyond it everything is forgotten
_remembered: dict[str, tuple[float, object]] = {}


def recall(digest: str):
    """The row remembered under a key's lookup hash, or None once it is too old."""
    found = _remembered.get(digest)
    return found[1] if found is not None and found[0] > time.monotonic() else None


def remember(digest: str, row) -> None:
    if len(_remembered) >= LIMIT:
        forget()
    _remembered[digest] = (time.monotonic() + REMEMBER_SECONDS, row)


def forget() -> None:
    _remembered.clear()
