"""Worker heartbeats: the leases of a worker that stopped beating are free at once (mail and
webhooks alike), a worker that keeps beating keeps them, and a clean stop hands them back."""
import datetime

import config
from clock import shift
from models import Delivery, Webhook, WebhookDelivery, WebhookEvent, WorkerHeartbeat
from services import heartbeats, outbox, queue, webhook_deliveries
from tests.services.test_webhook_deliveries import hooked, post_all, receiver  # noqa: F401  (fixtures, helper)


def beyond_the_heartbeats() -> None:
    """Move the clock past the missed beats that mean a worker is dead, far short of a lease."""
    missed = heartbeats.dead_after() + datetime.timedelta(seconds=1)
    assert missed < datetime.timedelta(seconds=config.current().lease_seconds)
    shift(missed)


def test_the_mail_of_a_worker_that_stopped_beating_is_free_at_once(send, deliver, sink):
    for i in range(3):
        send(To=[{"email": f"r{i}@example.net"}])
    heartbeats.beat("crashed-worker")
    heartbeats.beat("survivor")
    assert len(queue.claim("crashed-worker", 10)) == 3  # ...and it dies holding them
    assert deliver("survivor") == 0  # alive a moment ago: its leases stand
    assert queue.stats()["leased"] == 3
    beyond_the_heartbeats()
    heartbeats.beat("survivor")
    assert queue.stats()["leased"] == 0
    assert deliver("survivor") == 3
    assert {d.status for d in Delivery.select()} == {"delivered"} and len(sink.received) == 3


def test_a_beat_counts_the_workers_alive():
    assert heartbeats.beat("one") == 1
    assert heartbeats.beat("two") == 2  # (they share the polling of the queue: worker.run)
    beyond_the_heartbeats()
    assert heartbeats.beat("two") == 1


def test_a_worker_that_keeps_beating_keeps_its_leases(send, deliver):
    send()
    heartbeats.beat("slow-worker")
    assert len(queue.claim("slow-worker", 10)) == 1
    beyond_the_heartbeats()
    heartbeats.beat("slow-worker")  # a long batch, but its heartbeat goes on
    assert deliver("other-worker") == 0
    assert Delivery.get().lease_owner == "slow-worker"


def test_a_worker_is_known_before_it_can_lease_anything(send, deliver, sink):
    """Its row is written before the heartbeat object is handed back, so however soon after its
    first claim the worker dies, its leases go free once it is silent."""
    send()
    beating = heartbeats.Heartbeat("new-worker")
    try:
        assert WorkerHeartbeat.select().where(WorkerHeartbeat.name == "new-worker").exists()
        assert len(queue.claim("new-worker", 10)) == 1
    finally:
        beating.stopping.set()  # dies without a clean stop: no hand-back
        beating.thread.join()
    beyond_the_heartbeats()
    assert deliver("other-worker") == 1


def test_a_clean_stop_hands_back_what_it_holds(send, deliver, sink):
    send()
    beating = heartbeats.Heartbeat("stopping-worker")
    assert len(queue.claim("stopping-worker", 10)) == 1
    beating.stop()
    assert not WorkerHeartbeat.select().where(WorkerHeartbeat.name == "stopping-worker").exists()
    assert Delivery.get().lease_owner is None
    assert deliver("other-worker") == 1


def test_webhooks_held_by_a_dead_worker_are_free_and_do_not_count_as_in_flight(hooked, send, deliver, receiver):
    send(To=[{"email": f"ok{i}@example.net"} for i in range(3)])
    deliver()
    hook = Webhook.select().join(WebhookEvent).where(WebhookEvent.event == "delivered").get()
    heartbeats.beat("crashed-worker")
    held = outbox.lease(WebhookDelivery, ("pending",), "crashed-worker", webhook_deliveries.PER_ENDPOINT,
                        where=WebhookDelivery.webhook == hook)
    assert len(held) == webhook_deliveries.PER_ENDPOINT
    assert webhook_deliveries.run_once("this-worker") == 0  # the third waits: two POSTs are in flight
    beyond_the_heartbeats()  # ...until their worker stops beating: free, and no longer in flight
    assert post_all("this-worker") == 3
    assert len(receiver.received) == 3 and {r.status for r in WebhookDelivery.select()} == {"delivered"}


def test_workers_gone_longer_than_a_lease_are_forgotten():
    heartbeats.beat("long-gone")
    shift(seconds=config.current().lease_seconds)
    beyond_the_heartbeats()
    heartbeats.beat("alive")
    assert [w.name for w in WorkerHeartbeat.select()] == ["alive"]
