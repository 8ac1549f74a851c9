"""Senders: list, add (an address on one of the user's domains, unique per domain) and verify
(a mail from the installation's sender, GATEPOST_SYSTEM_SENDER, to the address, with a signed
link to GET /api/v1/smtp-sender-confirm/<token> on the installation's tracking host, which
marks the sender verified). Mail refused on the way is answered as the welcome mail's is."""
from __future__ import annotations

from html import escape

from flask import Response

import config
from dialects.smtpprovider.resource import ForUser, blueprint, invalid, ok, read, stamp
from dialects.smtpprovider.rules import Email, Text
from edge.errors import Declared, declares
from services import senders
from services.errors import (DomainNotActive, DomainNotFound, ForeignSender, RecipientSuppressed, SendLimitReached,
                             SendRateExceeded)
from services.system_mail import SystemMailLimited, SystemSenderMissing

CONFIRM_PATH = "/api/v1/smtp-sender-confirm/"
# what mailing in the installation's name may run into (sender verification, welcome mail)
SYSTEM_MAIL_ERRORS = (Declared(RecipientSuppressed, "from_email", 422),
                      Declared(SendLimitReached, "mail", 429), Declared(SendRateExceeded, "mail", 429),
                      Declared(SystemMailLimited, "mail", 429), Declared(SystemSenderMissing, "mail", 503),
                      Declared(DomainNotActive, "mail", 503))
PAGE = """<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">
<h1>{title}</h1><p>{text}</p></body></html>"""


class SenderAdd(ForUser):
    domain_name = Text(required=True)
    from_email = Email(required=True)
    sender_name = Text()


class SenderVerify(ForUser):
    from_email = Email(required=True)


def sender_view(sender) -> dict:
    return {"id": sender.id, "domain_id": sender.domain_id, "domain_name": sender.domain.name,
            "from_email": sender.email, "sender_name": sender.name, "verified": sender.verified_at is not None,
            "verified_at": stamp(sender.verified_at), "created_at": stamp(sender.created_at)}


@blueprint.get("/v1/smtp-sender-list")
def list_senders():
    user, _ = read(ForUser)
    return ok(sender_lists=[sender_view(s) for s in senders.list_for(user)])


@blueprint.post("/v1/smtp-domain-sender-add")
@declares(invalid("domain_name", DomainNotFound),
          Declared(senders.SenderExists, "from_email", 422, "The from email has already been taken."),
          Declared(ForeignSender, "from_email", 422))
def add_sender():
    user, values = read(SenderAdd)
    return ok(sender=sender_view(senders.add(user, values["domain_name"], values["from_email"],
                                             values["sender_name"] or "")))


@blueprint.post("/v1/smtp-domain-sender-verify")
@declares(invalid("from_email", senders.SenderNotFound),
          Declared(senders.SenderAlreadyVerified, "from_email", 422, "The sender is already verified."),
          Declared(senders.VerificationTooSoon, "from_email", 429), *SYSTEM_MAIL_ERRORS)
def verify_sender():
    user, values = read(SenderVerify)
    sender = senders.get(user, values["from_email"])
    settings = config.current()
    message_id = senders.request_verification(
        sender, f"{settings.tracking_scheme}://{settings.tracking_host}{CONFIRM_PATH}")
    return ok(message="Verification email sent successfully", message_id=message_id, sender=sender_view(sender))


@blueprint.get(CONFIRM_PATH.removeprefix("/api") + "<token>")
def confirm_sender(token: str):
    """The link in the verification mail: a page for a person, not JSON."""
    try:
        sender = senders.confirm(token)
    except senders.BadConfirmation as exc:
        return Response(PAGE.format(title="Link not valid", text=escape(str(exc))), 404, mimetype="text/html")
    text = f"<b>{escape(sender.email)}</b> is verified: mail may now be sent from it."
    return Response(PAGE.format(title="Sender verified", text=text), 200, mimetype="text/html")
