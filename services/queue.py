"""The delivery rows are the queue (the transactional outbox). A worker claims due rows with
a lease: `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL; on SQLite every
transaction begins IMMEDIATE (models.db), so the claim is a single writer's. A lease that expires (a crashed worker) makes the row claimable
again, so nothing is lost: delivery is at least once."""
from __future__ import annotations

import datetime

import clock
import config
from models import Delivery, Message, SenderDomain, User
from models.db import database
from models.messages import PENDING

def lease(model, pending, owner: str, limit: int) -> list[int]:
    """Lease up to `limit` due rows of an outbox `model` (rows with status, next_attempt_at,
    lease_owner and lease_expires_at) whose status is in `pending`; returns their ids."""
    now = clock.now()
    due = (model.select(model.id)
           .where(model.status.in_(pending), model.next_attempt_at <= now,
                  model.lease_expires_at.is_null() | (model.lease_expires_at < now))
           .order_by(model.next_attempt_at, model.id).limit(limit))
    if not database.obj.__class__.__name__.startswith("Sqlite"):  # SQLite: the transaction is the lock
        due = due.for_update(skip_locked=True)
    with database.atomic():
        ids = [row.id for row in due]
        if ids:
            until = now + datetime.timedelta(seconds=config.current().lease_seconds)
            model.update(lease_owner=owner, lease_expires_at=until).where(model.id.in_(ids)).execute()
    return ids


def claim(owner: str, limit: int = 100) -> list[Delivery]:
    """Lease up to `limit` due deliveries to `owner`; returns them with message, domain and user."""
    ids = lease(Delivery, PENDING, owner, limit)
    if not ids:
        return []
    return list(Delivery.select(Delivery, Message, SenderDomain, User)
                .join(Message).join(SenderDomain).join(User)
                .where(Delivery.id.in_(ids), Delivery.lease_owner == owner)
                .order_by(Delivery.recipient_domain, Message.id, Delivery.id))


def settle(row, owner: str, **changes) -> bool:
    """Write a leased row's outcome and release its lease, only if `owner` still holds it
    (a lease that expired may have passed to another worker, whose word then counts)."""
    model = type(row)
    changes.update(lease_owner=None, lease_expires_at=None)
    if hasattr(model, "updated_at"):
        changes["updated_at"] = clock.now()
    return bool(model.update(**changes).where(model.id == row.id, model.lease_owner == owner).execute())


def clear_domain(domain: SenderDomain, reason: str = "cleared by user") -> int:
    """ClearDomainQueue: pending deliveries not held by a worker fail now; those a worker holds
    fail when it comes back to them (mail accepted before `queue_cleared_at` never goes).
    Returns how many failed now."""
    now = clock.now()
    with database.atomic():
        SenderDomain.update(queue_cleared_at=now).where(SenderDomain.id == domain.id).execute()
        messages = Message.select(Message.id).where(Message.domain == domain)
        pending = (Delivery.select(Delivery.id)
                   .where(Delivery.message.in_(messages), Delivery.status.in_(PENDING),
                          Delivery.lease_expires_at.is_null() | (Delivery.lease_expires_at < now)))
        rows = list(Delivery.select(Delivery, Message).join(Message).where(Delivery.id.in_(pending)))
        if rows:
            (Delivery.update(status="failed", last_reply=reason, lease_owner=None, lease_expires_at=None, updated_at=now)
             .where(Delivery.id.in_([d.id for d in rows])).execute())
        from services import events
        for d in rows:
            events.record("failed", message=d.message, delivery=d, reason=reason)
    return len(rows)
