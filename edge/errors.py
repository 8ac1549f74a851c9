"""Errors of the REST dialects, declared as data: a route states beside itself which domain
error becomes which code, message and HTTP status in its dialect, as /api.php commands do at
their registration. A domain error no declaration names propagates: it is a bug, answered as
the dialect's 500 by the app, never guessed into a refusal."""
from __future__ import annotations

import dataclasses
import functools

from services.errors import GatewayError


@dataclasses.dataclass(frozen=True)
class Declared:
    """`cause` (a services.errors class) answers `code` with HTTP `status`; `message` None means
    the domain error's own message, which is written to be shown to the client."""
    cause: type[GatewayError]
    code: int | str
    status: int
    message: str | None = None


class Refusal(Exception):
    """A request refused in a dialect's terms: every (code, message) found, and the HTTP status.
    Each dialect renders it in its own shape (its blueprint's error handler)."""

    def __init__(self, *errors: tuple[int | str, str], status: int = 422, headers: dict | None = None):
        super().__init__(errors)
        self.errors, self.status, self.headers = errors, status, headers or {}


def refusal_for(exc: GatewayError, declared: tuple[Declared, ...]) -> Refusal | None:
    """The first declaration matching `exc`, as a Refusal; None when none does."""
    for d in declared:
        if isinstance(exc, d.cause):
            return Refusal((d.code, d.message or str(exc)), status=d.status)
    return None


def declares(*declared: Declared):
    """Decorate a view: the domain errors it may raise, and what each becomes."""
    def wrap(view):
        @functools.wraps(view)
        def run(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except GatewayError as exc:
                refusal = refusal_for(exc, declared)
                if refusal is None:
                    raise
                raise refusal from None
        run.declared = declared
        return run
    return wrap
