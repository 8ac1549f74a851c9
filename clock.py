"""The one clock. Naive UTC datetimes everywhere inside; tests move it with `shift()`."""
from __future__ import annotations

import datetime

_offset = datetime.timedelta(0)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + _offset


def shift(delta: datetime.timedelta | None = None, **kwargs) -> None:
    """Move the clock forward by `delta` (or timedelta(**kwargs)); shift(None) resets it."""
    global _offset
    _offset = datetime.timedelta(0) if delta is None and not kwargs else _offset + (delta or datetime.timedelta(**kwargs))
