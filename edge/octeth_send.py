"""Octeth's send request, read once for both dialects that take it: `POST /api/v1/email` and
`EmailGateway.SendEmail` on /api.php. Codes 1-38 and their texts are the reference's (section 9),
with the newer HTTP statuses; 41-44 are Gatepost's own, for what Octeth documents no code for.

`TemplateID` sends a stored template (the user's own or a system one; int id or uuid) rendered
with `Variables` (an object) and, per recipient, its `name`, `email` and own `variables`:
with several To recipients and no CC/BCC each gets a personalised message of its own, and the
answer is a list of MessageIDs; otherwise it is one message. A `Subject` given with it wins
over the template's. `TargetListID` sends one message to each subscribed contact of the user's
list (the first 250 by address, or the whole list with GATEPOST_SENDEMAIL_FULL_LIST=1),
personalised with the contact's fields, and answers the list of MessageIDs (the reference's
shape); suppressed contacts are passed over. `To` is then optional, CC/BCC refused.

Leniencies over Octeth that no existing integration can trip on: a recipient's `name` may be
omitted, a single {name, email} object is taken as a list of one, `HtmlContent` and
`HTMLContent` are the same key (keys are case-insensitive). Code 1 answers a request with no
key at all, 13 a wrong key. Codes 2 and 34 cannot occur here (an API key always has a domain
and an owner; there is no phone verification).
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import json

from marshmallow import ValidationError, fields, validate, validates_schema

import config
from edge.errors import Declared, Refusal, refusal_for
from edge.params import Flag, Params, schema
from models.db import row_id
from services import addresses, api_keys, contacts, sending, templates
from services.compose import Address, Attachment
from services.errors import (AccountDisabled, ContactListNotFound, DomainNotActive, ForeignSender, GatewayError,
                             HeaderRejected, InvalidAddress, InvalidSenderAPIKey, InvalidTemplate, MessageTooLarge,
                             RecipientSuppressed, SendLimitReached, SendRateExceeded, TemplateInactive,
                             TemplateNotFound, TemplateRenderFailed, TooManyRecipients)

ERRORS = {  # code: (text, HTTP status)
    1: ("Missing SenderAPIKey", 401),
    2: ("Invalid DomainID", 404),
    3: ("From parameter is either missing or invalid. Make sure you pass both name and email address "
        "for the from field", 422),
    8: ("Missing Subject", 422),
    9: ("Missing ContentType", 422),
    10: ("Missing HTMLContent", 422),
    11: ("Missing PlainContent", 422),
    12: ("Invalid or deactivated user account", 403),
    13: ("Invalid SenderAPIKey", 401),
    14: ("Email address is in the suppression list. Email delivery is blocked.", 409),
    15: ("Invalid TemplateID", 422),
    16: ("Invalid TargetListID", 422),
    17: ("Email sending limit reached", 429),
    18: ("Recipient name or email address is missing", 422),
    19: ("Recipient email address is invalid.", 422),
    20: ("There is no recipient set for the email.", 422),
    21: ("CC name or email address is missing", 422),
    22: ("CC email address is invalid.", 422),
    23: ("Invalid from email address format", 422),
    24: ("BCC email addresses must be set as an array", 422),
    25: ("BCC name or email address is missing", 422),
    26: ("BCC email address is invalid.", 422),
    27: ("The number of BCC email addresses exceed the allowed email address count", 422),
    28: ("Reply-To email addresses must be set as an array", 422),
    29: ("Reply-To name or email address is missing", 422),
    30: ("Reply-To email address is invalid.", 422),
    31: ("The number of Reply-To email addresses exceed the allowed email address count", 422),
    32: ("Domain is not activated", 403),
    35: ("Invalid ListID", 422),
    36: ("Invalid SubscriberID", 422),
    37: ("Invalid JourneyID", 422),
    38: ("Invalid ActionID", 422),
    41: ("Invalid attachment", 422),
    42: ("Message too large", 413),
    43: ("Header not allowed", 422),
    44: ("Invalid SendAt", 422),
    429: ("You have exceeded your send rate limits. Please wait before sending another email.", 429),
}
SERVICE_ERRORS = tuple(Declared(cause, code, ERRORS[code][1]) for cause, code in (
    (InvalidSenderAPIKey, 13), (AccountDisabled, 12), (DomainNotActive, 32), (ForeignSender, 3), (RecipientSuppressed, 14),
    (SendLimitReached, 17), (TooManyRecipients, 20), (MessageTooLarge, 42), (HeaderRejected, 43),
    (SendRateExceeded, 429), (TemplateNotFound, 15), (TemplateInactive, 15), (InvalidTemplate, 15),
    (TemplateRenderFailed, 15), (ContactListNotFound, 16)))
NOT_YET = {"listid": 35, "subscriberid": 36, "journeyid": 37, "actionid": 38}
LIST_SEND_FIRST = 250  # a TargetListID send's recipients, unless the full list is configured (as Octeth)
MAX_REPLY_TO = 10
MAX_TAGS = 20


def refused(*errors: tuple[int, str]) -> Refusal:
    """Every (code, message) found, lowest code first; the HTTP status is the lowest code's."""
    errors = tuple(sorted(errors))
    return Refusal(*errors, status=ERRORS[errors[0][0]][1])


