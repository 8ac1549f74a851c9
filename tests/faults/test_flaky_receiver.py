"""A receiving MTA that fails at random: 451 at RCPT, 421 and a closed connection, connections
dropped without an answer, and (the nastiest) a connection dropped after the message was taken
but before the 250 went out. The delivery passes run in-process and the project clock moves to
the next retry between them; every message arrives, no delivery ends failed, every attempt is
recorded, and the only duplicates are the messages whose 250 was lost."""
from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

import clock
import config
from models import Delivery, DeliveryAttempt
from models.vocabulary import PENDING_DELIVERY
from services import delivery
from tests.e2e.test_processes import queue_messages
from tests.faults.conftest import sized, start_sink
from tests.smtp_sink import ACCEPT_DATA, ACCEPT_RCPT, DROPPED, SMTPSink, _Handler, _local_part

pytestmark = pytest.mark.faults

MESSAGES = sized(100, 2000)
SEED = 5_421_451
TEMPFAIL = "451 4.3.0 Temporary failure, please retry"
CLOSING = "421 4.7.0 Too busy, closing connection"
LOST_250 = "(dropped after DATA)"


class _FlakyHandler(_Handler):
    """For ordinary addresses, a seeded coin decides each RCPT: ~30% 451, ~10% 421 and close,
    ~10% an abrupt drop, else accepted; then ~5% of accepted DATA is taken and the connection
    dropped before the reply. The scripted local parts (drop, tempfail...) keep their meaning."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        sink, local = self.sink, _local_part(address)
        if local in ("drop", "tempfail", "bounce", "bounce550", "defer421", "greylist", "slow"):
            return await super().handle_RCPT(server, session, envelope, address, rcpt_options)
        roll = sink.rng.random()
        if roll < 0.30:
            sink._attempt(envelope.mail_from, address, TEMPFAIL)
            return TEMPFAIL
        if roll < 0.40:
            sink._attempt(envelope.mail_from, address, CLOSING)
            await server.push(CLOSING)
            server.transport.close()
            raise asyncio.CancelledError
        if roll < 0.50:
            sink._attempt(envelope.mail_from, address, DROPPED)
            server.transport.abort()
            raise asyncio.CancelledError
        sink._attempt(envelope.mail_from, address, ACCEPT_RCPT)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return ACCEPT_RCPT

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)  # received and recorded
        if self.sink.rng.random() < 0.05:
            self.sink._attempt(envelope.mail_from, ",".join(envelope.rcpt_tos), LOST_250)
            server.transport.abort()
            raise asyncio.CancelledError
        return answer


class FlakySink(SMTPSink):
    def __init__(self, seed: int):
        super().__init__()
        self.rng = random.Random(seed)


@pytest.fixture
def flaky(as_mx):
    server = as_mx(start_sink(FlakySink(SEED), _FlakyHandler))
    yield server
    server.stop()


def test_a_flaky_receiver_gets_everything_in_the_end(flaky, sender, figures):
    # Retries run for up to a day by default; a long unlucky run of failures (1, 2, 4 ... minutes,
    # then every 4 hours) must not end as `failed` here: the horizon is out of the way.
    config.use(config.current().replace(retry_horizon=365 * 86400))
    recipients = [f"r{i}@example.net" for i in range(MESSAGES)]
    queue_messages(sender, recipients)

    passes = rounds = 0
    shifted = 0.0
    for rounds in range(1, 200):
        while delivery.run_once("flaky-test"):
            passes += 1
            assert passes < 50 * MESSAGES, "delivery passes do not converge"
        waiting = (Delivery.select().where(Delivery.status.in_(PENDING_DELIVERY))
                   .order_by(Delivery.next_attempt_at).first())
        if waiting is None:
            break
        assert waiting.status == "deferred"
        # to the next retry that is due (on a loaded machine a round can outlast the shortest
        # backoff, and the first retries come due by themselves)
        step = max(0.0, (waiting.next_attempt_at - clock.now()).total_seconds() + 1)
        clock.shift(seconds=step)
        shifted += step
    else:
        pytest.fail(f"still pending after {rounds} rounds: {Counter(d.status for d in Delivery.select())}")

    statuses = Counter(d.status for d in Delivery.select())
    assert statuses == {"delivered": MESSAGES}, statuses  # none failed, none bounced, none pending
    assert not Delivery.select().where(Delivery.lease_owner.is_null(False)).exists()

    received = Counter(rcpt for message in flaky.received for rcpt in message.rcpt_tos)
    assert set(received) == set(recipients), f"lost: {sorted(set(recipients) - set(received))[:20]}"
    lost_250 = [a for a in flaky.attempts if a[2] == LOST_250]
    duplicates = sum(received.values()) - MESSAGES
    assert duplicates == len(lost_250)  # each lost 250 is one more copy, and nothing else is

    # every attempt the sink saw at RCPT is one DeliveryAttempt, with the reply it got
    rcpt_seen = Counter(a[1] for a in flaky.attempts if a[2] not in (ACCEPT_DATA, LOST_250))
    by_delivery = Counter(a.delivery.recipient for a in DeliveryAttempt.select(DeliveryAttempt, Delivery).join(Delivery))
    assert by_delivery == rcpt_seen
    for row in Delivery.select():
        log = list(DeliveryAttempt.select().where(DeliveryAttempt.delivery == row).order_by(DeliveryAttempt.id))
        assert row.attempts == len(log) >= 1
        assert [a.outcome for a in log] == ["deferred"] * (len(log) - 1) + ["delivered"], (row.recipient, log)
        assert all(a.smtp_code in (None, 421, 451) and a.reply for a in log[:-1])
        assert log[-1].smtp_code == 250
    outcomes = Counter(a[2] for a in flaky.attempts)
    attempts = DeliveryAttempt.select().count()
    figures(messages=MESSAGES, attempts=attempts, passes=passes, clock_rounds=rounds,
            clock_shifted_hours=round(shifted / 3600, 1), max_attempts=max(d.attempts for d in Delivery.select()),
            rcpt_451=outcomes[TEMPFAIL], rcpt_421=outcomes[CLOSING], dropped=outcomes[DROPPED],
            lost_250=len(lost_250), duplicates=duplicates)
