"""kill -9 the workers, again and again: every accepted message still arrives, nothing stays
stuck, and the only duplicates are the mail a killed worker had sent but not yet recorded.

Real `gatepost worker` subprocesses against the test database, the loopback DNS server and
the loopback sink; a worker is SIGKILLed every 0.5-1.5 s (preferably one that holds leases,
i.e. is mid-batch) and replaced, with one or two running at any time."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from collections import Counter

import pytest
from peewee import fn

from models import Delivery, DeliveryAttempt
from models.vocabulary import PENDING_DELIVERY
from tests.e2e.test_processes import GATEPOST, ROOT, queue_messages
from tests.faults.conftest import sized, start_sink
from tests.smtp_sink import SMTPSink, _Handler

pytestmark = pytest.mark.faults

MESSAGES = sized(200, 3000)
BATCH = 20
LEASE_SECONDS = 2
DATA_SECONDS = sized(0.02, 0.01)  # each DATA takes this long at the sink: kills land mid-transaction
# seconds for the whole run to finish: alone it takes 11-15 s (220 s large), but kills come on a
# wall clock while a loaded machine starts each worker slowly (197 s with four CPU burners beside it)
TIMEOUT = sized(240, 900)


class _SlowishHandler(_Handler):
    """The stock sink, but every DATA takes `DATA_SECONDS` (the stock one slows only `slow@`)."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(DATA_SECONDS)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink(as_mx):
    server = as_mx(start_sink(SMTPSink(), _SlowishHandler))
    server.slow_seconds = 0
    yield server
    server.stop()


@pytest.fixture
def environment(settings, sink, dns_server, tmp_path):
    from tests.conftest import free_port

    return dict(os.environ, GATEPOST_DATABASE_URL=settings.database_url, GATEPOST_SECRET_KEY=settings.secret_key,
                GATEPOST_VAR_DIR=str(tmp_path), GATEPOST_DNS_SERVERS=dns_server.address,
                GATEPOST_MX_PORT=str(sink.port), GATEPOST_MAIL_HOST=settings.mail_host, PYTHONUNBUFFERED="1",
                GATEPOST_SMTP_PORTS=str(free_port()), GATEPOST_SMTP_TLS_PORT=str(free_port()),
                GATEPOST_INBOUND_PORT=str(free_port()), GATEPOST_SMTP_TIMEOUT="5",
                GATEPOST_LEASE_SECONDS=str(LEASE_SECONDS), GATEPOST_WORKER_BATCH=str(BATCH))


class Workers:
    """The worker subprocesses of one test; every one is gone when the test ends."""

    def __init__(self, environment, log_dir):
        self.environment, self.log_dir = environment, log_dir
        self.running: list[subprocess.Popen] = []
        self.started = self.kills = self.kills_mid_batch = 0

    def start(self) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{self.started}.log", "wb")
        process = subprocess.Popen(GATEPOST + ["worker"], env=self.environment, cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the child has its own descriptor
        self.started += 1
        self.running.append(process)
        return process

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL a worker, one that holds leases when there is one (it is mid-batch)."""
        holding = {owner.split(":")[1] for (owner,) in
                   Delivery.select(Delivery.lease_owner).where(Delivery.lease_owner.is_null(False))
                   .distinct().tuples() if owner.count(":") >= 2}
        busy = [p for p in self.running if str(p.pid) in holding]
        victim = rng.choice(busy or self.running)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        self.running.remove(victim)
        self.kills += 1
        self.kills_mid_batch += bool(busy)

    def reap(self) -> list[int]:
        """Drop workers that exited on their own; returns their exit codes (none should)."""
        gone = [p for p in self.running if p.poll() is not None]
        for p in gone:
            self.running.remove(p)
        return [p.returncode for p in gone]

    def stop(self) -> None:
        for p in self.running:
            p.send_signal(signal.SIGTERM)
        for p in self.running:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        self.running.clear()


def pending() -> int:
    return Delivery.select().where(Delivery.status != "delivered").count()


def test_killed_workers_lose_nothing(environment, sender, sink, tmp_path, figures):
    recipients = [f"r{i}@example.net" for i in range(MESSAGES)]
    queue_messages(sender, recipients)
    assert Delivery.select().count() == MESSAGES

    rng = random.Random(20240611)
    workers = Workers(environment, tmp_path)
    started = time.monotonic()
    deadline = started + TIMEOUT
    unexpected_exits: list[int] = []
    try:
        workers.start()
        workers.start()
        while pending() and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.5, 1.5))
            unexpected_exits += workers.reap()
            if not pending():
                break
            if workers.running:
                workers.kill_one(rng)
            target = rng.choice((1, 2))
            while len(workers.running) < target:
                workers.start()
        left = pending()
    finally:
        workers.stop()
    elapsed = time.monotonic() - started

    assert not unexpected_exits, f"workers exited on their own: {unexpected_exits} (logs in {tmp_path})"
    assert left == 0, (f"{left} of {MESSAGES} deliveries not delivered after {TIMEOUT}s: "
                       f"{Counter(d.status for d in Delivery.select())}")
    # none stuck: nothing pending, nothing leased
    assert not Delivery.select().where(Delivery.status.in_(PENDING_DELIVERY)).exists()
    assert not Delivery.select().where(Delivery.lease_owner.is_null(False)).exists()
    assert {d.status for d in Delivery.select()} == {"delivered"}

    # every recipient received at least once; duplicates only from the batches killed mid-way
    received = Counter(rcpt for message in sink.received for rcpt in message.rcpt_tos)
    assert set(received) == set(recipients), f"lost: {sorted(set(recipients) - set(received))[:20]}"
    duplicates = sum(received.values()) - len(recipients)
    assert duplicates <= workers.kills * BATCH, (duplicates, workers.kills)

    # every delivery row has its attempts recorded, the last one the delivery
    with_attempt = (DeliveryAttempt.select(DeliveryAttempt.delivery)
                    .where(DeliveryAttempt.outcome == "delivered").distinct())
    assert not Delivery.select().where(Delivery.id.not_in(with_attempt)).exists()
    attempts = DeliveryAttempt.select().count()
    counted = Delivery.select(fn.SUM(Delivery.attempts)).scalar()
    assert counted == attempts  # the attempts column agrees with the log
    figures(messages=MESSAGES, seconds=round(elapsed, 1), workers_started=workers.started, kills=workers.kills,
            kills_mid_batch=workers.kills_mid_batch, duplicates=duplicates, attempts=attempts,
            most_copies=max(received.values()))