def _refuse(code: int, detail: str = "") -> ValidationError:
    return ValidationError(f"{code}:{detail or ERRORS[code][0]}")


class Addresses(fields.Field):
    """[{name, email}, ...] in ASCII form; codes for (not a list, no email, invalid email, too many)."""

    def __init__(self, codes: tuple[int | None, int, int, int | None], limit=None, **kwargs):
        super().__init__(**kwargs)
        self.codes, self.limit = codes, limit  # limit: a number, or a function of the settings

    def _deserialize(self, value, attr, data, **kwargs):
        not_list, missing, invalid, too_many = self.codes
        if isinstance(value, dict) and not_list is None:
            value = [value]
        if not isinstance(value, list):
            raise _refuse(not_list or missing)
        limit = self.limit(config.current()) if callable(self.limit) else self.limit
        if limit is not None and len(value) > limit:
            raise _refuse(too_many, f"{ERRORS[too_many][0]} ({limit})")
        return tuple(_address(item, missing, invalid) for item in value)


def _address(item, missing: int, invalid: int) -> Address:
    if isinstance(item, str):
        item = {"email": item}
    if not isinstance(item, dict) or not item.get("email"):
        raise _refuse(missing)
    try:
        return Address(addresses.normalize_address(item["email"]), str(item.get("name") or ""))
    except InvalidAddress as exc:
        raise _refuse(invalid, f"{ERRORS[invalid][0]} {exc}".strip()) from None


