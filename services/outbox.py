"""The transactional outbox pattern: rows written in the same transaction as the change they
announce (deliveries, webhook deliveries), then leased by workers. A claim is
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL; on SQLite every transaction begins
IMMEDIATE (models.db), so the claim is a single writer's. A lease that expires, or whose owner
stopped beating (services.heartbeats: a crashed worker), makes the row claimable again, so
nothing is lost: delivery is at least once."""
from __future__ import annotations

import datetime
import functools

import peewee

import clock
import config
from models.db import database, prepared, update_rows
from services import heartbeats


def lease(model, pending, owner: str, limit: int, where=None, ahead: datetime.timedelta | None = None) -> list[int]:
    """Lease up to `limit` due rows of an outbox `model` (rows with status, next_attempt_at,
    lease_owner and lease_expires_at) whose status is in `pending` and that match `where`;
    returns their ids. `ahead`: rows due that much later count as due (a batch's riders).
    Without `where` (the delivery queue, polled many times a second) the statements are made
    once (models.db.prepared): peewee's builder cost more CPU than the database did."""
    now = clock.now()
    due_by, silent = now + (ahead or datetime.timedelta()), now - heartbeats.dead_after()
    if where is None:
        any_due, due = _due(model, tuple(pending))
        if not any_due(now, due_by, silent):  # a plain read first, so a poll of an empty outbox takes no lock
            return []
        with database.atomic():
            ids = [row.id for row in due(now, due_by, silent, limit)]
            if ids:
                _take(model, len(ids))(owner, now + _lease_time(), *ids)
        return ids
    query = _due_rows(model, pending, now, due_by, silent).limit(limit).where(where)
    if not query.exists():  # (on SQLite the transaction would take the database's lock)
        return []
    with database.atomic():
        ids = [row.id for row in _locked(query)]
        if ids:
            _take(model, len(ids))(owner, now + _lease_time(), *ids)
    return ids


def _lease_time() -> datetime.timedelta:
    return datetime.timedelta(seconds=config.current().lease_seconds)


def _due_rows(model, pending, now, due_by, silent):
    """Rows of `model` due by `due_by` that no live worker holds, soonest first."""
    return (model.select(model.id)
            .where(model.status.in_(list(pending)), model.next_attempt_at <= due_by, _free(model, now, silent))
            .order_by(model.next_attempt_at, model.id))


@functools.cache
def _due(model, pending: tuple):
    """The prepared reads of a lease: is any row due (now, due_by, silent since), and the due
    rows, locked where the database locks rows (now, due_by, silent since, limit)."""
    return (prepared(lambda now, due_by, silent: _due_rows(model, pending, now, due_by, silent).limit(1)),
            prepared(lambda now, due_by, silent, limit: _locked(_due_rows(model, pending, now, due_by, silent)
                                                                .limit(limit))))


def _locked(query, skip_locked: bool = True):
    """`query` locking the rows it reads, skipping (or waiting for) those another worker holds;
    on SQLite (pooled too) the write transaction is the lock."""
    if isinstance(database.obj, peewee.SqliteDatabase):
        return query
    return query.for_update(skip_locked=skip_locked or None)


@functools.cache
def _take(model, count: int):
    """The prepared UPDATE that leases `count` rows: (owner, until, *ids)."""
    return prepared(lambda owner, until, *ids: model.update(lease_owner=owner, lease_expires_at=until)
                    .where(model.id.in_(list(ids))), count + 2, rows=False)


def free(model, now: datetime.datetime):
    """The condition of a row no live worker holds: never leased, its lease expired, or its owner
    stopped beating."""
    return _free(model, now, now - heartbeats.dead_after())


def _free(model, now, silent):
    """`free`, with owners that have been silent since `silent` counted as stopped."""
    return (model.lease_expires_at.is_null() | (model.lease_expires_at < now)
            | model.lease_owner.in_(heartbeats.silent_since(silent)))


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
    own changes (models.db.update_rows); returns their ids. One row (mail that trickles in is
    recorded a message at a time) is one UPDATE whose condition is the lease: lease_owner
    always changes from `owner` to NULL, so the count of changed rows says whether it held."""
    if len(outcomes) == 1:
        (row_id, changes), = outcomes
        row = _released(model, changes)
        values = [model._meta.fields[name].db_value(value) for name, value in row.items()]
        return {row_id} if _write_held(model, tuple(row))(*values, row_id, owner) else set()
    held = {row_id for (row_id,) in _still_held(model, len(outcomes))(owner, *(row_id for row_id, _ in outcomes))}
    shapes: dict[tuple, list[dict]] = {}
    for row_id, changes in outcomes:
        if row_id in held:
            row = dict(_released(model, changes), id=row_id)
            shapes.setdefault(tuple(row), []).append(row)
    for rows in shapes.values():
        update_rows(model, rows)
    return held


@functools.cache
def _write_held(model, names: tuple[str, ...]):
    """The prepared UPDATE of one row's `names` where an owner still holds it: (*values, id, owner)."""
    fields = [model._meta.fields[name] for name in names]
    return prepared(lambda *values: model.update({f: v for f, v in zip(fields, values)})
                    .where(model.id == values[-2], model.lease_owner == values[-1]), len(names) + 2, rows=False)


@functools.cache
def _still_held(model, count: int):
    """The prepared read of which of `count` rows an owner still holds, locked: (owner, *ids)."""
    return prepared(lambda owner, *ids: _locked(model.select(model.id).where(
        model.id.in_(list(ids)), model.lease_owner == owner).tuples(), skip_locked=False), count + 1)


def _released(model, changes: dict) -> dict:
    changes = dict(changes, lease_owner=None, lease_expires_at=None)
    if hasattr(model, "updated_at"):
        changes["updated_at"] = clock.now()
    return changes
