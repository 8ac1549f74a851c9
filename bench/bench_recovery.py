"""Recovery after kill -9: how soon the mail a killed worker held moves again once a worker is
restarted, against how soon a fresh worker moves mail nobody holds (its start-up), same run.

Leases last an hour here (GATEPOST_LEASE_SECONDS=3600), so without the heartbeats
(services/heartbeats.py) the held mail would wait that hour. A worker is SIGKILLed while it
holds a batch and another is started at once (the worst case: the dead worker's last heartbeat
is as fresh as it can be). "Moves again": every held delivery is claimed by the new worker or
delivered. Goal (issue 14): within 10 s of the restart.

Usage: .venv/bin/python bench/bench_recovery.py [messages=400]
(GATEPOST_BENCH_DATABASE_URL=postgresql://... to run on PostgreSQL). Results go to
bench/results/recovery.json (SQLite) or recovery_<database>.json."""
from __future__ import annotations

import signal
import sys
import time

from harness import environment, install, save

from bench_delivery import queue, stop_all, worker_processes  # noqa: E402  (the delivery benchmark's mail)
from models import Delivery  # noqa: E402
from models.db import database  # noqa: E402
from tests.dns_server import LoopbackDNS  # noqa: E402
from tests.smtp_sink import SMTPSink  # noqa: E402

GOAL_SECONDS = 10


def rows(*where) -> set[int]:
    with database.connection_context():
        return {i for (i,) in Delivery.select(Delivery.id).where(*where).tuples()}


def until(check, timeout: float = 120.0) -> float:
    """Seconds until `check()` is true (polled every 10 ms)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise RuntimeError("timed out")
        time.sleep(0.01)
    return time.monotonic() - started


def moving(held: set[int], dead_owner: str) -> int:
    """How many of the `held` deliveries no longer wait under the dead worker's lease."""
    return len(held - rows(Delivery.id.in_(held), Delivery.lease_owner == dead_owner, Delivery.status != "delivered"))


def main(count: int) -> None:
    dns, sink = LoopbackDNS(), SMTPSink().start()
    dns.zone.add("example.net", "MX", (10, "mx.example.net")).add("mx.example.net", "A", "127.0.0.1")
    env = environment(GATEPOST_DNS_SERVERS=dns.address, GATEPOST_MX_PORT=str(sink.port),
                      GATEPOST_LEASE_SECONDS="3600")
    domain, _ = install(env)
    try:
        # baseline: a fresh worker, mail nobody holds
        queue(domain, count, 0)
        [worker] = worker_processes(env, 1)
        cold_first = until(lambda: rows(Delivery.status == "delivered"))
        stop_all([worker])

        # the kill: a worker mid-batch, SIGKILLed, another started at once
        queue(domain, count, count)
        pending = rows(Delivery.status != "delivered")
        [victim] = worker_processes(env, 1)
        until(lambda: rows(Delivery.lease_owner.is_null(False), Delivery.status != "delivered"))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        held = rows(Delivery.lease_owner.is_null(False), Delivery.status != "delivered")
        with database.connection_context():
            dead_owner = Delivery.get_by_id(next(iter(held))).lease_owner
        restarted = time.monotonic()
        [successor] = worker_processes(env, 1)
        first_moved = until(lambda: moving(held, dead_owner) > 0)
        all_moved = time.monotonic() - restarted + until(lambda: moving(held, dead_owner) == len(held))
        all_delivered = time.monotonic() - restarted + until(
            lambda: not rows(Delivery.id.in_(pending), Delivery.status != "delivered"))
        stop_all([successor])
    finally:
        sink.stop()
        dns.stop()
    database_name = env["GATEPOST_DATABASE_URL"].split(":")[0]
    figures = {
        "database": database_name, "messages": count, "held_at_kill": len(held), "lease_seconds": 3600,
        "headline": "seconds from a worker's restart until every delivery a SIGKILLed worker held moves again",
        "fresh_worker_first_delivery_s": round(cold_first, 2),
        "held_mail_all_moving_s": round(all_moved, 2),
        "held_mail_first_moving_s": round(first_moved, 2),
        "all_mail_delivered_after_restart_s": round(all_delivered, 2),
        "ratio_recovery_to_fresh_start": round(all_moved / cold_first, 2),
        "goal": f"all held mail moving within {GOAL_SECONDS} s: {'met' if all_moved <= GOAL_SECONDS else 'MISSED'}",
    }
    save("recovery" if database_name == "sqlite" else f"recovery_{database_name}", figures)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
