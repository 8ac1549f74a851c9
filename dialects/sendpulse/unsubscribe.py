"""/smtp/unsubscribe and /smtp/resubscribe over the suppression service. Addresses the account
adds are `manual` suppressions (SendPulse's "unsubscribed by user"); recipients' own unsubscribes
and complaints show as by link and as spam complaints."""
from __future__ import annotations

import datetime

from flask import jsonify

import clock

from dialects.sendpulse.emails import SEND_ERRORS
from dialects.sendpulse.resource import NO_DATA, blueprint, integer, params, refuse, structured, token_domain, user
from edge.errors import declares
from models.vocabulary import SuppressionReason
from services import senders, sending, sent_mail, suppressions
from services.addresses import normalize_address
from services.compose import Address
from services.errors import InvalidAddress

LISTED = (SuppressionReason.UNSUBSCRIBE, SuppressionReason.COMPLAINT, SuppressionReason.MANUAL)
RESUBSCRIBABLE = (SuppressionReason.UNSUBSCRIBE, SuppressionReason.MANUAL)
RESUBSCRIBE_TAG = "sendpulse-resubscribe"  # the notices are tagged, and counted by it
RESUBSCRIBE_LIMIT = 5  # SendPulse: 5 resubscription emails per account in 24 hours
NOTICE = {  # the resubscription notice, by `lang`
    "en": ("You are subscribed again", "You asked to receive mail from {sender} again: you are subscribed again."),
    "ru": ("Вы снова подписаны", "Вы снова будете получать письма от {sender}."),
    "ua": ("Ви знову підписані", "Ви знову отримуватимете листи від {sender}."),
    "tr": ("Yeniden abone oldunuz", "{sender} adresinden yeniden e-posta alacaksınız."),
    "es": ("Vuelves a estar suscrito", "Volverás a recibir correos de {sender}."),
    "pt": ("Você está inscrito novamente", "Você voltará a receber e-mails de {sender}."),
}


def _email(value) -> str:
    try:
        return normalize_address(str(value or "")).lower()
    except InvalidAddress:
        raise refuse(400, f"{value!r} is not a valid email address") from None


def _emails(values: dict) -> list:
    found = structured(values.get("emails"), "emails")
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list) or not found:
        raise refuse(NO_DATA, "No data: emails is missing")
    return found


@blueprint.post("/smtp/unsubscribe")
def unsubscribe():
    entries = [e if isinstance(e, dict) else {"email": e} for e in _emails(params())]
    checked = [(_email(e.get("email")), str(e.get("comment") or "")) for e in entries]
    for email, comment in checked:
        suppressions.add(user(), email, SuppressionReason.MANUAL, comment or "added through the SendPulse API")
    return jsonify({"result": True})


@blueprint.delete("/smtp/unsubscribe")
def remove_unsubscribed():
    for email in [_email(e.get("email") if isinstance(e, dict) else e) for e in _emails(params())]:
        suppressions.remove(user(), email)
    return jsonify({"result": True})


@blueprint.get("/smtp/unsubscribe")
def list_unsubscribed():
    values = params()
    start = end = None
    if values.get("date") not in (None, ""):
        try:
            start = datetime.datetime.strptime(str(values["date"]).strip(), "%Y-%m-%d")
        except ValueError:
            raise refuse(400, "date must be YYYY-MM-DD") from None
        end = start + datetime.timedelta(days=1)
    _, rows = suppressions.page(user(), reasons=LISTED, start=start, end=end, offset=integer(values, "offset", 0, 2**31),
                                limit=integer(values, "limit", 100, 1000))
    return jsonify([{"email": s.email, "unsubscribe_by_link": int(s.reason == SuppressionReason.UNSUBSCRIBE),
                     "unsubscribe_by_user": int(s.reason == SuppressionReason.MANUAL),
                     "spam_complaint": int(s.reason == SuppressionReason.COMPLAINT),
                     "date": s.created_at.strftime("%Y-%m-%d %H:%M:%S")} for s in rows])


@blueprint.get("/smtp/unsubscribe/search")
def search_unsubscribed():
    email = _email(params().get("email"))
    return jsonify({"result": bool(suppressions.page(user(), reasons=LISTED, email=email, limit=1)[0])})


@blueprint.post("/smtp/resubscribe")
@declares(*SEND_ERRORS)
def resubscribe():
    """Lift the address's unsubscribe and tell the recipient, from `sender`, in `lang`."""
    values = params()
    email, sender = _email(values.get("email")), _email(values.get("sender"))
    lang = str(values.get("lang") or "en").strip().lower()
    if lang not in NOTICE:
        raise refuse(400, f"lang must be one of {', '.join(NOTICE)}")
    domain = senders.domain_for(user(), sender, only=token_domain())
    _, listed = suppressions.page(user(), email=email, limit=1)
    if listed and listed[0].reason not in RESUBSCRIBABLE:
        raise refuse(422, f"{email} cannot be resubscribed: it is suppressed as {listed[0].reason}", 422)
    since = clock.now() - datetime.timedelta(days=1)
    if sent_mail.tagged_since(user(), RESUBSCRIBE_TAG, since) >= RESUBSCRIBE_LIMIT:
        raise refuse(429, "At most 5 resubscription emails per account in 24 hours", 429)
    suppressions.remove(user(), email)
    subject, text = NOTICE[lang]
    ident = sending.accept(domain, sending.Outgoing(Address(sender, senders.name_of(user(), sender)),
                                                    to=(Address(email),), subject=subject,
                                                    text=text.format(sender=sender), tags=(RESUBSCRIBE_TAG,)),
                           source="sendpulse")
    return jsonify({"result": True, "id": ident})
