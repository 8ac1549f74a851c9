"""Sending: the guide's `POST /api/domains/{d}/send` and `/send-template`, the reference's
`POST /api/domains/{d}/message` and `/message/template`; form-encoded, JSON or multipart (files
under `attachment` or `attachments`, several allowed).

Fields: `from`, `from_name`, `to` (a string, comma-separated or not, or an array of up to
1000), `cc`, `bcc`, `reply_to`, `subject`, `text` (or the guide's `body`), `html`, `headers`
(an object, or one as a JSON string), `tags`; templates by `template` (the guide's: a name, or
an id) or `template_guid` (a uuid), with `variables` (one object for everyone, or an array with
one per recipient; `variables[name]=...` in a form). `from` defaults to `noreply@<domain>` for
templates only.

As Kirim.Email does, each `to` recipient gets a message of their own (rendered with their own
variables); `cc` and `bcc` go along with the first one only. The whole request is checked
first (addresses, suppressions, the quota, every rendering), and its messages are written in
one transaction, so it is accepted whole or refused whole, even by a crash.
"""
from __future__ import annotations

import email.utils
import json

from flask import request

from dialects.kirim.resource import blueprint, invalid, ok, params, sender, text
from edge.errors import Declared, declares
from models import SenderDomain, Template, User
from services import addresses, sending, suppressions, templates
from services.compose import Address, Attachment
from services.errors import (AccountDisabled, DomainNotActive, ForeignSender, HeaderRejected, InvalidAddress,
                             MessageTooLarge, RecipientSuppressed, SendLimitReached, SendRateExceeded,
                             TemplateInactive, TemplateNotFound, TemplateRenderFailed, TooManyRecipients)

MAX_RECIPIENTS = 1000
SEND_ERRORS = (
    Declared(AccountDisabled, "account_disabled", 403), Declared(DomainNotActive, "domain_not_verified", 403),
    Declared(ForeignSender, "from", 422), Declared(HeaderRejected, "headers", 422),
    Declared(RecipientSuppressed, "to", 422), Declared(TooManyRecipients, "cc", 422),
    Declared(MessageTooLarge, "payload_too_large", 413), Declared(SendLimitReached, "quota_exceeded", 429),
    Declared(SendRateExceeded, "rate_limited", 429), Declared(TemplateNotFound, "template_not_found", 404),
    Declared(TemplateInactive, "template", 422), Declared(TemplateRenderFailed, "variables", 422))


def _addresses(values: dict, key: str, *, required: bool = False, limit: int = MAX_RECIPIENTS) -> list[Address]:
    """`a@x`, `A <a@x>`, `a@x, b@y`, or an array of those (or of {email, name})."""
    given = values.get(key)
    items = given if isinstance(given, list) else [] if given in (None, "") else [given]
    found = []
    for item in items:
        if isinstance(item, dict):
            pairs = [(str(item.get("name") or ""), str(item.get("email") or ""))]
        elif isinstance(item, str):
            pairs = email.utils.getaddresses([item])
        else:
            raise invalid(key, f"The {key} field must be an email address or an array of them.")
        for name, address in pairs:
            try:
                found.append(Address(addresses.normalize_address(address), name))
            except InvalidAddress as exc:
                raise invalid(key, f"The {key} field must hold valid email addresses ({address or item!r}: {exc})") \
                    from None
    if required and not found:
        raise invalid(key, f"The {key} field is required.")
    if len(found) > limit:
        raise invalid(key, f"The {key} field must not have more than {limit} items.")
    return found


def _headers(values: dict) -> tuple[tuple[str, str], ...]:
    given = values.get("headers")
    if given in (None, "", [], {}):
        return ()
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except ValueError:
            raise invalid("headers", "The headers field must be an object of header names and values.") from None
    if not isinstance(given, dict) or not all(isinstance(v, (str, int, float)) for v in given.values()):
        raise invalid("headers", "The headers field must be an object of header names and values.")
    return tuple((str(k), str(v)) for k, v in given.items())


def _tags(values: dict) -> tuple[str, ...]:
    given = values.get("tags")
    items = given if isinstance(given, list) else str(given or "").split(",")
    return tuple(dict.fromkeys(str(t).strip() for t in items if str(t).strip()))


def _attachments() -> tuple[Attachment, ...]:
    found = []
    for key, upload in request.files.items(multi=True):
        if key.split("[", 1)[0] not in ("attachment", "attachments"):
            raise invalid(key, f"Unexpected file field {key!r}: send files as attachment or attachments.")
        found.append(Attachment(upload.filename or "attachment", upload.read(),
                                upload.mimetype or "application/octet-stream"))
    return tuple(found)


