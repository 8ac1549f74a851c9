"""The worker process: delivery passes until told to stop (`gatepost worker`, or a thread of
`gatepost serve`). Any number of workers may share one database."""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from models.db import database
from services import delivery

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run(stop: threading.Event, *, name: str | None = None, idle: float = 1.0) -> None:
    name = name or worker_name()
    log.info("worker %s started", name)
    while not stop.is_set():
        try:
            with database.connection_context():
                handled = delivery.run_once(name)
        except Exception:
            log.exception("delivery pass failed; retrying")
            handled = 0
        if not handled:
            stop.wait(idle)
    log.info("worker %s stopped", name)
