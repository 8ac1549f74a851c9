"""/api/v1/emails: send one (`POST`), up to 100 at once (`POST /emails/batch`: each item
checked and answered on its own, the accepted ones written in one transaction), the log (`GET`, with `status`, `limit`, `page`) and one
email with its events (`GET /emails/:id`). An address is "a@b" or "Name <a@b>"; `to`, `cc`,
`bcc` and `reply_to` take one or a list; `tags` is an object (kept as "name=value" tags, so
Octeth's stats by tag see them too) or Resend's [{name, value}]; `headers` an object;
`attachments` [{filename, content (base64), contentType}]. The sender's domain is the user's
domain the `from` address is on. A test key's (`sk_test_`) mail is checked and recorded like
any other, and never delivered (its status is "test").

A send answers the seed's `{id, status: "sent", messageId}` with `success: true` beside it, the
shape AutoRelay's newer docs give (a superset: clients of either version find their fields)."""
from __future__ import annotations

import base64
import binascii
import json
import re

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from dialects.autorelay import payload, resource
from dialects.autorelay.resource import blueprint
from dialects.autorelay.vocabulary import EMAIL_STATUS, EVENT_NAME, STATE_OF, iso
from edge.errors import Declared, Refusal, declares, refusal_for
from edge.params import schema
from services import addresses, domains, message_log, sending
from services.compose import Address, Attachment
from services.errors import (AccountDisabled, DomainNotActive, DomainNotFound, ForeignSender, GatewayError,
                             HeaderRejected, InvalidAddress, MessageTooLarge, RecipientSuppressed, SendLimitReached,
                             SendRateExceeded, TooManyRecipients)

NAMED = re.compile(r'\s*(?:"?(?P<name>[^<>"]*?)"?\s*)?<(?P<address>[^<>\s]+)>\s*')
MAX_TAGS = 20
SEND_ERRORS = (
    Declared(AccountDisabled, "account_disabled", 403), Declared(DomainNotFound, "domain_not_found", 403),
    Declared(DomainNotActive, "domain_not_verified", 403), Declared(ForeignSender, "validation_error", 422),
    Declared(RecipientSuppressed, "recipient_suppressed", 409), Declared(SendLimitReached, "send_limit_reached", 429),
    Declared(SendRateExceeded, "rate_limit_exceeded", 429), Declared(TooManyRecipients, "validation_error", 422),
    Declared(MessageTooLarge, "payload_too_large", 413), Declared(HeaderRejected, "validation_error", 422))


def mailbox(value) -> Address:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be an email address, as a@b or Name <a@b>")
    found = NAMED.fullmatch(value)
    name, address = (found["name"] or "", found["address"]) if found else ("", value)
    try:
        return Address(addresses.normalize_address(address), name.strip())
    except InvalidAddress:
        raise ValidationError(f"{value!r} is not a valid email address") from None


