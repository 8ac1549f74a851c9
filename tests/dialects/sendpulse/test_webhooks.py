"""SendPulse's webhook format through the one outbox: subscribed from the CLI, events batched
into JSON arrays (an event waits up to 30 s for others of its webhook), SendPulse's event
names and SMTP fields, retries and replay as for any webhook, POSTed to a real receiver."""
import datetime
import json

import pytest
from click.testing import CliRunner

import cli
import clock
import config
from models import WebhookDelivery
from models import Delivery
from services import engagement, tracking, webhook_deliveries
from tests.services.test_webhook_deliveries import post_all, receiver  # noqa: F401  (a fixture)


@pytest.fixture
def subscribed(sender, receiver, settings):
    config.use(config.current().replace(webhook_allow_private=True))
    result = CliRunner().invoke(cli.main, ["webhooks", "add", "--domain", "example.com", "--url", f"{receiver.url}/sp",
                                           "--format", "sendpulse", "--event", "delivered", "--event", "bounced",
                                           "--event", "opened", "--event", "clicked"], catch_exceptions=False)
    assert result.exit_code == 0 and "(sendpulse)" in result.output
    return sender


def send(sp, *to):
    answer = sp("POST", "/smtp/emails", json={"email": {"text": "Hi", "subject": "Hello", "from": {"email": "alice@example.com"},
                                                       "to": [{"email": a} for a in to]}})
    assert answer.status_code == 200
    return answer.json["id"]


def test_events_go_out_batched_as_sendpulse_arrays(sp, subscribed, deliver, receiver, settings):
    ident = send(sp, "ok@example.net", "bounce@example.net", "other@example.net")
    deliver()
    assert WebhookDelivery.select().count() == 3
    assert post_all() == 0  # they wait for their batch
    clock.shift(datetime.timedelta(seconds=31))
    assert post_all() >= 1
    [posted] = receiver.received  # one POST for the three events
    assert posted.headers["Content-Type"] == "application/json" and "X-Gatepost-Signature" not in posted.headers
    events = {e["recipient"]: e for e in posted.json}
    assert set(events) == {"ok@example.net", "bounce@example.net", "other@example.net"}
    ok = events["ok@example.net"]
    assert ok["event"] == "delivered" and ok["message_id"] == ident and ok["sender"] == "alice@example.com"
    assert ok["subject"] == "Hello" and isinstance(ok["timestamp"], int)
    assert ok["smtp_server_response_code"] == "250" and ok["smtp_server_response"].startswith("250")
    bounced = events["bounce@example.net"]
    assert bounced["event"] == "hard_bounce" and bounced["smtp_server_response_code"] == "550"
    assert bounced["smtp_server_response_subcode"] == "5.1.1"
    assert WebhookDelivery.select().where(WebhookDelivery.status == "delivered").count() == 3


def test_opens_and_clicks_and_a_failed_batch_is_retried_then_replayed(sp, subscribed, deliver, receiver, settings):
    send(sp, "ok@example.net")
    deliver()
    delivery = Delivery.get()
    engagement.opened(tracking.token("o", delivery.id), host=settings.tracking_host, user_agent="UA", ip="192.0.2.1")
    engagement.clicked(tracking.token("c", delivery.id, "https://example.org/"), host=settings.tracking_host)
    receiver.answers = [500]
    clock.shift(datetime.timedelta(seconds=31))
    post_all()
    assert len(receiver.received) == 1 and len(receiver.received[0].json) == 3
    rows = list(WebhookDelivery.select())
    assert {r.attempts for r in rows} == {1} and {r.status for r in rows} == {"pending"}
    assert subscribed.domain.webhooks.get().consecutive_failures == 1  # one failed POST, not three
    clock.shift(datetime.timedelta(seconds=31 + 60))
    post_all()
    names = sorted(e["event"] for e in receiver.received[1].json)
    assert names == ["click", "delivered", "open"]
    assert [e.get("link_url") for e in receiver.received[1].json if e["event"] == "click"] == ["https://example.org/"]
    WebhookDelivery.update(status="failed").execute()
    assert webhook_deliveries.replay(since=datetime.datetime(2000, 1, 1)) == 3
    post_all()
    assert len(receiver.received) == 3 and len(receiver.received[2].json) == 3  # replayed together


def test_the_cli_refuses_unknown_formats_and_events(sender):
    for args in (["--format", "nope", "--event", "delivered"], ["--format", "sendpulse", "--event", "nope"]):
        result = CliRunner().invoke(cli.main, ["webhooks", "add", "--domain", "example.com", "--url",
                                               "https://hooks.example.org/", *args])
        assert result.exit_code != 0 and "nope" in result.output


SMALL = "test-small-batches"  # a batched format with batches of 3, registered for the test below
webhook_deliveries.register_format(SMALL, batch=webhook_deliveries.Batching(
    lambda items: (json.dumps([event.recipient for event, *_ in items]).encode(), {}), size=3))(
    lambda event, message, domain, delivery_id: (b"[]", {}))


def test_a_full_batch_goes_before_its_wait_is_over(sp, sender, deliver, receiver, settings):
    config.use(config.current().replace(webhook_allow_private=True))
    from models.vocabulary import EventType
    from services import webhooks

    webhooks.add(sender.account.user, sender.domain.id, [EventType.DELIVERED], f"{receiver.url}/small", format=SMALL)
    send(sp, "a@example.net", "b@example.net")
    deliver()
    assert post_all() == 0  # two wait
    send(sp, "c@example.net", "d@example.net")
    deliver()
    post_all()  # the third made a full batch: it went at once; the fourth waits for the next
    assert [sorted(r.json) for r in receiver.received] == [["a@example.net", "b@example.net", "c@example.net"]]
    clock.shift(datetime.timedelta(seconds=31))
    post_all()
    assert [r.json for r in receiver.received][1:] == [["d@example.net"]]
