"""/smtp/emails and /smtp/bounces: sending (`email` as an object, a JSON string or a PHP-serialized
string; `html` base64; a stored template with variables; both kinds of attachment) and reading
what was sent, one row per recipient in SendPulse's fields."""
from __future__ import annotations

import base64
import binascii
import datetime
import mimetypes
import re

from flask import jsonify

import clock
from dialects.sendpulse.resource import (NO_CONTENT, NO_DATA, NO_RECIPIENTS, NO_SENDER, blueprint, integer, params,
                                          refuse, structured, token_domain, user)
from edge.errors import Declared, declares
from services import event_log, senders, sending, sent_mail, templates
from services.addresses import normalize_address
from services.compose import Address, Attachment
from services.errors import (AccountDisabled, BadQuery, DomainNotActive, ForeignSender, HeaderRejected, InvalidAddress,
                             InvalidTemplate, MessageTooLarge, RecipientSuppressed, SendLimitReached,
                             SendRateExceeded, TemplateInactive, TemplateNotFound, TemplateRenderFailed,
                             TooManyRecipients)

SEND_ERRORS = (
    Declared(ForeignSender, NO_SENDER, 400), Declared(DomainNotActive, NO_SENDER, 400),
    Declared(AccountDisabled, 403, 403), Declared(RecipientSuppressed, 422, 422),
    Declared(TooManyRecipients, NO_RECIPIENTS, 400), Declared(MessageTooLarge, 413, 413),
    Declared(SendLimitReached, 429, 429), Declared(SendRateExceeded, 429, 429), Declared(HeaderRejected, 400, 400),
    Declared(InvalidAddress, 400, 400), Declared(TemplateNotFound, 404, 404), Declared(TemplateInactive, 422, 422),
    Declared(InvalidTemplate, 422, 422), Declared(TemplateRenderFailed, 422, 422))
READ_ERRORS = (Declared(BadQuery, 400, 400), Declared(sent_mail.MessageNotFound, 404, 404))
MAX_LIMIT = 500
DATE = "%Y-%m-%d %H:%M:%S"
ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")


def _address(value, code: int, what: str) -> Address:
    if isinstance(value, str):
        value = {"email": value}
    if not isinstance(value, dict) or not str(value.get("email") or "").strip():
        raise refuse(code, f"{what}: an email address is missing")
    try:
        email = normalize_address(str(value["email"]))
    except InvalidAddress:
        raise refuse(code, f"{what}: {value['email']!r} is not a valid email address") from None
    return Address(email, str(value.get("name") or "").strip())


def _recipients(email: dict, *keys: str) -> tuple[Address, ...]:
    found = next((email[k] for k in keys if email.get(k) not in (None, "", [])), None)
    if found is None:
        return ()
    if isinstance(found, (dict, str)):
        found = [found]
    if not isinstance(found, list):
        raise refuse(NO_RECIPIENTS, f"{keys[0]} must be an array of recipients")
    return tuple(_address(item, NO_RECIPIENTS, keys[0]) for item in found)


def _text(value, what: str) -> str | None:
    if value is None or value is False:
        return None
    if not isinstance(value, (str, int, float)):
        raise refuse(400, f"{what} must be a string")
    return str(value)


def _base64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(re.sub(r"\s+", "", value), validate=True)
    except (binascii.Error, ValueError):
        raise refuse(400, f"{what} must be base64-encoded") from None


def _attachments(email: dict) -> tuple[Attachment, ...]:
    found = []
    for key, binary in (("attachments", False), ("attachments_binary", True)):
        files = email.get(key)
        if files in (None, "", []):
            continue
        if not isinstance(files, dict):
            raise refuse(400, f"{key} must be an object of file name: content")
        for name, content in files.items():
            if not str(name).strip() or not isinstance(content, str):
                raise refuse(400, f"{key}: each file needs a name and string content")
            data = _base64(content, f"{key}[{name}]") if binary else content.encode("utf-8")
            kind = mimetypes.guess_type(str(name))[0] or "application/octet-stream"
            found.append(Attachment(str(name), data, kind))
    return tuple(found)


def _content(email: dict, subject: str) -> tuple[str, str | None, str | None]:
    """(subject, html, text): the request's own, or its template's rendered with its variables
    (the request's subject, when given, wins over the template's)."""
    template = email.get("template")
    if template not in (None, "", []):
        if not isinstance(template, dict) or template.get("id") in (None, ""):
            raise refuse(NO_CONTENT, "template needs an id")
        variables = template.get("variables") or {}
        if not isinstance(variables, dict):
            raise refuse(400, "template variables must be an object")
        rendered = templates.render(templates.get(str(template["id"]).strip(), user()), variables)
        return subject or rendered.subject, rendered.html or None, rendered.text or None
    html_value = _text(email.get("html"), "html")
    html = _base64(html_value, "html").decode("utf-8", "replace") if html_value else None
    text = _text(email.get("text"), "text") or None
    return subject, html, text


