"""Recipients a user must not mail again: hard bounces, complaints, unsubscribes, operators' entries;
and the allow-list: addresses or whole domains the user wants mailable whatever happens to them
(nothing suppresses them, and an earlier suppression of theirs no longer blocks)."""
from __future__ import annotations

import datetime
import functools

import peewee

import clock
import config
from models import Event, Suppression, SuppressionAllow, User
from models.db import database, prepared
from models.vocabulary import ContactStatus, EventType, SuppressionReason
from services import contacts

# What a suppression says about the address on the user's contact lists (manual says nothing).
CONTACT_STATUS = {SuppressionReason.HARD_BOUNCE: ContactStatus.BOUNCED,
                  SuppressionReason.REPEATED_SOFT_BOUNCE: ContactStatus.BOUNCED,
                  SuppressionReason.COMPLAINT: ContactStatus.COMPLAINED,
                  SuppressionReason.UNSUBSCRIBE: ContactStatus.UNSUBSCRIBED}


def as_listed(email: str) -> str:
    """An address as the suppression and allow lists hold it and are asked for it."""
    return email.strip().lower()


def add(user: User | int, email: str, reason: str, detail: str = "") -> None:
    """Idempotent: an address already suppressed keeps its first reason. The user's contacts
    with that address take the status the reason means, even when it was suppressed before.
    An allow-listed address is never suppressed."""
    if allowed(user, [email]):
        return
    try:
        with database.atomic():
            Suppression.create(user=user, email=as_listed(email), reason=reason, detail=detail[:1000])
    except peewee.IntegrityError:
        pass
    if reason in CONTACT_STATUS:
        contacts.mark(user, email, CONTACT_STATUS[reason])


def remove(user: User, email: str) -> bool:
    return bool(Suppression.delete().where(Suppression.user == user, Suppression.email == as_listed(email)).execute())


def suppressed(user: User, emails: list[str]) -> list[str]:
    """Which of `emails` are suppressed for `user` (lower case)."""
    wanted = sorted({as_listed(e) for e in emails})
    if not wanted:
        return []
    found = {email for (email,) in _suppressed_among(len(wanted))(getattr(user, "id", user), *wanted)}
    return not_allowed(user, found)


def not_allowed(user: User | int, found) -> list[str]:
    """Those of the suppressed addresses `found` that the allow-list does not let through."""
    return sorted(set(found) - set(allowed(user, sorted(found)))) if found else []


def among_query(user_id, emails: list, *columns):
    """The SELECT of which of `emails` (lower case) the user's list holds, with `columns` after
    the address: `suppressed` runs it, the accept path with its other reads in one statement."""
    return Suppression.select(Suppression.email, *columns).where(Suppression.user == user_id,
                                                                Suppression.email.in_(emails))


@functools.cache
def _suppressed_among(count: int):
    """The prepared query for `count` addresses (every send asks it)."""
    return prepared(lambda user_id, *emails: among_query(user_id, list(emails)).tuples(), count + 1)


def allowed(user: User | int, emails: list[str]) -> list[str]:
    """Which of `emails` (lower case) are on the user's allow-list, by address or by domain."""
    wanted = {as_listed(e) for e in emails}
    if not wanted:
        return []
    keys = wanted | {e.rpartition("@")[2] for e in wanted}
    listed = {row.recipient for row in SuppressionAllow.select(SuppressionAllow.recipient)
              .where(SuppressionAllow.user == user, SuppressionAllow.recipient.in_(sorted(keys)))}
    return sorted(e for e in wanted if e in listed or e.rpartition("@")[2] in listed)


def allow(user: User, recipient: str, recipient_type: str, description: str = "") -> SuppressionAllow:
    """Put an address ("email") or a domain ("domain") on the allow-list; idempotent."""
    recipient = as_listed(recipient)
    row, _ = SuppressionAllow.get_or_create(user=user, recipient=recipient, defaults={
        "recipient_type": recipient_type, "description": description[:1000]})
    return row


def allowed_page(user: User, search: str = "", offset: int = 0, limit: int = 10) -> tuple[int, list[SuppressionAllow]]:
    query = SuppressionAllow.select().where(SuppressionAllow.user == user)
    if search:
        query = query.where(SuppressionAllow.recipient.contains(search.strip().lower()))
    return query.count(), list(query.order_by(SuppressionAllow.created_at.desc(), SuppressionAllow.id.desc())
                               .offset(offset).limit(limit))


def remove_ids(user: User, ids: list[int], reasons=None) -> int:
    """Delete the user's suppressions with these ids (of the given reasons); how many went."""
    query = Suppression.delete().where(Suppression.user == user, Suppression.id.in_(ids))
    if reasons is not None:
        query = query.where(Suppression.reason.in_(list(reasons)))
    return query.execute()


def disallow_ids(user: User, ids: list[int]) -> int:
    return SuppressionAllow.delete().where(SuppressionAllow.user == user, SuppressionAllow.id.in_(ids)).execute()


def list_for(user: User, search: str = "", limit: int | None = None) -> list[Suppression]:
    """The user's suppressions by address; `search` keeps those whose address contains it."""
    query = Suppression.select().where(Suppression.user == user)
    if search.strip():
        query = query.where(Suppression.email.contains(search.strip().lower()))
    return list(query.order_by(Suppression.email).limit(limit))


def page(user: User, *, reasons=None, search: str = "", email: str = "", start: datetime.datetime | None = None,
         end: datetime.datetime | None = None, offset: int = 0, limit: int = 100) -> tuple[int, list[Suppression]]:
    """(how many match, a page of them, newest first): the user's suppressions for some reasons
    (None: all), whose address contains `search` or is `email`, added in [start, end)."""
    query = Suppression.select().where(Suppression.user == user)
    if search:
        query = query.where(Suppression.email.contains(search.strip().lower()))
    if email:
        query = query.where(Suppression.email == as_listed(email))
    if reasons is not None:
        query = query.where(Suppression.reason.in_(list(reasons)))
    if start:
        query = query.where(Suppression.created_at >= start)
    if end:
        query = query.where(Suppression.created_at < end)
    return query.count(), list(query.order_by(Suppression.created_at.desc(), Suppression.id.desc())
                               .offset(offset).limit(limit))


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
