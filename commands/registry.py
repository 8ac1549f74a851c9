"""Command name -> handler, in a screenful. A command's whole contract is declared where it is
registered: its schema, the permission it needs and its error codes, because the same failure
has different numbers in different Octeth commands (domain not found is 2 in DeleteDomain,
5 in UpdateDomain, 4 in AddWebhook). The dispatcher asks this registry and knows no command."""
from __future__ import annotations

import dataclasses
from typing import Callable

from marshmallow import Schema

from edge.params import Flag, IDField


@dataclasses.dataclass(frozen=True)
class Err:
    """Error `code` with `text`, answered when `cause` happens: a parameter that is missing or
    invalid (`when` narrows it to one of the two), or a service error of that class."""
    code: int
    text: str
    cause: str | type[Exception]
    when: str = "any"  # any | missing | invalid


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    handler: Callable[..., dict]
    schema: type[Schema]
    permission: str | None  # the group permission required, if any
    authenticate: bool  # False only for commands that create a session (User.Login)
    errors: tuple[Err, ...]
    error_list: bool  # ErrorCode as [n] (the seed shows this form for some commands)

    def for_param(self, param: str, missing: bool) -> Err | None:
        for err in self.errors:
            if isinstance(err.cause, str) and err.cause.lower() == param and \
                    err.when in ("any", "missing" if missing else "invalid"):
                return err
        return None

    def for_error(self, exc: Exception) -> Err | None:
        return next((e for e in self.errors if isinstance(e.cause, type) and isinstance(exc, e.cause)), None)


class Rejected(Exception):
    """A handler error: `text` is the command's documented text, `detail` the specific reason."""

    def __init__(self, code: int, text: str, detail: str | None = None, **extra):
        super().__init__(text)
        self.code, self.text, self.detail, self.extra = code, text, detail or text, extra


class UnknownCommand(LookupError):
    pass


_commands: dict[str, Command] = {}


def command(name: str, *, schema: type[Schema], permission: str | None, errors: tuple[Err, ...] = (),
            authenticate: bool = True, error_list: bool = False):
    """Register the decorated `handler(user, params) -> payload` under `name` (case-insensitive).
    Every parameter needs an error code, and every ID one for a present but unusable value
    (when="invalid"): a client that sends "your-api-key-id" gave the ID, wrongly."""
    def register(handler):
        key = name.lower()
        if key in _commands:
            raise ValueError(f"command {name} is registered twice")
        mapped = {e.cause.lower() for e in errors if isinstance(e.cause, str)}
        unmapped = [f for f, field in schema().fields.items() if f.lower() not in mapped and not isinstance(field, Flag)]
        if unmapped:
            raise ValueError(f"{name}: parameters without an error code: {unmapped}")
        invalid = {e.cause.lower() for e in errors if isinstance(e.cause, str) and e.when == "invalid"}
        unsplit = [f for f, field in schema().fields.items() if isinstance(field, IDField) and f.lower() not in invalid]
        if unsplit:
            raise ValueError(f"{name}: IDs without a code for a present but invalid value: {unsplit}")
        _commands[key] = Command(name, handler, schema, permission, authenticate, tuple(errors), error_list)
        return handler
    return register


def lookup(name: str) -> Command:
    try:
        return _commands[(name or "").strip().lower()]
    except KeyError:
        raise UnknownCommand(name) from None