def _variables(values: dict, count: int) -> list[dict]:
    given = values.get("variables")
    if given in (None, "", [], {}):
        return [{} for _ in range(count)]
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except ValueError:
            raise invalid("variables", "The variables field must be an object or an array of objects.") from None
    if isinstance(given, dict):
        return [given] * count
    if isinstance(given, list) and all(isinstance(v, dict) for v in given):
        if len(given) != count:
            raise invalid("variables", f"The variables array must have one object per recipient ({count}).")
        return given
    raise invalid("variables", "The variables field must be an object or an array of objects.")


def _template(user: User, values: dict) -> Template:
    """By `template_guid` (a uuid) or `template` (an id, a uuid, or a name: the user's own first,
    then the system's)."""
    ident = text(values, "template_guid", limit=255) or text(values, "template", limit=255)
    if not ident:
        raise invalid("template_guid", "The template_guid field is required.")
    try:
        return templates.get(ident, user)
    except TemplateNotFound:
        named = [t for t in templates.list_own(user) + templates.list_system() if t.name == ident.strip()]
        if not named:
            raise
        return named[0]


def _send(domain: SenderDomain, user: User, drafts: list[sending.Outgoing]) -> list[str]:
    """Everything checked before the first message is accepted."""
    everyone = [a.email for d in drafts for a in (*d.to, *d.cc, *d.bcc)]
    sending.check_sender(domain)
    blocked = suppressions.suppressed(user, everyone)
    if blocked:
        raise RecipientSuppressed("Email address is in the suppression list. Email delivery is blocked: "
                                  + ", ".join(blocked))
    sending.check_quota(user, len(everyone))
    return sending.accept_batch([(domain, draft) for draft in drafts], source="api", all_or_none=True)


def _common(values: dict, domain: SenderDomain, *, default_from: bool) -> dict:
    senders = _addresses(values, "from", required=not default_from, limit=1)
    sender_address = senders[0] if senders else Address(f"noreply@{domain.name}")
    name = text(values, "from_name", limit=255) or sender_address.name
    return {"sender": Address(sender_address.email, name), "reply_to": tuple(_addresses(values, "reply_to", limit=1)),
            "headers": _headers(values), "tags": _tags(values), "attachments": _attachments()}


@blueprint.post("/domains/<name>/message")
@blueprint.post("/domains/<name>/send")
@declares(*SEND_ERRORS)
def send_message(name):
    user, domain = sender(name)
    values = params()
    common = _common(values, domain, default_from=False)
    to = _addresses(values, "to", required=True)
    cc, bcc = _addresses(values, "cc"), _addresses(values, "bcc")
    subject = text(values, "subject", required=True, limit=sending.MAX_SUBJECT)
    body = text(values, "text") or text(values, "body")
    html = text(values, "html", limit=10_000_000)
    if not body and not html:
        raise invalid("text", "The text field is required when html is not present.")
    drafts = [sending.Outgoing(to=(rcpt,), cc=tuple(cc) if i == 0 else (), bcc=tuple(bcc) if i == 0 else (),
                               subject=subject, text=body or None, html=html or None, **common)
              for i, rcpt in enumerate(to)]
    guids = _send(domain, user, drafts)
    return ok({"message_guid": guids[0], "message_guids": guids, "recipients": len(to)},
              f"Email queued for delivery to {len(to)} recipient(s).", message_guid=guids[0])


@blueprint.post("/domains/<name>/message/template")
@blueprint.post("/domains/<name>/send-template")
@declares(*SEND_ERRORS)
def send_template(name):
    user, domain = sender(name)
    values = params()
    template = _template(user, values)
    common = _common(values, domain, default_from=True)
    to = _addresses(values, "to", required=True)
    cc, bcc = _addresses(values, "cc"), _addresses(values, "bcc")
    subject = text(values, "subject", limit=sending.MAX_SUBJECT)
    drafts = []
    for i, (rcpt, variables) in enumerate(zip(to, _variables(values, len(to)))):
        rendered = templates.render(template, {"email": rcpt.email, "name": rcpt.name, **variables})
        drafts.append(sending.Outgoing(to=(rcpt,), cc=tuple(cc) if i == 0 else (), bcc=tuple(bcc) if i == 0 else (),
                                       subject=subject or rendered.subject, text=rendered.text or None,
                                       html=rendered.html or None, **common))
    if not drafts[0].subject:
        raise invalid("subject", "The template has no subject: give one in the subject field.")
    guids = _send(domain, user, drafts)
    return ok({"message_guid": guids[0], "message_guids": guids, "recipients": len(to),
               "template_guid": str(template.uuid), "template_name": template.name},
              f"Template-based email jobs dispatched for {len(to)} recipients in 1 job(s)",
              template_guid=str(template.uuid), template_name=template.name)

