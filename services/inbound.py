"""Mail that comes back: bounces (RFC 3464 DSNs and the non-standard kind) and complaints
(RFC 5965 ARF), received for the return-path hosts, matched to the delivery they are about.

Matching never guesses, and only a signed VERP token is proof: the token of the address the
report came to (bounces), else the one in the Return-Path of the original message the report
carries, else in the envelope sender the report states (feedback loops send to their own address
and return the original, and may rewrite its Return-Path). The token names the delivery that led
the transaction; the report's recipient picks the delivery among those that shared it (same
message, same destination). A Message-ID alone proves nothing (every
recipient of a message knows it), so a report without a valid token, or whose recipient is no
delivery of that transaction, is kept for the operator and changes nothing.

A failure the MTA gave up on: the delivery is bounced with its reason (services.bounce_reasons)
in the event; the address is suppressed only when the reason says it is dead (or it keeps
failing softly: suppressions.after_failure). A delay: a `deferred` event, no suppression.
Complaint: a `complained` event and a suppression. A complaint that names nobody (the provider
redacted the recipient) is the token's own delivery's when the token stood for it alone, else it
is kept like an unmatched report. Auto-replies and delivery notices are neither: they are kept as
unmatched, never acted upon.
"""
from __future__ import annotations

import dataclasses

import clock
import config
from models import Delivery, InboundReport, Message, SenderDomain
from models.db import database
from models.vocabulary import DeliveryStatus, DomainStatus, EventType, SuppressionReason
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
    return (SenderDomain.select().where(SenderDomain.name == name, SenderDomain.status != DomainStatus.DELETED,
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
    report = bounces.parse(raw, mail_from)
    outcome = Outcome(report.kind)
    lead = _delivery(next(filter(None, map(verp.delivery_id, (rcpt_to, report.original_return_path,
                                                              report.stated_mail_from))), None))
    if lead is not None and report.kind == "bounce":
        for failure in report.failures:
            delivery = _match(lead, failure.recipient) or _match(lead, failure.original_recipient)
            if delivery is not None:  # (success notices never reach here: the parser leaves them out)
                _bounce(delivery, failure, report)
                outcome.matched.append(f"{'bounced' if failure.permanent else 'delayed'} {delivery.recipient}"
                                       f" ({failure.reason}{', suppressed' if failure.hard else ''})")
    elif lead is not None and report.kind == "complaint":
        # none named (redacted, undisclosed): the token's own delivery, when it is the only one the
        # token stands for; in a transaction shared with other recipients, who complained is unknown
        for recipient in report.complained or ((lead.recipient,) if _alone(lead) else ()):
            delivery = _match(lead, recipient)
            if delivery is not None:
                _complaint(delivery, report)
                outcome.matched.append(f"complained {delivery.recipient}")
    if not outcome.matched:
        outcome.unmatched = ("not a bounce or a complaint" if report.kind in ("unknown", "auto-reply", "delivered")
                             else "no valid return-path token" if lead is None
                             else "a complaint naming nobody, its token may stand for several recipients"
                             if report.kind == "complaint" and not report.complained
                             else "none of its recipients is a delivery of that transaction")
        InboundReport.create(mail_from=mail_from[:320], rcpt_to=rcpt_to[:320], kind=report.kind,
                             reason=outcome.unmatched, content=raw)
    return outcome


def _delivery(delivery_id: int | None) -> Delivery | None:
    if delivery_id is None:
        return None
    return Delivery.select(Delivery, Message).join(Message).where(Delivery.id == delivery_id).first()


def _alone(lead: Delivery) -> bool:
    """Whether the lead is the only delivery its token could stand for (see _match)."""
    others = Delivery.select().where(Delivery.message == lead.message_id, Delivery.id != lead.id)
    if not config.current().relay_url:
        others = others.where(Delivery.recipient_domain == lead.recipient_domain)
    return not others.exists()


def _match(lead: Delivery, recipient: str) -> Delivery | None:
    """The delivery to `recipient` among those that shared the lead's transaction (the same
    message and destination); never another address's delivery."""
    recipient = (recipient or "").lower()
    if not recipient:
        return None
    if recipient == lead.recipient:
        return lead
    if not config.current().relay_url and recipient.rpartition("@")[2] != lead.recipient_domain:
        return None  # not in the lead's transaction: its token proves nothing about this one
    return Delivery.get_or_none(Delivery.message == lead.message_id, Delivery.recipient == recipient)


def _bounce(delivery: Delivery, failure, report) -> None:
    reply = " ".join(part for part in (failure.status, failure.diagnostic) if part)
    details = dict(source="dsn", action=failure.action, status=failure.status, smtp_reply=failure.diagnostic,
                   mx_host=failure.remote_mta, reporting_mta=report.reporting_mta, bounce=failure.payload())
    with database.atomic():
        if not failure.permanent:
            Delivery.update(last_reply=f"reported delayed: {reply}", updated_at=clock.now()).where(
                Delivery.id == delivery.id).execute()
            events.record(EventType.DEFERRED, message=delivery.message, delivery=delivery, **details)
            return
        if delivery.status == DeliveryStatus.BOUNCED:
            return  # the same bounce again (or a second notice): counted once
        Delivery.update(status=DeliveryStatus.BOUNCED, last_reply=f"bounced after acceptance: {reply}", updated_at=clock.now()
                        ).where(Delivery.id == delivery.id).execute()
        events.record(EventType.BOUNCED, message=delivery.message, delivery=delivery, **details)
        suppressions.after_failure(delivery.message.user_id, delivery.recipient, failure.hard,
                                   f"{failure.reason}: {reply}")


def _complaint(delivery: Delivery, report) -> None:
    with database.atomic():
        events.record(EventType.COMPLAINED, message=delivery.message, delivery=delivery, source="arf",
                      feedback_type=report.feedback_type, reporting_mta=report.reporting_mta)
        suppressions.add(delivery.message.user_id, delivery.recipient, SuppressionReason.COMPLAINT,
                         f"{report.feedback_type or 'abuse'} report from {report.reporting_mta or 'a mailbox provider'}")


def unmatched(limit: int = 100) -> list[InboundReport]:
    return list(InboundReport.select().order_by(InboundReport.id.desc()).limit(limit))


def unmatched_report(report_id: int) -> InboundReport | None:
    return InboundReport.get_or_none(InboundReport.id == report_id)
