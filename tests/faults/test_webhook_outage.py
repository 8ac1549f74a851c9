"""A webhook endpoint that is down (connection refused), then up but answering 503, while
delivery events keep coming; then healthy again. The retries land every event exactly once per
webhook, signed with the domain's key, with unique ids; nothing is lost. And when the outage
is long enough to suspend the endpoint, the operator's `enable` + `replay` still recover every
event that was queued for it."""
from __future__ import annotations

import datetime
import json
import threading
from collections import Counter
from http.server import ThreadingHTTPServer

import pytest

import clock
import config
from models import Event, Webhook, WebhookAttempt, WebhookDelivery
from services import webhook_deliveries
from tests.e2e.test_processes import queue_messages
from tests.faults.conftest import sized
from tests.http_receiver import Receiver, verify

pytestmark = pytest.mark.faults

MESSAGES = sized(40, 1000)
PATHS = ("/first", "/second")  # two `delivery` webhooks on the same endpoint


class Endpoint:
    """The receiver, taken down and brought back on the same port (same handler, same records)."""

    def __init__(self):
        self.receiver = Receiver()
        self.port = self.receiver.server.server_address[1]
        self.up = True

    @property
    def url(self) -> str:
        return self.receiver.url

    def down(self) -> None:
        self.receiver.stop()
        self.up = False

    def back(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self.receiver.server.RequestHandlerClass)
        self.receiver.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.up = True

    def answer(self, *statuses: int) -> None:
        with self.receiver.lock:
            self.receiver.answers[:] = list(statuses)

    def received(self):
        with self.receiver.lock:
            return list(self.receiver.received)

    def stop(self) -> None:
        if self.up:
            self.receiver.stop()


@pytest.fixture
def endpoint():
    server = Endpoint()
    yield server
    server.stop()


@pytest.fixture
def hooked(api, sender, endpoint, settings):
    config.use(config.current().replace(webhook_allow_private=True))
    for path in PATHS:
        answer = api(sender.account, "EmailGateway.AddWebhook", DomainID=sender.domain.id, Event="delivery",
                     WebhookURL=endpoint.url + path)
        assert answer["Success"], answer
    return api(sender.account, "EmailGateway.GetWebhooks", DomainID=sender.domain.id)["SigningKey"]


def produce(sender, deliver, first: int, count: int) -> None:
    """Queue `count` messages (one recipient each; through the core, as the API does, without its
    rate limit) and deliver them to the sink: `count` delivered events."""
    queue_messages(sender, [f"w{i}@example.net" for i in range(first, first + count)])
    assert deliver(passes=count) == count


def post_due(owner: str = "webhook-fault-test") -> int:
    total = 0
    for _ in range(10_000):
        handled = webhook_deliveries.run_once(owner)
        if not handled:
            return total
        total += handled
    raise AssertionError("webhook passes do not converge")


def next_due() -> datetime.datetime | None:
    row = (WebhookDelivery.select().where(WebhookDelivery.status == "pending")
           .order_by(WebhookDelivery.next_attempt_at).first())
    return row and row.next_attempt_at


def shift_past_next_retry() -> None:
    due = next_due()
    assert due is not None and due > clock.now()
    clock.shift(due - clock.now() + datetime.timedelta(seconds=1))


def shift_past_the_retries_of_the_first(rows: int) -> None:
    """To just past the last retry time of the first `rows` rows, before any other's: their
    retry times spread over as long as their pass took (longer on a loaded machine)."""
    ordered = list(WebhookDelivery.select().order_by(WebhookDelivery.id))
    last = max(r.next_attempt_at for r in ordered[:rows])
    assert last < min(r.next_attempt_at for r in ordered[rows:])
    clock.shift(last - clock.now() + datetime.timedelta(seconds=1))


def assert_each_event_once_per_webhook(received, key: str) -> Counter:
    """The 2xx-answered POSTs: every delivered event exactly once per webhook, signed, ids unique."""
    events = {f"evt_{e.id}": e for e in Event.select().where(Event.event == "delivered")}
    assert len(events) == MESSAGES
    hooks = {h.id: h.url.rsplit("/", 1)[1] for h in Webhook.select()}
    rows = {str(r.id): r for r in WebhookDelivery.select()}
    seen = Counter()
    for post in received:
        assert verify(post, key), post.headers
        body = post.json
        assert body["event"] == "delivered" and body["id"] in events
        assert post.headers["X-Gatepost-Event"] == "delivered"
        row = rows[post.headers["X-Gatepost-Delivery"]]
        assert f"evt_{row.event_id}" == body["id"] and "/" + hooks[row.webhook_id] == post.path
        assert body["recipient"] == events[body["id"]].recipient
        seen[(post.path, body["id"])] += 1
    expected = {(path, ident) for path in PATHS for ident in events}
    assert set(seen) == expected, f"lost: {sorted(expected - set(seen))[:10]}"
    assert max(seen.values()) == 1, [k for k, v in seen.items() if v > 1][:10]  # no event twice to a webhook
    return seen


