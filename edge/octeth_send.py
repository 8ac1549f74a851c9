"""Octeth's send request, read once for both dialects that take it: `POST /api/v1/email` and
`EmailGateway.SendEmail` on /api.php. Codes 1-38 and their texts are the reference's (section 9),
with the newer HTTP statuses; 41-44 are Gatepost's own, for what Octeth documents no code for.

Leniencies over Octeth that no existing integration can trip on: a recipient's `name` may be
omitted, a single {name, email} object is taken as a list of one, `HtmlContent` and
`HTMLContent` are the same key (keys are case-insensitive). Code 1 answers a request with no
key at all, 13 a wrong key. Codes 2 and 34 cannot occur here (an API key always has a domain
and an owner; there is no phone verification).
"""
from __future__ import annotations

import base64
import binascii
import datetime

from marshmallow import ValidationError, fields, validate, validates_schema

import config
from edge.errors import Declared, Refusal, refusal_for
from edge.params import Flag, Params
from services import addresses, api_keys, sending
from services.compose import Address, Attachment
from services.errors import (AccountDisabled, DomainNotActive, ForeignSender, GatewayError, HeaderRejected,
                             InvalidAddress, InvalidSenderAPIKey, MessageTooLarge, RecipientSuppressed,
                             SendLimitReached, SendRateExceeded, TooManyRecipients)

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
    (SendLimitReached, 17), (TooManyRecipients, 20), (MessageTooLarge, 42), (HeaderRejected, 43), (SendRateExceeded, 429)))
NOT_YET = {"templateid": 15, "targetlistid": 16, "listid": 35, "subscriberid": 36, "journeyid": 37, "actionid": 38}
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

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def content(self, data, original, **kwargs):
        errors = {}
        kind = str(data.get("ContentType", "")).strip().lower()
        if "ContentType" in data and kind not in ("html", "plain"):
            errors["ContentType"] = ["9:ContentType must be html or plain"]
        if kind == "html" and not data.get("HTMLContent"):
            errors["HTMLContent"] = ["10:Missing HTMLContent"]
        if kind == "plain" and not data.get("PlainContent"):
            errors["PlainContent"] = ["11:Missing PlainContent"]
        given = [k for k in ("to", "cc", "bcc") if original.get(k) not in (None, "", [])]
        if not given:  # (a list that failed has its own code)
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


def read(values: dict) -> sending.Outgoing:
    """The request as the core's Outgoing, or a Refusal with every problem found."""
    unsupported = [(code, f"{ERRORS[code][0]}: {key} is not supported by Gatepost yet")
                   for key, code in NOT_YET.items() if values.get(key) not in (None, "", 0, "0")]
    try:
        p = SendEmailParams().load({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise refused(*unsupported, *_codes(exc.messages)) from None
    if unsupported:
        raise refused(*unsupported)
    html = p.get("HTMLContent") if p["ContentType"].strip().lower() == "html" else None
    return sending.Outgoing(
        sender=p["From"], to=p.get("To", ()), cc=p.get("CC", ()), bcc=p.get("BCC", ()), reply_to=p.get("ReplyTo", ()),
        subject=p["Subject"], html=html, text=p.get("PlainContent") or None, attachments=p.get("Attachments", ()),
        headers=p.get("Headers", ()), tags=p.get("Tags", ()), track_opens=p.get("TrackOpens"),
        track_links=p.get("TrackLinks"), send_at=p.get("SendAt"))


def send(presented_key: str, values: dict) -> str:
    """Authenticate the sender key, read the request, accept the message: its MessageID."""
    if not presented_key:
        raise refused((1, ERRORS[1][0]))
    try:
        key = api_keys.authenticate(presented_key)
        sending.check_sender(key.domain)  # who may send comes before what is sent
        return sending.accept(key.domain, read(values))
    except GatewayError as exc:
        refusal = refusal_for(exc, SERVICE_ERRORS)
        if refusal is None:
            raise
        raise refusal from None
