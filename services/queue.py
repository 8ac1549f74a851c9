"""The delivery rows are the queue: claiming them (through the outbox leases), clearing a
domain's pending mail, and what the operator's `gatepost queue` commands show."""
from __future__ import annotations

import functools

from peewee import fn

import clock
from models import Delivery, DeliveryAttempt, Message, SenderDomain, User
from models.db import database, prepared
from models.vocabulary import DeliveryStatus, EventType, PENDING_DELIVERY
from services import events, outbox


def claim(owner: str, limit: int = 100) -> list[Delivery]:
    """Lease up to `limit` due deliveries to `owner`; returns them with message, domain and user
    (each domain and user read once, shared by its deliveries' messages). The reads are made
    once per count (models.db.prepared): building them, and a domain's and a user's columns
    for every row, were most of a claim's CPU."""
    ids = outbox.lease(Delivery, PENDING_DELIVERY, owner, limit)
    if not ids:
        return []
    claimed = _leased(len(ids))(owner, *ids)
    domains = _rows(SenderDomain, {d.message.domain_id for d in claimed})
    users = _rows(User, {d.message.user_id for d in claimed})
    claimed = [d for d in claimed if d.message.domain_id in domains and d.message.user_id in users]  # (none deleted since)
    for d in claimed:
        d.message.domain, d.message.user = domains[d.message.domain_id], users[d.message.user_id]
    return claimed


def _rows(model, ids: set[int]) -> dict:
    return {row.id: row for row in _by_id(model, len(ids))(*ids)} if ids else {}


@functools.cache
def _leased(count: int):
    """(owner, *ids) -> those deliveries, with their messages, that `owner` holds."""
    return prepared(lambda owner, *ids: Delivery.select(Delivery, Message).join(Message)
                    .where(Delivery.id.in_(list(ids)), Delivery.lease_owner == owner)
                    .order_by(Delivery.recipient_domain, Message.id, Delivery.id), count + 1)


@functools.cache
def _by_id(model, count: int):
    """(*ids) -> those rows of `model`."""
    return prepared(lambda *ids: model.select().where(model.id.in_(list(ids))), count)


def clear_domain(domain: SenderDomain, reason: str = "cleared by user") -> int:
    """ClearDomainQueue: pending deliveries not held by a worker fail now; those a worker holds
    fail when it comes back to them (mail accepted before `queue_cleared_at` never goes).
    Returns how many failed now."""
    now = clock.now()
    with database.atomic():
        SenderDomain.update(queue_cleared_at=now).where(SenderDomain.id == domain.id).execute()
        messages = Message.select(Message.id).where(Message.domain == domain)
        pending = (Delivery.select(Delivery.id)
                   .where(Delivery.message.in_(messages), Delivery.status.in_(PENDING_DELIVERY),
                          outbox.free(Delivery, now)))
        rows = list(Delivery.select(Delivery, Message).join(Message).where(Delivery.id.in_(pending)))
        if rows:
            (Delivery.update(status=DeliveryStatus.FAILED, last_reply=reason, lease_owner=None, lease_expires_at=None, updated_at=now)
             .where(Delivery.id.in_([d.id for d in rows])).execute())
        for d in rows:
            events.record(EventType.FAILED, message=d.message, delivery=d, reason=reason)
    return len(rows)


def stats() -> dict:
    """What is waiting, by state and by sender domain, and the oldest due delivery."""
    now = clock.now()
    by_state = dict(Delivery.select(Delivery.status, fn.COUNT(Delivery.id)).group_by(Delivery.status).tuples())
    waiting = (Delivery.select(SenderDomain.name, Delivery.status, fn.COUNT(Delivery.id)).join(Message)
               .join(SenderDomain).where(Delivery.status.in_(PENDING_DELIVERY))
               .group_by(SenderDomain.name, Delivery.status).tuples())
    by_domain: dict[str, dict[str, int]] = {}
    for name, status, n in waiting:
        by_domain.setdefault(name, {})[status] = n
    oldest = (Delivery.select(Delivery, Message).join(Message)
              .where(Delivery.status.in_(PENDING_DELIVERY), Delivery.next_attempt_at <= now)
              .order_by(Delivery.next_attempt_at).first())
    leased = Delivery.select().where(Delivery.status.in_(PENDING_DELIVERY), outbox.held(Delivery, now)).count()
    return {"by_state": by_state, "by_domain": by_domain, "leased": leased,
            "oldest_due": None if oldest is None else {
                "message_id": oldest.message.uuid, "recipient": oldest.recipient,
                "due_since": oldest.next_attempt_at, "waiting_seconds": int((now - oldest.next_attempt_at).total_seconds()),
                "attempts": oldest.attempts, "last_reply": oldest.last_reply}}


def waiting(user: User, limit: int = 100) -> list[Delivery]:
    """The user's deliveries still to be attempted, soonest first: what waits, why, and when next."""
    return list(Delivery.select(Delivery, Message).join(Message)
                .where(Message.user == user, Delivery.status.in_(PENDING_DELIVERY))
                .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit))


def inspect(message_uuid: str, user: User | None = None) -> dict | None:
    """One message: each delivery's state, and every attempt with its SMTP reply (with `user`,
    only that user's message: another's is the same as none)."""
    query = (Message.select(Message, SenderDomain).join(SenderDomain)
             .where(Message.uuid == message_uuid.strip().strip("<>").split("@")[0]))
    message = (query if user is None else query.where(Message.user == user)).first()
    if message is None:
        return None
    deliveries = []
    for d in message.deliveries.order_by(Delivery.id):
        attempts = [{"at": a.started_at, "mx_host": a.mx_host, "code": a.smtp_code, "reply": a.reply,
                     "outcome": a.outcome, "duration_ms": a.duration_ms}
                    for a in d.attempt_log.order_by(DeliveryAttempt.id)]
        deliveries.append({"recipient": d.recipient, "kind": d.kind, "status": d.status, "attempts": d.attempts,
                           "next_attempt_at": d.next_attempt_at, "leased_by": d.lease_owner, "last_reply": d.last_reply,
                           "attempt_log": attempts})
    return {"message_id": message.uuid, "domain": message.domain.name, "from": message.mail_from,
            "subject": message.subject, "accepted_at": message.created_at, "send_at": message.send_at,
            "size": message.size, "content_kept": message.content is not None, "deliveries": deliveries}