def test_every_event_arrives_once_after_an_outage(hooked, sender, endpoint, deliver, figures):
    key = hooked
    config.use(config.current().replace(webhook_suspend_after=100 * MESSAGES))  # this test is not about suspension
    rows = 2 * MESSAGES

    endpoint.down()  # connection refused
    produce(sender, deliver, 0, MESSAGES // 2)
    assert post_due() == MESSAGES  # half the events, two webhooks each: all tried, all failed
    assert Counter(r.status for r in WebhookDelivery.select()) == {"pending": MESSAGES}
    assert {r.attempts for r in WebhookDelivery.select()} == {1}
    assert all(r.last_status is None and "ConnectionError" in r.last_error for r in WebhookDelivery.select())
    assert not endpoint.received()

    clock.shift(seconds=30)
    produce(sender, deliver, MESSAGES // 2, MESSAGES - MESSAGES // 2)  # more events, still down
    assert post_due() == MESSAGES  # the new half; the first half is not due before its retry time
    shift_past_the_retries_of_the_first(MESSAGES)
    assert post_due() == MESSAGES  # the first half again: still down
    assert Counter(r.attempts for r in WebhookDelivery.select()) == {2: MESSAGES, 1: MESSAGES}

    endpoint.back()  # up again, but overloaded: 503 to everything for now
    endpoint.answer(*[503] * (10 * rows))
    retried = 0
    for _ in range(10):  # each row's next retry, once: the second half's, then the first half's
        if retried >= rows:
            break
        shift_past_next_retry()
        retried += post_due()
    failed_posts = endpoint.received()
    assert len(failed_posts) == retried == rows  # every row tried once more, and answered 503
    assert all(r.last_status == 503 for r in WebhookDelivery.select())
    assert {r.status for r in WebhookDelivery.select()} == {"pending"}  # nothing given up on
    assert not Webhook.select().where(Webhook.status != "Enabled").exists()

    endpoint.answer()  # healthy: 200 from now on
    for _ in range(20):
        if next_due() is None:
            break
        shift_past_next_retry()
        post_due()
    assert next_due() is None
    assert Counter(r.status for r in WebhookDelivery.select()) == {"delivered": rows}
    delivered_posts = endpoint.received()[len(failed_posts):]
    assert len(delivered_posts) == rows
    seen = assert_each_event_once_per_webhook(delivered_posts, key)
    assert len({p.json["id"] for p in delivered_posts}) == MESSAGES
    assert len({p.headers["X-Gatepost-Delivery"] for p in delivered_posts}) == rows

    attempts = WebhookAttempt.select().count()
    per_row = Counter(r.attempts for r in WebhookDelivery.select())
    assert attempts == sum(k * v for k, v in per_row.items())  # every attempt kept
    figures(events=MESSAGES, webhook_rows=rows, posts_arrived=len(seen), attempts=attempts,
            attempts_per_row=dict(sorted(per_row.items())), clock_shifted_minutes=round(
                (clock.now() - datetime.datetime.now(datetime.UTC).replace(tzinfo=None)).total_seconds() / 60))


def test_a_suspending_outage_is_recovered_by_enable_and_replay(hooked, sender, endpoint, deliver, figures):
    key = hooked
    limit = config.current().webhook_suspend_after
    assert MESSAGES > limit  # long enough an outage to suspend both endpoints
    started = clock.now()

    endpoint.down()
    produce(sender, deliver, 0, MESSAGES)
    post_due()
    hooks = list(Webhook.select())
    assert {h.status for h in hooks} == {"Suspended"} and all(str(limit) in h.status_reason for h in hooks)
    # `limit` failed POSTs suspend an endpoint; its other rows fail without a POST. On PostgreSQL
    # the rest of a leased batch (50) is still POSTed: _attempt reads the webhook's status from
    # the batch's snapshot (reported; SQLite's cursor sees the suspension at once).
    statuses = Counter(r.status for r in WebhookDelivery.select())
    assert statuses["pending"] + statuses["failed"] == 2 * MESSAGES
    assert 2 * limit <= statuses["pending"] <= 2 * limit + 50, statuses
    posted_after_suspension = statuses["pending"] - 2 * limit
    for _ in range(20):  # the retries of a suspended endpoint fail without a POST
        if next_due() is None:
            break
        shift_past_next_retry()
        post_due()
    assert Counter(r.status for r in WebhookDelivery.select()) == {"failed": 2 * MESSAGES}
    assert not endpoint.received()

    endpoint.back()
    for hook in hooks:  # `gatepost webhooks enable ID`, then `gatepost webhooks replay --since ...`
        assert webhook_deliveries.enable(hook.id)
    assert webhook_deliveries.replay(since=started - datetime.timedelta(seconds=1)) == 2 * MESSAGES
    post_due()
    assert next_due() is None
    assert Counter(r.status for r in WebhookDelivery.select()) == {"delivered": 2 * MESSAGES}
    received = endpoint.received()
    assert len(received) == 2 * MESSAGES
    assert_each_event_once_per_webhook(received, key)
    body_ids = [json.loads(p.body)["id"] for p in received]
    assert len(set(body_ids)) == MESSAGES
    figures(events=MESSAGES, suspended_after=limit, posted_after_suspension=posted_after_suspension,
            replayed=2 * MESSAGES, posts=len(received))
