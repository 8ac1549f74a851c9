"""Webhooks: outbox rows in the event's transaction, signed POSTs to a real receiver, retries,
suspension, replay, key rotation."""
import datetime

import pytest

import clock
import config
from models import Event, Webhook, WebhookAttempt, WebhookDelivery
from services import webhook_deliveries
from tests.http_receiver import Receiver, verify


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def hooked(api, sender, receiver, settings):
    """Webhooks for delivery and bounce events of the sender's domain, pointing at the receiver."""
    config.use(config.current().replace(webhook_allow_private=True))
    for event in ("delivery", "bounce"):
        api(sender.account, "EmailGateway.AddWebhook", DomainID=sender.domain.id, Event=event,
            WebhookURL=f"{receiver.url}/{event}")
    return sender


def key_of(api, sender) -> str:
    return api(sender.account, "EmailGateway.GetWebhooks", DomainID=sender.domain.id)["SigningKey"]


def post_all(owner="webhook-worker") -> int:
    total = 0
    while handled := webhook_deliveries.run_once(owner):
        total += handled
    return total


def test_events_become_signed_posts(hooked, api, send, deliver, receiver):
    ident = send(To=[{"email": "ok@example.net"}, {"email": "bounce@example.net"}], Tags=["welcome"]).json["MessageID"]
    deliver()
    assert WebhookDelivery.select().count() == 2  # written with the delivered and bounced events
    assert post_all() == 2
    by_path = {r.path: r for r in receiver.received}
    delivered, bounced = by_path["/delivery"], by_path["/bounce"]
    key = key_of(api, hooked)
    assert verify(delivered, key) and verify(bounced, key)
    assert not verify(delivered, "0" * 64)
    body = delivered.json
    assert body["event"] == "delivered" and body["message_id"] == ident and body["recipient"] == "ok@example.net"
    assert body["domain"] == "example.com" and body["tags"] == ["welcome"] and body["id"].startswith("evt_")
    assert body["details"]["smtp_code"] == 250 and body["subject"] == "Hello"
    assert bounced.json["event"] == "bounced" and "550" in bounced.json["details"]["smtp_reply"]
    assert delivered.headers["X-Gatepost-Event"] == "delivered" and delivered.headers["X-Gatepost-Delivery"]
    assert {d.status for d in WebhookDelivery.select()} == {"delivered"}
    assert post_all() == 0


def test_the_signature_names_its_time_for_replay_protection(hooked, send, deliver, receiver, api):
    send()
    deliver()
    post_all()
    received = receiver.received[0]
    now = int(datetime.datetime.now(datetime.UTC).timestamp())
    assert verify(received, key_of(api, hooked), tolerance=300, now=now)
    assert not verify(received, key_of(api, hooked), tolerance=300, now=now + 3600)


def test_failures_are_retried_on_schedule_and_every_attempt_is_kept(hooked, send, deliver, receiver):
    receiver.answers = [500, 503, 302]  # a redirect is not followed: it is a failure too
    send()
    deliver()
    assert post_all() == 1
    row = WebhookDelivery.get()
    assert row.status == "pending" and row.attempts == 1 and row.last_status == 500
    assert 55 <= (row.next_attempt_at - clock.now()).total_seconds() <= 61
    clock.shift(seconds=61)
    post_all()
    clock.shift(seconds=301)
    post_all()
    assert WebhookDelivery.get().last_status == 302
    clock.shift(seconds=901)
    post_all()
    row = WebhookDelivery.get()
    assert row.status == "delivered" and row.attempts == 4
    attempts = list(WebhookAttempt.select().order_by(WebhookAttempt.id))
    assert [a.status_code for a in attempts] == [500, 503, 302, 200]
    assert len(attempts[0].response) == 2000  # truncated
    assert len({r.json["id"] for r in receiver.received}) == 1  # the same stable event id each time


def test_after_the_last_retry_it_fails_and_can_be_replayed(hooked, send, deliver, receiver):
    receiver.answers = [500] * 9
    send()
    deliver()
    for wait in (0, *webhook_deliveries.RETRY_AFTER):
        clock.shift(seconds=wait + 1)
        post_all()
    row = WebhookDelivery.get()
    assert row.status == "failed" and row.attempts == 9 and row.last_error == "HTTP 500"
    assert webhook_deliveries.replay(delivery_ids=[row.id]) == 1
    post_all()
    assert WebhookDelivery.get().status == "delivered"


def test_a_failing_endpoint_is_suspended_and_its_owner_sees_why(hooked, api, send, deliver, receiver):
    config.use(config.current().replace(webhook_suspend_after=3))
    receiver.answers = [500] * 3
    for i in range(3):
        send(To=[{"email": f"r{i}@example.net"}])
    deliver()
    post_all()
    hook = Webhook.get(Webhook.event == "delivery")
    assert hook.status == "Suspended" and "3 failures in a row" in hook.status_reason
    listed = api(hooked.account, "EmailGateway.GetWebhooks", DomainID=hooked.domain.id)["Webhooks"]
    assert [(w["Event"], w["Status"]) for w in listed] == [("delivery", "Suspended"), ("bounce", "Enabled")]
    send(To=[{"email": "later@example.net"}])
    deliver()
    posted = len(receiver.received)
    post_all()
    assert len(receiver.received) == posted  # nothing goes to a suspended endpoint...
    during = WebhookDelivery.select().order_by(WebhookDelivery.id.desc()).first()
    assert (during.status, during.last_error) == ("failed", "endpoint suspended")  # ...but nothing is lost
    assert webhook_deliveries.enable(hook.id)
    clock.shift(seconds=61)
    assert webhook_deliveries.replay(since=clock.now() - datetime.timedelta(days=1)) == 1
    post_all()
    assert {d.status for d in WebhookDelivery.select()} == {"delivered"}


def test_the_ssrf_check_repeats_at_send_time(hooked, send, deliver, receiver):
    send()
    deliver()
    config.use(config.current().replace(webhook_allow_private=False))  # 127.0.0.1 is no longer allowed
    post_all()
    row = WebhookDelivery.get()
    assert row.status == "failed" and "not an allowed outbound destination" in row.last_error
    assert receiver.received == []


def test_a_rotated_key_keeps_signing_beside_the_new_one_for_a_day(hooked, api, send, deliver, receiver):
    old = key_of(api, hooked)
    new = api(hooked.account, "EmailGateway.RegenerateSigningKey", DomainID=hooked.domain.id)["SigningKey"]
    send()
    deliver()
    post_all()
    assert verify(receiver.received[0], old) and verify(receiver.received[0], new)
    clock.shift(days=1, seconds=1)
    send(To=[{"email": "next@example.net"}])
    deliver()
    post_all()
    assert verify(receiver.received[1], new) and not verify(receiver.received[1], old)


def test_an_event_and_its_outbox_row_stand_or_fall_together(hooked, send):
    from models.db import database
    from services import events
    from models import Message

    send()
    message = Message.get()
    with pytest.raises(RuntimeError):
        with database.atomic():
            events.record("delivered", message=message, recipient="x@example.net")
            raise RuntimeError("the change failed")
    assert not Event.select().where(Event.event == "delivered").exists()
    assert WebhookDelivery.select().count() == 0
