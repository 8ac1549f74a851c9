"""Recipients a user must not mail again: hard bounces, complaints, unsubscribes, operators' entries."""
from __future__ import annotations

import datetime

import peewee

import clock
import config
from models import Event, Suppression, User
from models.db import database
from models.vocabulary import ContactStatus, EventType, SuppressionReason
from services import contacts

# What a suppression says about the address on the user's contact lists (manual says nothing).
CONTACT_STATUS = {SuppressionReason.HARD_BOUNCE: ContactStatus.BOUNCED,
                  SuppressionReason.REPEATED_SOFT_BOUNCE: ContactStatus.BOUNCED,
                  SuppressionReason.COMPLAINT: ContactStatus.COMPLAINED,
                  SuppressionReason.UNSUBSCRIBE: ContactStatus.UNSUBSCRIBED}


def add(user: User | int, email: str, reason: str, detail: str = "") -> None:
    """Idempotent: an address already suppressed keeps its first reason. The user's contacts
    with that address take the status the reason means, even when it was suppressed before."""
    try:
        with database.atomic():
            Suppression.create(user=user, email=email.strip().lower(), reason=reason, detail=detail[:1000])
    except peewee.IntegrityError:
        pass
    if reason in CONTACT_STATUS:
        contacts.mark(user, email, CONTACT_STATUS[reason])


def remove(user: User, email: str) -> bool:
    return bool(Suppression.delete().where(Suppression.user == user, Suppression.email == email.strip().lower())
                .execute())


def suppressed(user: User, emails: list[str]) -> list[str]:
    """Which of `emails` are suppressed for `user` (lower case)."""
    wanted = {e.strip().lower() for e in emails}
    if not wanted:
        return []
    return sorted(s.email for s in Suppression.select(Suppression.email)
                  .where(Suppression.user == user, Suppression.email.in_(list(wanted))))


def list_for(user: User, search: str = "", limit: int | None = None) -> list[Suppression]:
    """The user's suppressions by address; `search` keeps those whose address contains it."""
    query = Suppression.select().where(Suppression.user == user)
    if search.strip():
        query = query.where(Suppression.email.contains(search.strip().lower()))
    return list(query.order_by(Suppression.email).limit(limit))


def after_failure(user: User | int, email: str, hard: bool, detail: str) -> None:
    """What a failed delivery does to its address: a dead address (hard) is suppressed at once;
    a soft failure only when the same address has failed softly GATEPOST_SOFT_BOUNCE_LIMIT times
    in GATEPOST_SOFT_BOUNCE_DAYS (a mailbox full for weeks costs reputation like a dead one).
    Call it after recording the failure's event, in the same transaction: the events are the count
    (bounced/failed events whose bounce payload says `"hard": false`)."""
    if hard:
        return add(user, email, SuppressionReason.HARD_BOUNCE, detail)
    settings = config.current()
    since = clock.now() - datetime.timedelta(days=settings.soft_bounce_days)
    failures = (Event.select().where(Event.user == user, Event.recipient == email.strip().lower(),
                                     Event.event.in_((EventType.BOUNCED, EventType.FAILED)), Event.created_at >= since,
                                     Event.details.contains('"hard": false')).count())
    if settings.soft_bounce_limit and failures >= settings.soft_bounce_limit:
        add(user, email, SuppressionReason.REPEATED_SOFT_BOUNCE, f"{failures} soft failures in {settings.soft_bounce_days} days; "
                                                 f"last: {detail}")
