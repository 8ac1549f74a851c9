"""Worker liveness. A running worker renews its row every `heartbeat_seconds`; a worker not
seen for MISSED_BEATS beats has stopped (kill -9, a lost machine), and every lease it holds is
free at once (`outbox.free`), so its mail and webhooks move again seconds later instead of when
the leases expire. A live worker keeps its leases until they expire, as before."""
from __future__ import annotations

import datetime
import logging
import threading
import time

import clock
import config
from models import Delivery, WebhookDelivery, WorkerHeartbeat
from models.db import database

log = logging.getLogger(__name__)
MISSED_BEATS = 3
LEASED = (Delivery, WebhookDelivery)  # the outboxes whose rows a worker leases


def dead_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=MISSED_BEATS * config.current().heartbeat_seconds)


def stopped(now: datetime.datetime):
    """The names of workers that stopped beating (a subquery for lease conditions)."""
    return silent_since(now - dead_after())


def silent_since(moment):
    """The names of workers not seen since `moment` (a value, or a prepared query's slot)."""
    return WorkerHeartbeat.select(WorkerHeartbeat.name).where(WorkerHeartbeat.last_seen < moment)


def beat(name: str) -> int:
    """Say `name` is alive; forget workers gone so long that every lease they took has expired.
    Returns how many workers are alive, `name` included (they share the polling of the queue)."""
    now = clock.now()
    with database.atomic():
        if not WorkerHeartbeat.update(last_seen=now).where(WorkerHeartbeat.name == name).execute():
            WorkerHeartbeat.create(name=name, started_at=now, last_seen=now)
        gone = now - dead_after() - datetime.timedelta(seconds=config.current().lease_seconds)
        WorkerHeartbeat.delete().where(WorkerHeartbeat.last_seen < gone).execute()
        return WorkerHeartbeat.select().where(WorkerHeartbeat.last_seen >= now - dead_after()).count()


def depart(name: str) -> None:
    """A clean stop: hand back whatever `name` still holds and drop its row."""
    with database.atomic():
        for model in LEASED:
            model.update(lease_owner=None, lease_expires_at=None).where(model.lease_owner == name).execute()
        WorkerHeartbeat.delete().where(WorkerHeartbeat.name == name).execute()


FIRST_BEAT_TRIES, FIRST_BEAT_RETRY = 50, 0.1  # a worker's first beat: tries, seconds between them


class Heartbeat:
    """`name`'s heartbeat on its own thread, from construction until `stop()`; `live` is how
    many workers were alive at the last beat. The first beat is written before construction
    returns (tried again for a few seconds, then left to the thread, as when the database is
    down): a worker killed after leasing but before its row existed would have no row to go
    stale, and its leases would wait for their expiry (a MariaDB run of the recovery fault test
    left one killed worker's leases unmoved: a first beat lost to a deadlock with the other
    worker's claim would do that)."""

    def __init__(self, name: str):
        self.name, self.stopping, self.live = name, threading.Event(), 1
        for _ in range(FIRST_BEAT_TRIES):
            if self._beat():
                break
            time.sleep(FIRST_BEAT_RETRY)
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{name}", daemon=True)
        self.thread.start()

    def _beat(self) -> bool:
        try:
            with database.connection_context():
                self.live = beat(self.name)
            return True
        except Exception:
            log.exception("heartbeat of %s failed; trying again", self.name)
            return False

    def _run(self) -> None:
        while not self.stopping.wait(config.current().heartbeat_seconds):
            self._beat()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        with database.connection_context():
            depart(self.name)
