"""Laravel's validation, as this API's controllers ask for it: rules declared as marshmallow
fields, failures worded as Laravel words them (`The user id field is required.`), in the order
the rules are declared, each naming its attribute as Laravel does (underscores read as spaces,
a nested key as `all request.from email`).

Input is read first as Laravel's middleware reads it: every string trimmed, an empty one null
(TrimStrings, ConvertEmptyStringsToNull), so a blank value is a missing one."""
from __future__ import annotations

import datetime
import re

from marshmallow import EXCLUDE, ValidationError, fields, pre_load

from edge.params import BIGINT, Params
from services.addresses import normalize_address
from services.errors import InvalidAddress

REQUIRED = "The :attribute field is required."
TIMESTAMP = "%Y-%m-%d %H:%M:%S"  # Laravel's Y-m-d H:i:s
_WHOLE = re.compile(r"[+-]?\d+")


class Rules(Params):
    """Base of every request's rules; anything not declared is ignored, as Laravel's validated() does."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "The :attribute field must be an array."}
    untrimmed: tuple[str, ...] = ()  # TrimStrings leaves passwords alone

    @pre_load
    def _as_middleware_reads(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        return {key: _read(value, key in self.untrimmed) for key, value in data.items()}


def _read(value, untrimmed: bool):
    if not isinstance(value, str):
        return value
    value = value if untrimmed else value.strip()
    return value or None


class _Rule(fields.Field):
    """`required` fails for a missing, null or blank value; an optional one may be null."""
    default_error_messages = {"required": REQUIRED, "null": REQUIRED}

    def __init__(self, *, required: bool = False, **kwargs):
        if not required:
            kwargs.setdefault("load_default", None)
        super().__init__(required=required, allow_none=not required, **kwargs)


class Text(_Rule):
    default_error_messages = {"invalid": "The :attribute field must be a string.",
                              "max": "The :attribute field must not be greater than {max} characters."}

    def __init__(self, *, max_length: int | None = 255, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if self.max_length is not None and len(value) > self.max_length:
            raise self.make_error("max", max=self.max_length)
        return value


class Email(Text):
    """Laravel's `email` rule; the value comes back in its ASCII (SMTP) form."""
    default_error_messages = {"email": "The :attribute field must be a valid email address."}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return normalize_address(super()._deserialize(value, attr, data, **kwargs))
        except InvalidAddress:
            raise self.make_error("email") from None


class Whole(_Rule):
    """Laravel's `integer`: a whole number or a string of one (never a bool or 1.5)."""
    default_error_messages = {"invalid": "The :attribute field must be an integer.",
                              "min": "The :attribute field must be at least {min}."}

    def __init__(self, *, minimum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not (isinstance(value, int) or isinstance(value, str) and _WHOLE.fullmatch(value)):
            raise self.make_error("invalid")
        number = int(value)
        if not -BIGINT <= number <= BIGINT:
            raise self.make_error("invalid")
        if self.minimum is not None and number < self.minimum:
            raise self.make_error("min", min=self.minimum)
        return number


class Flag(_Rule):
    """Laravel's `boolean`: true, false, 1, 0, "1" and "0" only."""
    default_error_messages = {"invalid": "The :attribute field must be true or false."}
    VALUES = {True: True, False: False, 1: True, 0: False, "1": True, "0": False}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (dict, list)) or isinstance(value, float) or value not in self.VALUES:
            raise self.make_error("invalid")
        return self.VALUES[value]


class Timestamp(_Rule):
    """`date_format:Y-m-d H:i:s`, read as UTC."""
    default_error_messages = {"invalid": "The :attribute field must match the format Y-m-d H:i:s."}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return datetime.datetime.strptime(value, TIMESTAMP)
        except (TypeError, ValueError):
            raise self.make_error("invalid") from None


class Object(fields.Nested):
    """Laravel's `array` holding keys with rules of their own (`all_request.from_email`)."""
    default_error_messages = {"required": REQUIRED, "null": REQUIRED}

    def __init__(self, rules: type[Rules], *, required: bool = False):
        super().__init__(rules, required=required, allow_none=not required,
                         **({} if required else {"load_default": None}))


def messages(error: ValidationError) -> list[str]:
    """Every failure, worded as Laravel words it, in the order of the rules."""
    return list(_flatten(error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}))


def _flatten(found: dict, path: str = ""):
    for key, value in found.items():
        name = path if key == "_schema" else f"{path}.{key}" if path else str(key)
        if isinstance(value, dict):
            yield from _flatten(value, name)
        else:
            for text in value:
                yield str(text).replace(":attribute", name.replace("_", " "))


def required_with(data: dict, field: str, other: str) -> None:
    """`required_with`: `field` is required when `other` is given."""
    if data.get(other) is not None and data.get(field) is None:
        raise ValidationError(f"The :attribute field is required when {other.replace('_', ' ')} is present.", field)
