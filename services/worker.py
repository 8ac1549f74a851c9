"""The worker process: mail delivery passes and a pool of webhook POSTs until told to stop (`gatepost worker`,
or a thread of `gatepost serve`). Any number of workers may share one database."""
from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import config
from models.db import database
from services import campaigns, chores, delivery, heartbeats, retention, verification, webhook_deliveries

log = logging.getLogger(__name__)
QUICK_POLL = 0.01  # seconds: the first wait once the queue runs dry, doubling up to `idle` while it stays dry
FEW = 8  # a claim smaller than this: mail trickles in (claims of a message or two cost a pass each)
GATHER = 0.04  # seconds per live worker: while mail trickles, the wait between passes doubles up to this...
GATHER_MAX = 0.16  # ...and never past this, however many workers share the queue
CHORES_EVERY = 1.0  # seconds: chores are offered at most this often (the shortest interval in `schedule`)
WEBHOOK_THREADS = 8  # webhook POSTs in flight per worker; one webhook gets at most PER_ENDPOINT of them


def schedule() -> dict:
    """The chores every worker offers to run; each runs once per interval across all of them."""
    settings = config.current()
    return {"reverify-domains": (datetime.timedelta(seconds=settings.reverify_interval), verification.reverify_enabled),
            "retention": (datetime.timedelta(hours=1), retention.prune),
            "campaigns": (datetime.timedelta(seconds=1), campaigns.run_due)}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run(stop: threading.Event, *, name: str | None = None, idle: float = 1.0) -> None:
    """Mail passes on this thread: back to back while batches come full, else after QUICK_POLL,
    doubling up to `idle` while no mail comes. Mail accepted about as fast as it goes out neither
    waits a whole idle period nor is claimed a message or two a pass: while claims stay under
    FEW, the wait doubles up to GATHER for each live worker (the heartbeats count them): the
    workers a trickle feeds poll it together about as often as one would, each pass taking a
    few messages instead of a pass, a lease and a commit for every message or two. Webhook POSTs
    on their own pool (a `WebhookPool` thread), so a slow endpoint never holds mail, and mail
    never holds webhooks; a heartbeat on a third, so if this process dies its leases are free
    within seconds."""
    name = name or worker_name()
    log.info("worker %s started", name)
    heartbeat = heartbeats.Heartbeat(name)
    pool = WebhookPool(name)
    posting = threading.Thread(target=pool.run, args=(stop, idle), name=f"webhooks-{name}", daemon=True)
    posting.start()
    wait, chores_due = 0.0, 0.0
    while not stop.is_set():
        try:
            with database.connection_context():
                if time.monotonic() >= chores_due:
                    chores.run_due(schedule())
                    chores_due = time.monotonic() + CHORES_EVERY
                handled = delivery.run_once(name)
        except Exception:
            log.exception("delivery pass failed; retrying")
            handled = 0
        gather = min(GATHER_MAX, GATHER * max(1, heartbeat.live))
        if handled >= config.current().worker_batch:  # more may be waiting
            wait = 0.0
        elif handled >= FEW:  # caught up, and the wait gathers enough: keep it
            wait = min(gather, max(QUICK_POLL, wait))
        else:  # a trickle, or none: longer while it lasts
            wait = min(gather if handled else idle, max(QUICK_POLL, 2 * wait))
        if wait:
            stop.wait(wait)
    delivery.SESSIONS.close_idle(0)
    posting.join()
    heartbeat.stop()
    log.info("worker %s stopped", name)


class WebhookPool:
    """Up to `threads` webhook POSTs at once. Rows are leased one at a time, only when a thread
    is free, so none waits in a queue holding its lease; `webhook_deliveries.run_once` skips
    endpoints that already have PER_ENDPOINT POSTs in flight, so a slow endpoint holds at most
    that many threads and other tenants' webhooks go on."""

    def __init__(self, name: str, threads: int = WEBHOOK_THREADS):
        self.name, self.threads, self.in_flight = name, threads, 0
        self.changed = threading.Condition()
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="webhook-post")

    def run(self, stop: threading.Event, idle: float) -> None:
        while not stop.is_set():
            with self.changed:
                if self.in_flight >= self.threads:
                    self.changed.wait(idle)
                    continue
            try:
                with database.connection_context():
                    handled = webhook_deliveries.run_once(self.name, limit=1, submit=self._submit)
            except Exception:
                log.exception("webhook pass failed; retrying")
                handled = 0
            if not handled:
                stop.wait(idle)
        self.executor.shutdown(wait=True)  # POSTs under way end within their deadline

    def _submit(self, post) -> None:
        with self.changed:
            self.in_flight += 1
        self.executor.submit(self._post, post)

    def _post(self, post) -> None:
        try:
            with database.connection_context():
                post()
        except Exception:
            log.exception("webhook POST failed; its lease expires and it is tried again")
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify()
