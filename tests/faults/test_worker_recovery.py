"""kill -9 every worker while they hold mail and webhook leases, then start one again: the held
mail and webhooks move again although their leases would last an hour, because the dead
workers stopped beating (services.heartbeats). Nothing is lost, and the only duplicates are
what the dead workers held at the kill.

Real `gatepost worker` subprocesses against the test database, the loopback DNS server, the
loopback sink (each DATA a little slow, so batches are held) and a webhook receiver that thinks
before it answers (so POSTs are held). `bench/bench_recovery.py` measures the seconds."""
from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import pytest

import config

from models import Delivery, WebhookDelivery
from models.vocabulary import EventType
from services import webhooks
from tests.e2e.test_processes import queue_messages
from tests.faults.conftest import sized
from tests.faults.conftest import start_sink
from tests.faults.test_worker_crashes import Workers
from tests.faults.test_slow_webhook import eventually
from tests.faults.test_worker_crashes import environment  # noqa: F401  (a fixture)
from tests.http_receiver import Receiver
from tests.smtp_sink import SMTPSink, _Handler

pytestmark = pytest.mark.faults

MESSAGES = sized(40, 400)
HOUR = 3600  # the lease: without heartbeats nothing held would move during this test
TIMEOUT = sized(120, 600)  # seconds for everything to arrive after the restart (bounded, far below HOUR)


class _ThoughtfulHandler(_Handler):
    """The stock sink, but every DATA takes 0.2 s: a worker is mid-batch most of the time."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.2)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sink(as_mx):
    server = as_mx(start_sink(SMTPSink(), _ThoughtfulHandler))
    server.slow_seconds = 0
    yield server
    server.stop()


def held(model) -> set[int]:
    return {i for (i,) in model.select(model.id).where(model.lease_owner.is_null(False)).tuples()}


@pytest.fixture
def receiver():
    server = Receiver(delay=0.3)
    yield server
    server.stop()


def test_mail_and_webhooks_held_by_killed_workers_move_after_a_restart(environment, sender, sink, receiver, tmp_path,
                                                                         figures):
    # one connection a worker, so that each is mid-batch most of the time
    environment = dict(environment, GATEPOST_LEASE_SECONDS=str(HOUR), GATEPOST_WEBHOOK_ALLOW_PRIVATE="1",
                       GATEPOST_DESTINATION_CONNECTIONS="1")
    config.use(config.current().replace(webhook_allow_private=True))
    webhooks.add(sender.account.user, sender.domain.id, [EventType.DELIVERED], receiver.url + "/hook")
    recipients = [f"r{i}@example.net" for i in range(MESSAGES)]
    queue_messages(sender, recipients)

    workers = Workers(environment, tmp_path)
    try:
        workers.start()
        workers.start()
        eventually(lambda: held(Delivery) and held(WebhookDelivery), "both workers hold mail and webhooks", 60)
        for process in list(workers.running):  # every process at once
            process.send_signal(signal.SIGKILL)
        for process in workers.running:
            process.wait(10)
        workers.running.clear()
        mail_held, hooks_held = held(Delivery), held(WebhookDelivery)
        assert mail_held, "the kill landed while mail was leased"

        restarted = time.monotonic()
        workers.start()
        eventually(lambda: not Delivery.select().where(Delivery.status != "delivered").exists(),
                   "every delivery is delivered", TIMEOUT)
        eventually(lambda: WebhookDelivery.select().count() == MESSAGES and not WebhookDelivery.select().where(
            WebhookDelivery.status != "delivered").exists(), "every webhook is delivered", TIMEOUT)
        seconds = time.monotonic() - restarted
    finally:
        workers.stop()

    assert not held(Delivery) and not held(WebhookDelivery)  # the restarted worker stopped cleanly
    received = Counter(rcpt for message in sink.received for rcpt in message.rcpt_tos)
    assert set(received) == set(recipients)
    mail_duplicates = sum(received.values()) - MESSAGES
    assert mail_duplicates <= len(mail_held), (mail_duplicates, len(mail_held))
    posted = Counter(post.headers["X-Gatepost-Delivery"] for post in receiver.received)
    assert set(posted) == {str(r.id) for r in WebhookDelivery.select()}
    hook_duplicates = sum(posted.values()) - MESSAGES
    assert hook_duplicates <= len(hooks_held), (hook_duplicates, len(hooks_held))
    figures(messages=MESSAGES, mail_held_at_kill=len(mail_held), webhooks_held_at_kill=len(hooks_held),
            mail_duplicates=mail_duplicates, webhook_duplicates=hook_duplicates,
            seconds_after_restart=round(seconds, 1))
