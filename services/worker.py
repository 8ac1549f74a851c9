"""The worker process: mail and webhook delivery passes until told to stop (`gatepost worker`, or a thread of
`gatepost serve`). Any number of workers may share one database."""
from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import uuid

import config
from models.db import database
from services import chores, delivery, retention, verification, webhook_deliveries

log = logging.getLogger(__name__)


def schedule() -> dict:
    """The chores every worker offers to run; each runs once per interval across all of them."""
    settings = config.current()
    return {"reverify-domains": (datetime.timedelta(seconds=settings.reverify_interval), verification.reverify_enabled),
            "retention": (datetime.timedelta(hours=1), retention.prune)}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run(stop: threading.Event, *, name: str | None = None, idle: float = 1.0) -> None:
    name = name or worker_name()
    log.info("worker %s started", name)
    while not stop.is_set():
        try:
            with database.connection_context():
                chores.run_due(schedule())
                handled = delivery.run_once(name) + webhook_deliveries.run_once(name)
        except Exception:
            log.exception("delivery pass failed; retrying")
            handled = 0
        if not handled:
            stop.wait(idle)
    log.info("worker %s stopped", name)
