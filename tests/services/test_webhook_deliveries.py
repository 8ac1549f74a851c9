"""Webhooks: outbox rows in the event's transaction, signed POSTs to a real receiver, retries,
suspension, replay, key rotation; SSRF attacks on the POST itself; the per-endpoint bound."""
import datetime
import ipaddress

import pytest
from dnslib import QTYPE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

import clock
import config
from models import Event, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent
from services import outbox, webhook_deliveries
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
    hook = Webhook.select().join(WebhookEvent).where(WebhookEvent.event == "delivered").get()
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


# SSRF: each attack performed on loopback, against the POST itself (issue 16, findings 1 and 2)

class Rebinding(BaseResolver):
    """A DNS server's view of one name whose A record changes after every answer (TTL 0), as a
    rebinding attacker's server does; it counts the A queries."""

    def __init__(self, name: str, *addresses: str):
        self.name, self.addresses, self.asked = name, list(addresses), 0

    def resolve(self, request, handler):
        reply = request.reply()
        if str(request.q.qname).rstrip(".").lower() == self.name and QTYPE[request.q.qtype] == "A":
            address = self.addresses[min(self.asked, len(self.addresses) - 1)]
            self.asked += 1
            reply.add_answer(RR(self.name, QTYPE.A, rdata=A(address), ttl=0))
        return reply


@pytest.fixture
def attacked(sender, receiver, send, deliver, dns_server):
    """attack(url): a webhook row with `url`, as one stored before URLs were checked strictly, and a
    delivered event for it; then the workers' pass, with private addresses forbidden."""
    dns_server.zone.add("hooks.example.com", "A", "93.184.216.34")

    def attack(url: str) -> WebhookDelivery:
        Webhook.delete().execute()
        WebhookEvent.create(webhook=Webhook.create(domain=sender.domain, url=url), event="delivered")
        send(To=[{"email": f"r{Event.select().count()}@example.net"}])
        deliver()
        post_all()
        return WebhookDelivery.select().order_by(WebhookDelivery.id.desc()).get()

    return attack


def test_urls_the_http_client_reads_differently_never_reach_loopback(attacked, receiver):
    port = receiver.server.server_address[1]
    for url in (f"http://127.0.0.1:{port}\\@hooks.example.com/h",  # the check read hooks.example.com
                f"http://hooks.example.com@127.0.0.1:{port}/h", f"http://user:pw@127.0.0.1:{port}/h",
                f"http://2130706433:{port}/h", f"http://127.1:{port}/h", f"http://localhost.:{port}/h"):
        row = attacked(url)
        assert row.status == "failed" and "not an allowed outbound destination" in row.last_error, url
    assert receiver.received == []


def test_ipv6_loopback_and_embedded_ipv4_forms_are_refused(attacked, dns_server):
    six = Receiver(host="::1")
    try:
        port = six.server.server_address[1]
        rows = [attacked(f"http://[::1]:{port}/h"), attacked(f"http://[::ffff:127.0.0.1]:{port}/h")]
        for number, address in enumerate(("::127.0.0.1", "64:ff9b::127.0.0.1", "::ffff:127.0.0.1", "2002:7f00:1::")):
            dns_server.zone.add(f"v6-{number}.example.com", "AAAA", ipaddress.ip_address(address).exploded)
            rows.append(attacked(f"http://v6-{number}.example.com:{port}/h"))
        assert all(r.status == "failed" and "not an allowed outbound destination" in r.last_error for r in rows)
        assert six.received == []
    finally:
        six.stop()


def test_the_post_goes_to_the_address_the_dns_answered(hooked, send, deliver, receiver, dns_server):
    """No system resolver (nor /etc/hosts) knows hooks.gatepost.test: only the DNS server Gatepost
    checks with answers it (127.0.0.1, allowed here). The POST reaches that address, named."""
    port = receiver.server.server_address[1]
    dns_server.zone.add("hooks.gatepost.test", "A", "127.0.0.1")
    Webhook.update(url=f"http://hooks.gatepost.test:{port}/named").where(Webhook.id.in_(WebhookEvent.select(WebhookEvent.webhook).where(WebhookEvent.event == "delivered"))).execute()
    send()
    deliver()
    post_all()
    assert WebhookDelivery.get().status == "delivered"
    assert [(r.path, r.headers["Host"]) for r in receiver.received] == [("/named", f"hooks.gatepost.test:{port}")]


def test_a_rebinding_name_is_posted_to_the_address_that_was_checked(hooked, send, deliver):
    """The DNS answer changes between lookups; each attempt resolves once and connects to exactly
    that answer. The next attempt resolves (and checks) again."""
    checked = Receiver(host="127.0.0.2")
    port = checked.server.server_address[1]
    internal = Receiver(host="127.0.0.1", port=port)
    rebinding = Rebinding("rebind.gatepost.test", "127.0.0.2", "127.0.0.1")
    server = DNSServer(rebinding, address="127.0.0.1", port=0, logger=DNSLogger("-request,-reply,-truncated"))
    server.start_thread()
    try:
        Webhook.update(url=f"http://rebind.gatepost.test:{port}/h").where(Webhook.id.in_(WebhookEvent.select(WebhookEvent.webhook).where(WebhookEvent.event == "delivered"))).execute()
        send()
        deliver()
        config.use(config.current().replace(dns_servers=(f"127.0.0.1:{server.server.server_address[1]}",)))
        checked.answers = [500]
        post_all()
        assert rebinding.asked == 1 and len(checked.received) == 1 and internal.received == []
        clock.shift(seconds=61)
        post_all()
        assert rebinding.asked == 2 and len(internal.received) == 1 and len(checked.received) == 1
        assert WebhookDelivery.get().status == "delivered"
    finally:
        server.stop()
        checked.stop()
        internal.stop()


def test_an_endpoint_with_posts_in_flight_is_left_for_later(hooked, send, deliver, receiver):
    """At most PER_ENDPOINT POSTs in flight per webhook, across workers: while another worker holds
    that many of one endpoint's rows, a pass takes only the other endpoints' rows."""
    send(To=[{"email": f"ok{i}@example.net"} for i in range(3)] + [{"email": "bounce@example.net"}])
    deliver()
    slow = Webhook.select().join(WebhookEvent).where(WebhookEvent.event == "delivered").get()
    held = outbox.lease(WebhookDelivery, ("pending",), "other-worker", webhook_deliveries.PER_ENDPOINT,
                        where=WebhookDelivery.webhook == slow)
    assert len(held) == webhook_deliveries.PER_ENDPOINT
    assert webhook_deliveries.run_once("this-worker") == 1
    assert [r.path for r in receiver.received] == ["/bounce"]
    for row in WebhookDelivery.select().where(WebhookDelivery.id.in_(held)):
        outbox.settle(row, "other-worker")  # the other worker is done with them
    assert post_all("this-worker") == 3
    assert sorted(r.path for r in receiver.received) == ["/bounce"] + ["/delivery"] * 3
