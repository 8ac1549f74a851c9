"""Request parameters as Octeth reads them: from the query string, a form (urlencoded or
multipart) or a JSON body, with every key lower-cased at every depth."""
from __future__ import annotations

import functools
import json
import re

from flask import Request
from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate

from models.db import MAX_ID


MAX_DEPTH = 32  # JSON nesting accepted (a send request nests 3 deep); deeper would recurse in every reader


class BadJSON(ValueError):
    pass


def lower_keys(value, fold: bool = True):
    """Keys lower-cased at every depth (unless not `fold`). A string that is not Unicode (a lone
    surrogate, which JSON's \ud800 escapes allow) is refused here: nothing downstream could
    store or send it."""
    if isinstance(value, dict):
        return {(_text(k).lower() if fold else _text(k)): lower_keys(v, fold) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v, fold) for v in value]
    return _text(value) if isinstance(value, str) else value


def _text(value) -> str:
    value = str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJSON() from None
    return value


_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"[0-9]+")  # a list index, as PHP reads one: ASCII digits ("²" is a digit to str.isdigit)


def php_form(pairs) -> dict:
    """Form pairs read as PHP reads them: `To[0][email]=a@b&To[0][name]=A&Tags[]=x` become
    {"To": [{"email": "a@b", "name": "A"}], "Tags": ["x"]}; for a repeated plain key the last
    value wins. A level below the top whose keys are all whole numbers is a list, in the order
    of the numbers; the top level is always the parameters by name (`0=x` is a parameter "0")."""
    root: dict = {}
    for key, value in pairs:
        key = key or ""  # a multipart part without a name
        name, _, rest = key.partition("[")
        path = [name] + _BRACKETS.findall("[" + rest) if rest and name else [key]
        if len(path) > MAX_DEPTH:  # a[b][c]... nests like JSON does, and is bounded the same
            raise BadJSON()
        node = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":  # "Tags[]": the next index
                part = str(sum(1 for k in node if _INDEX.fullmatch(k)))
            if last:
                node[part] = value
            else:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
    return {key: _lists(value) for key, value in root.items()}  # the top level stays named


def _lists(value):
    if not isinstance(value, dict):
        return value
    items = {k: _lists(v) for k, v in value.items()}
    if items and all(_INDEX.fullmatch(k) for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _too_deep(value) -> bool:
    """Nested deeper than MAX_DEPTH, found without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def request_params(request: Request, fold_case: bool = True) -> dict:
    """Query string, then the body on top, both read as PHP reads forms. A body that looks like
    JSON is read as JSON whatever its Content-Type (curl -d '{...}' sends it as a form, and the
    Octeth docs do exactly that). Keys are lower-cased, as Octeth reads them, unless not
    `fold_case` (a dialect whose values hold case-sensitive keys: template variables, headers)."""
    params = php_form(request.args.items(multi=True))
    raw = request.get_data(cache=True)
    if request.is_json or raw.lstrip()[:1] == b"{":
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                raise BadJSON() from None
            if not isinstance(body, dict) or _too_deep(body):
                raise BadJSON()
            params.update(body)
    else:
        params.update(php_form(request.form.items(multi=True)))
    return lower_keys(params, fold_case)


@functools.cache
def schema(cls: type[Schema]) -> Schema:
    """One instance per schema class: loading keeps no state on it, and making one took as long
    as a send request's own validation."""
    return cls()


class Params(Schema):
    """Base of every command schema: fields are declared in Octeth's spelling and read from the
    lower-cased key; anything else in the request (Command, SessionID, ...) is ignored."""

    class Meta:
        unknown = EXCLUDE

    def on_bind_field(self, field_name, field_obj):
        field_obj.data_key = (field_obj.data_key or field_name).lower()


class AllParams(Params):
    """For a command that reads its request itself (EmailGateway.SendEmail): every key passes."""

    class Meta:
        unknown = INCLUDE


class Flag(fields.Field):
    """A lenient 0/1 switch, as PHP reads one: 1, "1", "true", "yes", "on", true are on; an
    empty value or null means "not given" (None). It never fails, so it needs no error code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or value == "":
            return None
        return str(value).strip().lower() in ("1", "true", "yes", "on")


BIGINT = MAX_ID  # what every backend's BIGINT holds: a larger number is invalid, not a 500


def Integer(minimum: int = 0, maximum: int = BIGINT, **kwargs) -> fields.Integer:
    """A whole number, given as a number or a numeric string, within what the database holds."""
    return fields.Integer(strict=False, validate=validate.Range(min=minimum, max=maximum), **kwargs)


class IDField(fields.Integer):
    """A row ID, taken as a number or a numeric string (the seed sends both: 123 and "123").
    Its own class so the registry can require every command to say what an unreadable one
    answers: present but not an ID is "invalid or not found", never "missing"."""


def ID(**kwargs) -> IDField:
    return IDField(strict=False, validate=validate.Range(min=1, max=BIGINT), **kwargs)


def Text(**kwargs) -> fields.String:
    if kwargs.get("required"):
        kwargs.setdefault("validate", validate.Length(min=1))
    return fields.String(**kwargs)
