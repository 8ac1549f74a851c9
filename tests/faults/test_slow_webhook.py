"""A hostile webhook endpoint that answers one byte every half second (its 1000-byte answer
would take over 8 minutes), while mail and another tenant's webhook keep coming. A real worker
(`services.worker.run`, as `gatepost worker` runs it) against the loopback sink: the mail and
the other tenant's webhook arrive while that POST is held, and the POST is cut at its deadline
and recorded as a timeout, to be retried. Before the fix, the per-read timeout never fired and
the same loop posted webhooks and delivered mail: everything waited for the trickle."""
from __future__ import annotations

import threading
import time

import pytest

import config
from models import Delivery, Webhook, WebhookAttempt, WebhookDelivery
from services import domains, sending, webhooks, worker
from models.vocabulary import EventType
from services.compose import Address
from tests.conftest import publish
from tests.faults.conftest import sized
from tests.http_receiver import Receiver

pytestmark = pytest.mark.faults

MESSAGES = sized(20, 300)


def eventually(check, what: str, timeout: float = 60.0):
    """Poll until `check()` is true; the worker runs on its own threads."""
    end = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)
    return found


@pytest.fixture
def endpoints():
    slow, healthy = Receiver(trickle=0.5), Receiver()
    yield slow, healthy
    slow.stop()
    healthy.stop()


def queue(domain, sender: str, recipients: list[str]) -> None:
    for rcpt in recipients:
        sending.accept(domain, sending.Outgoing(Address(sender), to=(Address(rcpt),), subject="hi", text="hello"))


def test_a_trickling_endpoint_holds_neither_mail_nor_other_tenants_webhooks(sender, bob, sink, dns_server, endpoints,
                                                                              figures):
    slow, healthy = endpoints
    config.use(config.current().replace(webhook_allow_private=True))
    other = domains.add(bob.user, "bob.example.com")
    domains.set_status(other, "Enabled")
    publish(dns_server.zone, other)
    webhooks.add(sender.account.user, sender.domain.id, [EventType.BOUNCED], slow.url + "/slow")  # alice's endpoint trickles
    webhooks.add(bob.user, other.id, [EventType.DELIVERED], healthy.url + "/bob")

    stop = threading.Event()
    running = threading.Thread(target=worker.run, args=(stop,), kwargs={"name": "slow-webhook-worker", "idle": 0.1},
                               daemon=True)
    running.start()
    try:
        queue(sender.domain, "alice@example.com", ["bounce@example.net"])  # a bounced event: a POST to the trickler
        eventually(lambda: slow.received, "the bounce webhook reaches the trickling endpoint")

        queue(sender.domain, "alice@example.com", [f"m{i}@example.net" for i in range(MESSAGES)])
        queue(other, "bob@bob.example.com", ["rob@example.org"])
        sink.wait_for(MESSAGES + 1, timeout=60)  # all the mail, while the trickle goes on
        eventually(lambda: healthy.received, "bob's webhook arrives")

        assert slow.cut.wait(60), "the trickling POST was never cut"
        attempt = eventually(lambda: WebhookAttempt.select().join(WebhookDelivery).join(Webhook)
                             .where(Webhook.url.endswith("/slow")).first(), "the cut POST is recorded")
    finally:
        stop.set()
        running.join(60)
    assert not running.is_alive()

    assert WebhookAttempt.select().count() == 2  # the trickler's (cut) and bob's
    row = WebhookDelivery.get(WebhookDelivery.id == attempt.delivery_id)
    assert attempt.error.startswith("Timeout: no complete answer within 10 s") and attempt.status_code is None
    assert row.status == "pending" and row.attempts == 1 and row.last_error == attempt.error  # retried later
    assert len(slow.received) == 1 and slow.received[0].json["event"] == "bounced"
    assert [r.json["recipient"] for r in healthy.received] == ["rob@example.org"]
    statuses = [d.status for d in Delivery.select()]
    assert statuses.count("delivered") == MESSAGES + 1 and statuses.count("bounced") == 1
    figures(messages_delivered=MESSAGES + 1, webhook_posts=2, trickler_posts=len(slow.received),
            trickler_error=attempt.error)