@blueprint.post("/smtp/emails")
@declares(*SEND_ERRORS)
def send():
    email = structured(params().get("email"), "email")
    if not isinstance(email, dict) or not email:
        raise refuse(NO_DATA, "No data: email is missing")
    if email.get("from") in (None, "", []):
        raise refuse(NO_SENDER, "Sender email address missing")
    sender = _address(email["from"], NO_SENDER, "from")
    to = _recipients(email, "to")
    cc, bcc = _recipients(email, "cc", "\u0441\u0441"), _recipients(email, "bcc")  # the seed's Cyrillic "сс" too
    if not to and not cc and not bcc:
        raise refuse(NO_RECIPIENTS, "Can't find recipients addresses")
    subject, html, text = _content(email, _text(email.get("subject"), "subject") or "")
    if html is None and text is None:
        raise refuse(NO_CONTENT, "Empty email message content")
    domain = senders.domain_for(user(), sender.email, only=token_domain())
    if not sender.name:
        sender = Address(sender.email, senders.name_of(user(), sender.email))
    ident = sending.accept(domain, sending.Outgoing(sender, to=to, cc=cc, bcc=bcc, subject=subject, html=html,
                                                    text=text, attachments=_attachments(email)), source="sendpulse")
    return jsonify({"result": True, "id": ident})


def row(mail: sent_mail.SentMail, ips: list[str], as_strings: bool = False) -> dict:
    """One sent email in SendPulse's fields; by id, size and code are strings (as its document shows)."""
    size, code = mail.size, mail.smtp_code
    subcode = ENHANCED.search(mail.reply or "")
    return {
        "id": mail.message_id, "sender": mail.sender, "total_size": str(size) if as_strings else size,
        "sender_ip": None, "smtp_answer_code": (str(code) if code is not None else None) if as_strings else code,
        "smtp_answer_subcode": subcode[0] if subcode else "0", "smtp_answer_data": mail.reply,
        "used_ip": ips[0] if ips else None, "recipient": mail.recipient, "subject": mail.subject,
        "send_date": mail.accepted_at.strftime(DATE),
        "tracking": {"click": len(mail.clicks), "open": len(mail.opens),
                     "link": [{"url": c["url"], "browser": c["user_agent"], "os": "", "screen_resolution": "",
                               "ip": c["ip"], "country": "", "action_date": c["at"].strftime(DATE)} for c in mail.clicks],
                     "client_info": [{"browser": o["user_agent"], "os": "", "ip": o["ip"], "country": "",
                                      "action_date": o["at"].strftime(DATE)} for o in mail.opens]}}


def _period(values: dict) -> dict:
    start, end = values.get("from"), values.get("to")
    return {"start": event_log.parse_date(start) if start not in (None, "") else None,
            "end": event_log.parse_date(end, end=True) if end not in (None, "") else None}


def _page(values: dict) -> tuple[int, int]:
    return integer(values, "offset", 0, 2**31), integer(values, "limit", 100, MAX_LIMIT)


@blueprint.get("/smtp/emails")
@declares(*READ_ERRORS)
def list_emails():
    values = params()
    offset, limit = _page(values)
    _, found = sent_mail.page(user(), **_period(values), sender=str(values.get("sender") or ""),
                              recipient=str(values.get("recipient") or ""), offset=offset, limit=limit)
    ips = senders.sending_ips()
    return jsonify([row(m, ips) for m in found])


@blueprint.get("/smtp/emails/total")
@declares(*READ_ERRORS)
def total_emails():
    values = params()
    total, _ = sent_mail.page(user(), **_period(values), sender=str(values.get("sender") or ""),
                              recipient=str(values.get("recipient") or ""), limit=0)
    return jsonify({"total": total})


@blueprint.get("/smtp/emails/<message_id>")
@declares(*READ_ERRORS)
def get_email(message_id: str):
    return jsonify(row(sent_mail.of_message(user(), message_id), senders.sending_ips(), as_strings=True))


@blueprint.post("/smtp/emails/info")
@declares(*READ_ERRORS)
def emails_info():
    ids = structured(params().get("emails"), "emails")
    if not isinstance(ids, list) or not ids:
        raise refuse(NO_DATA, "No data: emails must be a list of email ids")
    if len(ids) > sent_mail.MAX_IDS:
        raise refuse(400, f"At most {sent_mail.MAX_IDS} email ids per request")
    ips = senders.sending_ips()
    return jsonify([row(m, ips) for m in sent_mail.of_messages(user(), [str(i) for i in ids])])


def _day(values: dict) -> tuple[datetime.datetime, datetime.datetime]:
    """The day asked for (YYYY-MM-DD), or the last 24 hours."""
    day = values.get("date")
    if day in (None, ""):
        now = clock.now()
        return now - datetime.timedelta(days=1), now
    try:
        start = datetime.datetime.strptime(str(day).strip(), "%Y-%m-%d")
    except ValueError:
        raise refuse(400, "date must be YYYY-MM-DD") from None
    return start, start + datetime.timedelta(days=1)


@blueprint.get("/smtp/bounces/day")
def bounces():
    values = params()
    offset, limit = _page(values)
    _, found = sent_mail.bounces(user(), *_day(values), offset=offset, limit=limit)
    ips = senders.sending_ips()
    return jsonify([row(m, ips) for m in found])


@blueprint.get("/smtp/bounces/day/total")
def bounces_total():
    total, _ = sent_mail.bounces(user(), *_day(params()), limit=0)
    return jsonify({"total": total})
