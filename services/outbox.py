"""The transactional outbox pattern: rows written in the same transaction as the change they
announce (deliveries, webhook deliveries), then leased by workers. A claim is
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL; on SQLite every transaction begins
IMMEDIATE (models.db), so the claim is a single writer's. A lease that expires, or whose owner
stopped beating (services.heartbeats: a crashed worker), makes the row claimable again, so
nothing is lost: delivery is at least once."""
from __future__ import annotations

import datetime

import peewee

import clock
import config
from models.db import database, update_rows
from services import heartbeats


def lease(model, pending, owner: str, limit: int, where=None, ahead: datetime.timedelta | None = None) -> list[int]:
    """Lease up to `limit` due rows of an outbox `model` (rows with status, next_attempt_at,
    lease_owner and lease_expires_at) whose status is in `pending` and that match `where`;
    returns their ids. `ahead`: rows due that much later count as due (a batch's riders)."""
    now = clock.now()
    due = (model.select(model.id)
           .where(model.status.in_(pending), model.next_attempt_at <= now + (ahead or datetime.timedelta()),
                  free(model, now))
           .order_by(model.next_attempt_at, model.id).limit(limit))
    if where is not None:
        due = due.where(where)
    if not due.exists():  # a plain read first, so a poll of an empty outbox takes no lock (on SQLite: the database's)
        return []
    if not isinstance(database.obj, peewee.SqliteDatabase):  # SQLite (pooled too): the transaction is the lock
        due = due.for_update(skip_locked=True)
    with database.atomic():
        ids = [row.id for row in due]
        if ids:
            until = now + datetime.timedelta(seconds=config.current().lease_seconds)
            model.update(lease_owner=owner, lease_expires_at=until).where(model.id.in_(ids)).execute()
    return ids


def free(model, now: datetime.datetime):
    """The condition of a row no live worker holds: never leased, its lease expired, or its owner
    stopped beating."""
    return (model.lease_expires_at.is_null() | (model.lease_expires_at < now)
            | model.lease_owner.in_(heartbeats.stopped(now)))


def held(model, now: datetime.datetime):
    """The condition of a row a live worker holds (the negation of `free`)."""
    return (model.lease_expires_at >= now) & model.lease_owner.not_in(heartbeats.stopped(now))


def settle(row, owner: str, **changes) -> bool:
    """Write a leased row's outcome and release its lease, only if `owner` still holds it
    (a lease that expired may have passed to another worker, whose word then counts)."""
    model = type(row)
    return bool(model.update(**_released(model, changes)).where(model.id == row.id, model.lease_owner == owner).execute())


def settle_many(model, owner: str, outcomes: list[tuple[int, dict]]) -> set[int]:
    """`settle` for several rows (id, changes) inside the caller's transaction: the rows `owner`
    still holds are locked (so the writes need not ask again), then each is written with its
    own changes (models.db.update_rows); returns their ids."""
    held = model.select(model.id).where(model.id.in_([row_id for row_id, _ in outcomes]), model.lease_owner == owner)
    if not isinstance(database.obj, peewee.SqliteDatabase):  # SQLite: the transaction is the lock
        held = held.for_update()
    held = {row_id for (row_id,) in held.tuples()}
    shapes: dict[tuple, list[dict]] = {}
    for row_id, changes in outcomes:
        if row_id in held:
            row = dict(_released(model, changes), id=row_id)
            shapes.setdefault(tuple(row), []).append(row)
    for rows in shapes.values():
        update_rows(model, rows)
    return held


def _released(model, changes: dict) -> dict:
    changes = dict(changes, lease_owner=None, lease_expires_at=None)
    if hasattr(model, "updated_at"):
        changes["updated_at"] = clock.now()
    return changes
