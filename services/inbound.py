"""Mail that comes back: bounces (RFC 3464 DSNs and the non-standard kind) and complaints
(RFC 5965 ARF), received for the return-path hosts, matched to the delivery they are about.

Matching never guesses: the signed VERP token of the address it came to names the delivery
that led the transaction; the report's recipient picks the delivery among that message's
(a transaction may carry several). Without a token, the original Message-ID (which Gatepost
wrote) names the message. Whatever cannot be matched is kept for the operator.

Hard bounce (5.x.x, or the MTA gave up): the delivery is bounced, an event says why, and the
recipient is suppressed for that user. Soft (4.x.x, delayed): recorded on the delivery as a
`deferred` event, no suppression. Complaint: a `complained` event and a suppression.
"""
from __future__ import annotations

import dataclasses

import clock
import config
from models import Delivery, InboundReport, Message, SenderDomain
from models.db import database
from services import bounces, engagement, events, suppressions, verp
from services.errors import NotFound


UNSUBSCRIBE = "unsubscribe+"


@dataclasses.dataclass
class Outcome:
    kind: str
    matched: list[str] = dataclasses.field(default_factory=list)  # "bounced rob@example.net", ...
    unmatched: str = ""  # why, when kept for the operator


def is_return_path_host(host: str) -> bool:
    """Whether mail for `host` is ours to take: the return-path host of a live sender domain."""
    label, _, name = host.lower().rstrip(".").partition(".")
    default = config.current().return_path_subdomain
    return (SenderDomain.select().where(SenderDomain.name == name, SenderDomain.status != "Deleted",
                                        (SenderDomain.subdomain == label) |
                                        ((SenderDomain.subdomain == "") & (label == default))).exists())


def receive(mail_from: str, rcpt_to: str, raw: bytes) -> Outcome:
    local = rcpt_to.rpartition("@")[0]
    if local.lower().startswith(UNSUBSCRIBE):  # the List-Unsubscribe mailto
        try:
            delivery = engagement.unsubscribed(local[len(UNSUBSCRIBE):], how="mailto")
            return Outcome("unsubscribe", matched=[f"unsubscribed {delivery.recipient}"])
        except NotFound:
            InboundReport.create(mail_from=mail_from[:320], rcpt_to=rcpt_to[:320], kind="unsubscribe",
                                 reason="invalid or expired unsubscribe token", content=raw)
            return Outcome("unsubscribe", unmatched="invalid or expired unsubscribe token")
    report = bounces.parse(raw)
    outcome = Outcome(report.kind)
    lead = _delivery(verp.delivery_id(rcpt_to) or verp.delivery_id(report.original_return_path or ""))
    message = lead.message if lead else Message.get_or_none(Message.message_id_header == report.original_message_id)
    if report.kind == "bounce":
        for failure in report.failures:
            delivery = _match(message, lead, failure.recipient)
            if delivery is not None:  # (success notices never reach here: the parser leaves them out)
                _bounce(delivery, failure, report)
                outcome.matched.append(f"{'bounced' if failure.permanent else 'delayed'} {delivery.recipient}")
    elif report.kind == "complaint":
        for recipient in report.complained or ((lead.recipient,) if lead else ()):
            delivery = _match(message, lead, recipient)
            if delivery is not None:
                _complaint(delivery, report)
                outcome.matched.append(f"complained {delivery.recipient}")
    if not outcome.matched:
        outcome.unmatched = ("not a bounce or a complaint" if report.kind == "unknown"
                             else "no delivery matches it" if message is None and lead is None
                             else "none of its recipients is a delivery of that message")
        InboundReport.create(mail_from=mail_from[:320], rcpt_to=rcpt_to[:320], kind=report.kind,
                             reason=outcome.unmatched, content=raw)
    return outcome


def _delivery(delivery_id: int | None) -> Delivery | None:
    if delivery_id is None:
        return None
    return Delivery.select(Delivery, Message).join(Message).where(Delivery.id == delivery_id).first()


def _match(message: Message | None, lead: Delivery | None, recipient: str) -> Delivery | None:
    """The delivery of `message` to `recipient`; the lead itself when it was the only one."""
    if message is None:
        return None
    deliveries = list(message.deliveries)
    found = next((d for d in deliveries if d.recipient == (recipient or "").lower()), None)
    if found is None and lead is not None and len(deliveries) == 1:
        found = lead  # a single-recipient message whose recipient the report spells otherwise
    return found


def _bounce(delivery: Delivery, failure, report) -> None:
    reply = " ".join(part for part in (failure.status, failure.diagnostic) if part)
    details = dict(source="dsn", action=failure.action, status=failure.status, smtp_reply=failure.diagnostic,
                   mx_host=failure.remote_mta, reporting_mta=report.reporting_mta)
    with database.atomic():
        if not failure.permanent:
            Delivery.update(last_reply=f"reported delayed: {reply}", updated_at=clock.now()).where(
                Delivery.id == delivery.id).execute()
            events.record("deferred", message=delivery.message, delivery=delivery, **details)
            return
        already = delivery.status == "bounced"
        Delivery.update(status="bounced", last_reply=f"bounced after acceptance: {reply}", updated_at=clock.now()
                        ).where(Delivery.id == delivery.id).execute()
        if not already:
            events.record("bounced", message=delivery.message, delivery=delivery, **details)
        suppressions.add(delivery.message.user_id, delivery.recipient, "hard-bounce", reply)


def _complaint(delivery: Delivery, report) -> None:
    with database.atomic():
        events.record("complained", message=delivery.message, delivery=delivery, source="arf",
                      feedback_type=report.feedback_type, reporting_mta=report.reporting_mta)
        suppressions.add(delivery.message.user_id, delivery.recipient, "complaint",
                         f"{report.feedback_type or 'abuse'} report from {report.reporting_mta or 'a mailbox provider'}")


def unmatched(limit: int = 100) -> list[InboundReport]:
    return list(InboundReport.select().order_by(InboundReport.id.desc()).limit(limit))


def unmatched_report(report_id: int) -> InboundReport | None:
    return InboundReport.get_or_none(InboundReport.id == report_id)