class Mailbox(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        return mailbox(value)


class Mailboxes(fields.Field):
    """One address or a list of them."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        return tuple(mailbox(item) for item in items)


class Tags(fields.Field):
    """{"name": "value"} or [{"name", "value"}], as "name=value" strings."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            try:
                value = {item["name"]: item.get("value", "") for item in value}
            except (TypeError, KeyError):
                raise ValidationError("must be an object of names to values, or a list of {name, value}") from None
        if not isinstance(value, dict):
            raise ValidationError("must be an object of names to values")
        if len(value) > MAX_TAGS:
            raise ValidationError(f"at most {MAX_TAGS} tags")
        tags = []
        for name, item in value.items():
            if not name or "=" in name or isinstance(item, (dict, list)):
                raise ValidationError("names must be non-empty without '=', values text or numbers")
            tags.append(f"{name}={'' if item is None else item}"[:128])
        return tuple(tags)


class Headers(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or not all(isinstance(v, (str, int, float)) for v in value.values()):
            raise ValidationError("must be an object of header names to text values")
        return tuple((str(k), str(v)) for k, v in value.items())


class AttachmentSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content = fields.String(required=True)
    contentType = fields.String(load_default="application/octet-stream")


class Attachments(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("must be a list of {filename, content (base64), contentType}")
        found = []
        for item in value:
            if isinstance(item, dict) and "content_type" in item:
                item = {**item, "contentType": item["content_type"]}
            p = schema(AttachmentSchema).load(item if isinstance(item, dict) else {})
            try:
                content = base64.b64decode(p["content"], validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError(f"{p['filename']}: content is not valid base64") from None
            found.append(Attachment(p["filename"], content, p["contentType"]))
        return tuple(found)


class SendSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    to = Mailboxes(required=True)
    sender = Mailbox(required=True, data_key="from")
    subject = fields.String(required=True, validate=validate.Length(min=1))
    html = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    cc = Mailboxes()
    bcc = Mailboxes()
    reply_to = Mailboxes()
    replyTo = Mailboxes()
    tags = Tags()
    headers = Headers()
    attachments = Attachments()

    @validates_schema(skip_on_field_errors=False)
    def _content(self, data, **kwargs):
        if not data.get("html") and not data.get("text"):
            raise ValidationError("html or text is required", "html")


def outgoing(values: dict, test: bool) -> sending.Outgoing:
    p = resource.load(SendSchema, values)
    return sending.Outgoing(sender=p["sender"], to=p["to"], cc=p.get("cc", ()), bcc=p.get("bcc", ()),
                            reply_to=p.get("reply_to") or p.get("replyTo") or (), subject=p["subject"],
                            html=p.get("html") or None, text=p.get("text") or None,
                            attachments=p.get("attachments", ()), headers=p.get("headers", ()),
                            tags=p.get("tags", ()), test=test)


def accept(out: sending.Outgoing) -> str:
    """The message id once committed; the sender domain is the user's domain of `from`."""
    user = resource.user()
    domain = domains.of_address(user, out.sender.email)
    return sending.accept(domain, out)


def sent(ident: str, out: sending.Outgoing) -> dict:
    domain = out.sender.email.rpartition("@")[2].lower()
    answer = {"id": ident, "status": "sent", "messageId": f"{ident}@{domain}", "success": True}
    return answer | ({"test": True} if out.test else {})


@blueprint.post("/emails")
@declares(*SEND_ERRORS)
def send_email():
    out = outgoing(resource.body(), resource.key().test)
    return sent(accept(out), out)


@blueprint.post("/emails/batch")
def send_batch():
    """{results: [{to, id, status: "sent"} | {to, status: "failed", error: {code, message}}],
    total, sent, failed}, in the order of `emails`."""
    items = resource.body().get("emails")
    if not isinstance(items, list) or not items or len(items) > sending.MAX_BATCH:
        raise Refusal(("validation_error", f"Invalid request: emails must be a list of 1 to {sending.MAX_BATCH} "
                                           "emails"), status=422)
    user, test = resource.user(), resource.key().test
    results: list[dict] = []
    queued: list[tuple[int, sending.Outgoing]] = []
    found: dict[str, object] = {}  # sender domains by name: a batch mostly has one
    for item in items:
        to = item.get("to") if isinstance(item, dict) else None
        results.append({"to": ", ".join(to) if isinstance(to, list) else to})
        try:
            out = outgoing(item if isinstance(item, dict) else {}, test)
            name = out.sender.email.rpartition("@")[2].lower()
            domain = found.get(name) or found.setdefault(name, domains.of_address(user, out.sender.email))
            queued.append((len(results) - 1, (domain, out)))
        except (Refusal, GatewayError) as exc:
            results[-1].update(_failure(exc))
    accepted = sending.accept_batch([pair for _, pair in queued]) if queued else []
    for (i, (_, out)), result in zip(queued, accepted):
        results[i].update(_failure(result) if isinstance(result, GatewayError) else sent(result, out))
    done = sum(r["status"] == "sent" for r in results)
    return {"results": results, "total": len(results), "sent": done, "failed": len(results) - done}


def _failure(exc: Exception) -> dict:
    refusal = exc if isinstance(exc, Refusal) else refusal_for(exc, SEND_ERRORS)
    if refusal is None:
        raise exc
    code, message = refusal.errors[0]
    return {"status": "failed", "error": {"code": str(code), "message": message}}


def view(entry: message_log.Entry) -> dict:
    message = entry.message
    to = [d.recipient for d in entry.recipients if d.kind == "to"] or [d.recipient for d in entry.recipients]
    return {"id": message.uuid, "to": ", ".join(to), "from": message.mail_from, "subject": message.subject,
            "status": EMAIL_STATUS[entry.state], "opens": entry.opened, "clicks": entry.clicked,
            "tags": payload.tags(json.loads(message.tags or "[]")), "createdAt": iso(message.created_at)}


@blueprint.get("/emails")
def list_emails():
    page, limit, offset = resource.paging(20)
    status = request.args.get("status", "").strip().lower()
    if status and status not in STATE_OF:
        raise Refusal(("validation_error", f"Invalid request: status must be one of {', '.join(STATE_OF)}"),
                      status=422)
    total, entries = message_log.page(resource.user(), state=STATE_OF.get(status), offset=offset, limit=limit)
    return {"emails": [view(e) for e in entries], "total": total, "page": page, "pages": -(-total // limit)}


@blueprint.get("/emails/<ident>")
@declares(Declared(message_log.MessageNotFound, "not_found", 404, "Email not found"))
def get_email(ident: str):
    entry, events = message_log.get(resource.user(), ident)
    email = view(entry) | {"recipients": [{"email": d.recipient, "kind": d.kind,
                                           "status": EMAIL_STATUS.get(d.status, d.status)}
                                          for d in entry.recipients]}
    return {"email": email, "events": [{"type": EVENT_NAME.get(e.event, e.event), "createdAt": iso(e.created_at),
                                        "to": e.recipient} for e in events]}