class Sender(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or not value.get("email"):
            raise _refuse(3)
        return _address(value, 3, 23)


class Attachments(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise _refuse(41, "Attachments must be an array")
        return tuple(self._one(item) for item in value)

    @staticmethod
    def _one(item) -> Attachment:
        if not isinstance(item, dict) or not item.get("filename") or not isinstance(item.get("content"), str):
            raise _refuse(41, "Each attachment needs a filename and base64 content")
        try:
            content = base64.b64decode(item["content"], validate=True)
        except (binascii.Error, ValueError):
            raise _refuse(41, f"Attachment {item['filename']}: content is not valid base64") from None
        disposition = str(item.get("disposition") or "attachment").lower()
        if disposition not in ("attachment", "inline"):
            raise _refuse(41, f"Attachment {item['filename']}: disposition must be attachment or inline")
        return Attachment(str(item["filename"]), content, str(item.get("type") or "application/octet-stream"),
                          disposition, str(item["contentid"]) if item.get("contentid") else None)


class Headers(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise _refuse(43, "Headers must be an object of name: value")
        # keys arrive lower-cased (/api.php folds them); header names are case-insensitive
        headers = tuple(("-".join(p.capitalize() for p in str(k).split("-")), str(v)) for k, v in value.items())
        try:
            sending.check_headers(headers)
        except HeaderRejected as exc:
            raise _refuse(43, str(exc)) from None
        return headers


class Tags(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        tags = value if isinstance(value, list) else [value]
        return tuple(str(t).strip()[:128] for t in tags if str(t).strip())[:MAX_TAGS]


class SendAt(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return datetime.datetime.fromtimestamp(int(value), datetime.UTC).replace(tzinfo=None)
        except (TypeError, ValueError, OverflowError, OSError):
            raise _refuse(44, "SendAt must be a unix timestamp") from None


class SendEmailParams(Params):
    From = Sender(required=True, error_messages={"required": "3:" + ERRORS[3][0]})
    Subject = fields.String(required=True, validate=validate.Length(max=sending.MAX_SUBJECT,
                                                                   error=f"8:Subject is longer than {sending.MAX_SUBJECT} characters"),
                            error_messages={"required": "8:Missing Subject", "invalid": "8:Missing Subject"})
    ContentType = fields.String(required=True, error_messages={"required": "9:Missing ContentType",
                                                               "invalid": "9:Missing ContentType"})
    HTMLContent = fields.String(error_messages={"invalid": "10:Missing HTMLContent"})
    PlainContent = fields.String(error_messages={"invalid": "11:Missing PlainContent"})
    To = Addresses((None, 18, 19, None))
    CC = Addresses((None, 21, 22, None))
    BCC = Addresses((24, 25, 26, 27), limit=lambda settings: settings.max_recipients)
    ReplyTo = Addresses((28, 29, 30, 31), limit=MAX_REPLY_TO)
    Attachments = Attachments()
    Headers = Headers()
    Tags = Tags()
    TrackLinks = Flag()
    TrackOpens = Flag()
    SendAt = SendAt()
    # read by `send` before the rest (they decide what else is required); declared for the document
    TemplateID = fields.Raw()
    TargetListID = fields.Raw()
    Variables = fields.Raw()

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def content(self, data, original, partial=None, **kwargs):
        """A TemplateID send is `partial` in Subject and ContentType, a TargetListID send in To."""
        errors = {}
        kind = str(data.get("ContentType", "")).strip().lower()
        if "ContentType" in data and kind not in ("html", "plain"):
            errors["ContentType"] = ["9:ContentType must be html or plain"]
        if kind == "html" and not data.get("HTMLContent"):
            errors["HTMLContent"] = ["10:Missing HTMLContent"]
        if kind == "plain" and not data.get("PlainContent"):
            errors["PlainContent"] = ["11:Missing PlainContent"]
        given = [k for k in ("to", "cc", "bcc") if original.get(k) not in (None, "", [])]
        if not given and "To" not in (partial or ()):  # (a list that failed has its own code)
            errors["To"] = ["20:" + ERRORS[20][0]]
        if errors:
            raise ValidationError(errors)


def _codes(messages) -> list[tuple[int, str]]:
    """Every "code:text" in marshmallow's (possibly nested) messages."""
    if isinstance(messages, dict):
        return [c for value in messages.values() for c in _codes(value)]
    if isinstance(messages, list):
        return [c for value in messages for c in _codes(value)]
    code, _, text = str(messages).partition(":")
    return [(int(code), text)] if code.isdigit() else []


def read(values: dict, partial: tuple[str, ...] = ()) -> sending.Outgoing:
    """The request as the core's Outgoing, or a Refusal with every problem found; `partial`
    names the fields a template or a list supplies."""
    out = None if partial else _read_plain(values)
    return out if out is not None else _read_schema(values, partial)


def _read_schema(values: dict, partial: tuple[str, ...]) -> sending.Outgoing:
    unsupported = [(code, f"{ERRORS[code][0]}: {key} is not supported by Gatepost yet")
                   for key, code in NOT_YET.items() if values.get(key) not in (None, "", 0, "0")]
    try:
        p = schema(SendEmailParams).load({k: v for k, v in values.items() if v is not None}, partial=partial)
    except ValidationError as exc:
        raise refused(*unsupported, *_codes(exc.messages)) from None
    if unsupported:
        raise refused(*unsupported)
    html = p.get("HTMLContent") if p.get("ContentType", "").strip().lower() == "html" else None
    return sending.Outgoing(
        sender=p["From"], to=p.get("To", ()), cc=p.get("CC", ()), bcc=p.get("BCC", ()), reply_to=p.get("ReplyTo", ()),
        subject=p.get("Subject", ""), html=html, text=p.get("PlainContent") or None,
        attachments=p.get("Attachments", ()), headers=p.get("Headers", ()), tags=p.get("Tags", ()),
        track_opens=p.get("TrackOpens"), track_links=p.get("TrackLinks"), send_at=p.get("SendAt"))


PLAIN_KEYS = frozenset({"from", "to", "cc", "subject", "contenttype", "htmlcontent", "plaincontent"})
IGNORED_KEYS = frozenset({"senderapikey", "command", "responseformat", "sessionid", "apikey"})


def _read_plain(values: dict) -> sending.Outgoing | None:
    """What `read` makes of the common request (From, To and/or CC, Subject, ContentType and
    its content; nothing else but the key) without marshmallow, which was most of reading it;
    None for anything else, or anything that fails, which the schema then reads and answers.
    A test checks the two agree on many requests."""
    if not values.keys() <= PLAIN_KEYS | IGNORED_KEYS:
        return None
    sender, subject, kind = values.get("from"), values.get("subject"), values.get("contenttype")
    html, text = values.get("htmlcontent"), values.get("plaincontent")
    if not (isinstance(sender, dict) and sender.get("email") and isinstance(subject, str)
            and len(subject) <= sending.MAX_SUBJECT and isinstance(kind, str)
            and all(isinstance(v, str) for v in (html, text) if v is not None)):
        return None
    kind = kind.strip().lower()
    if not (kind == "html" and html or kind == "plain" and text):
        return None
    try:
        to, cc = _plain_addresses(values.get("to"), 18, 19), _plain_addresses(values.get("cc"), 21, 22)
        if not (to or cc):
            return None
        return sending.Outgoing(sender=_address(sender, 3, 23), to=to, cc=cc, subject=subject,
                                html=html if kind == "html" else None, text=text or None)
    except ValidationError:
        return None


def _plain_addresses(value, missing: int, invalid: int) -> tuple[Address, ...]:
    """Addresses((None, missing, invalid, None)) of a given value; () when not given."""
    if value is None:
        return ()
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise _refuse(missing)
    return tuple(_address(item, missing, invalid) for item in value)


def send(presented_key: str, values: dict) -> str | list[str]:
    """Authenticate the sender key, read the request, accept the message: its MessageID (a
    list of them for a personalised or TargetListID send)."""
    if not presented_key:
        raise refused((1, ERRORS[1][0]))
    try:
        key = api_keys.authenticate(presented_key)
        sending.check_sender(key.domain)  # who may send comes before what is sent
        user = key.domain.user
        template = templates.get(_ident(values, "templateid", 15), user) if _given(values, "templateid") else None
        target = (contacts.get_list(_ident(values, "targetlistid", 16), user)
                  if _given(values, "targetlistid") else None)
        out = read(values, ("Subject", "ContentType") * (template is not None) + ("To",) * (target is not None))
        if target is not None:
            return _send_to_list(key.domain, out, template, _variables(values), target)
        if template is None:
            return sending.accept(key.domain, out)
        personal = len(out.to) > 1 and not (out.cc or out.bcc)
        if not personal:
            single = _recipient_variables(values, out.to[0]) if len(out.to) == 1 else {}
            return sending.accept(key.domain, _rendered(out, template, _variables(values) | single))
        outs = [_rendered(dataclasses.replace(out, to=(to,)), template,
                          _variables(values) | _recipient_variables(values, to)) for to in out.to]
        return sending.accept_batch([(key.domain, one) for one in outs], all_or_none=True)
    except GatewayError as exc:
        refusal = refusal_for(exc, SERVICE_ERRORS)
        if refusal is None:
            raise
        raise refusal from None


def _given(values: dict, key: str) -> bool:
    return values.get(key) not in (None, "", 0, "0")


def _ident(values: dict, key: str, code: int) -> int | str:
    """A TemplateID (int, or a template's uuid) or TargetListID (int), as the services take them."""
    value = values.get(key)
    if row_id(value) is not None:
        return row_id(value)
    if code == 15 and isinstance(value, str):
        return value  # a template's uuid (anything else is not found)
    raise refused((code, f"{ERRORS[code][0]}: {key} must be a number"))


def _variables(values: dict) -> dict:
    found = values.get("variables")
    if found not in (None, "") and not isinstance(found, dict):
        raise refused((15, f"{ERRORS[15][0]}: Variables must be an object"))
    return dict(found or {})


def _recipient_variables(values: dict, to: Address) -> dict:
    """A To recipient's own: its name and email, and the `variables` object of its entry."""
    entries = values.get("to")
    entries = entries if isinstance(entries, list) else [entries]
    own = next((e.get("variables") for e in entries if isinstance(e, dict)
                and str(e.get("email", "")).strip().lower() == to.email.lower()), None)
    return {"name": to.name, "email": to.email} | (own if isinstance(own, dict) else {})


def _rendered(out: sending.Outgoing, template, variables: dict) -> sending.Outgoing:
    content = templates.render(template, variables)
    return dataclasses.replace(out, subject=out.subject or content.subject, html=content.html or None,
                               text=content.text or None)


def _send_to_list(domain, out: sending.Outgoing, template, variables: dict, target) -> list[str]:
    """One message per subscribed contact, personalised from its fields, accepted a batch at a time."""
    if out.cc or out.bcc:
        raise refused((20, f"{ERRORS[20][0]}: CC and BCC cannot be used with TargetListID"))
    first = None if config.current().sendemail_full_list else LIST_SEND_FIRST
    results: list = []
    batch: list[tuple] = []
    for contact in contacts.subscribed(target, first):  # read a page at a time: a whole list may be large
        mine = variables | json.loads(contact.fields or "{}") | {"name": contact.name, "email": contact.email}
        one = dataclasses.replace(out, to=(Address(contact.email, contact.name),))
        batch.append((domain, _rendered(one, template, mine) if template is not None else one))
        if len(batch) == sending.MAX_BATCH:
            results += sending.accept_batch(batch)
            batch = []
    if batch:
        results += sending.accept_batch(batch)
    accepted = [r for r in results if not isinstance(r, GatewayError)]
    refusals = [r for r in results if isinstance(r, GatewayError)]
    if not accepted:
        raise next((r for r in refusals if not isinstance(r, RecipientSuppressed)), None) or \
            refused((20, f"{ERRORS[20][0]}: the list has no subscribed contact that may be mailed"))
    return accepted
