"""Delivery end to end: API accept -> queue -> SMTP to a real loopback sink, via MX from a real
loopback DNS server (or a smarthost), with DKIM checked by dkimpy against that DNS."""
import datetime
import email
import json
import threading
from email import policy

import dkim

import pytest

import clock
import config
from models import Delivery, DeliveryAttempt, Event
from services import accounts, delivery, dns, domains, queue, suppressions, transport, verp
from tests.dns_server import Blackhole
from tests.smtp_sink import SMTPSink, make_test_certificate


def dns_txt(name, timeout=5):
    """dkimpy's DNS hook, answered by the loopback DNS server through Gatepost's resolver."""
    return b"".join(dns.txt_strings(r).encode() for r in dns.lookup(name.decode().rstrip("."), "TXT"))


def statuses():
    return {d.recipient: d.status for d in Delivery.select()}


def test_delivered_message_is_dkim_signed_with_a_verp_return_path(send, deliver, sink, sender):
    message_id = send(PlainContent="Hello in text").json["MessageID"]
    assert deliver() == 1
    [received] = sink.received
    assert received.rcpt_tos == ["rob@example.net"]
    assert dkim.verify(received.data, dnsfunc=dns_txt)
    parsed = email.message_from_bytes(received.data, policy=policy.default)
    assert parsed["Message-ID"] == f"<{message_id}@example.com>" and parsed["Subject"] == "Hello"
    assert parsed["DKIM-Signature"] and "d=example.com" in parsed["DKIM-Signature"]
    row = Delivery.get()
    assert received.mail_from.endswith("@gp.example.com") and verp.delivery_id(received.mail_from) == row.id
    assert row.status == "delivered" and row.last_reply.startswith("250")
    attempt = DeliveryAttempt.get()
    assert (attempt.outcome, attempt.smtp_code, attempt.mx_host) == ("delivered", 250, "mx.example.net")
    assert [e.event for e in Event.select().order_by(Event.id)] == ["accepted", "delivered"]


def test_recipients_sharing_a_domain_share_a_transaction_and_a_connection(send, deliver, sink):
    config.use(config.current().replace(destination_connections=1))
    untracked = {"TrackOpens": False, "TrackLinks": False}  # tracked copies are personal: one each
    send(To=[{"email": "a@example.net"}, {"email": "b@example.net"}], CC=[{"email": "c@example.org"}], **untracked)
    send(To=[{"email": "d@example.net"}], **untracked)
    assert deliver() == 4
    by_rcpts = sorted(sorted(r.rcpt_tos) for r in sink.received)
    assert by_rcpts == [["a@example.net", "b@example.net"], ["c@example.org"], ["d@example.net"]]
    assert sink.connections == 2  # one per destination domain, reused for both example.net messages
    assert set(statuses().values()) == {"delivered"}


def test_a_far_receiver_gets_several_connections(send, deliver, sink):
    """A receiver a round trip away answers each command late: one connection at a time would
    deliver a few dozen messages a second. Each transaction that waited opens one more connection,
    up to destination_connections."""
    config.use(config.current().replace(destination_connections=3))
    sink.reply_delay = 0.05
    for i in range(12):
        send(To=[{"email": f"far{i}@example.org"}])
    assert deliver() == 12
    assert sink.connections == 3 and sink.most_in_data >= 2
    sink.reset()  # the next pass starts as wide as this one ended, on the sessions it kept
    sink.reply_delay = 0.05
    for i in range(3):
        send(To=[{"email": f"again{i}@example.org"}])
    assert deliver() == 3
    assert sink.connections == 0 and sink.most_in_data >= 2
    assert set(statuses().values()) == {"delivered"}


def test_a_connection_without_a_thread_to_run_on_leaves_the_mail_to_the_others(send, deliver, sink, monkeypatch):
    """A process or container limit refuses new threads: the line stays as wide as it is and
    every message goes over the connection it has."""
    config.use(config.current().replace(destination_connections=3, worker_connections=3))
    sink.reply_delay = 0.05
    start = threading.Thread.start

    def refused(thread):
        if thread.name == "smtp-line" and any(t.name == "smtp-line" for t in threading.enumerate()):
            raise RuntimeError("can't start new thread")
        start(thread)
    monkeypatch.setattr(threading.Thread, "start", refused)
    for i in range(6):
        send(To=[{"email": f"far{i}@example.org"}])
    assert deliver() == 6
    assert sink.connections == 1 and len(sink.received) == 6  # (before: one sent, the rest deferred)
    assert set(statuses().values()) == {"delivered"}


def test_a_slow_destination_holds_no_other_destinations_mail(send, deliver, sink):
    config.use(config.current().replace(destination_connections=1))
    sink.slow_seconds = 1
    send(To=[{"email": "slow@example.net"}])  # example.net comes first in a pass
    send(To=[{"email": "quick@example.org"}])
    assert deliver() == 2
    assert [m.rcpt_tos for m in sink.received] == [["quick@example.org"], ["slow@example.net"]]


def test_a_receiver_that_allows_fewer_connections_gets_the_mail_over_those_it_allows(send, deliver, sink):
    """Its 421 to the extra connections defers nothing: the connection it took carries the mail."""
    config.use(config.current().replace(destination_connections=3))
    sink.max_sessions, sink.reply_delay = 1, 0.02  # its answers take a while: more connections are tried
    for i in range(6):
        send(To=[{"email": f"r{i}@example.net"}])
    assert deliver() == 6
    assert sink.refused == 2
    assert set(statuses().values()) == {"delivered"}
    assert DeliveryAttempt.select().count() == 6  # no attempt was spent on the refused connections


def test_a_refusal_that_comes_after_the_others_ended_loses_nothing(send, deliver, sink):
    """The extra connection's 421 comes late (the receiver makes it wait): by then the first
    connection has sent what it took and ended. The message the refused one held waits for a
    retry, as the destination then took no connection of ours."""
    config.use(config.current().replace(destination_connections=2))
    sink.max_sessions, sink.reply_delay, sink.refusal_delay = 1, 0.03, 0.6
    for i in range(3):
        send(To=[{"email": f"r{i}@example.net"}])
    deliver(passes=1)
    assert not Delivery.select().where(Delivery.lease_owner.is_null(False)).exists()  # nothing stranded
    assert set(statuses().values()) <= {"delivered", "deferred"} and sink.refused == 1
    clock.shift(minutes=5)
    deliver()
    assert set(statuses().values()) == {"delivered"}


def test_an_mx_host_whose_address_lookup_times_out_is_a_failure_to_connect(settings):
    hole = Blackhole()
    try:
        config.use(settings.replace(dns_servers=(hole.address,), dns_timeout=0.3))
        connection = transport.Connection(transport.Route((("mx.example.net", 25),)), helo="gp.example.com")
    finally:
        hole.stop()
    assert not connection.open and "DNSTimeout" in connection.failure.text


def test_a_pass_sends_no_more_once_half_the_lease_is_gone(send, deliver, sink):
    """A receiver that answers each command after a long while: the pass stops sending at half the
    lease (here 1 s), so it frees the worker for its next claim and ends before its leases do
    (past them, another worker would send the same mail again). What it did not send waits a
    second; every message arrives once."""
    config.use(config.current().replace(destination_connections=1, lease_seconds=2))
    sink.reply_delay = 0.2  # 0.6 s a transaction
    for i in range(5):
        send(To=[{"email": f"r{i}@example.net"}])
    deliver(passes=1)
    late = Delivery.select().where(Delivery.last_reply == delivery.LATE)
    assert 1 <= len(sink.received) <= 3 and late.count() == 5 - len(sink.received)
    assert {d.status for d in late} == {"deferred"} and not Delivery.select().where(
        Delivery.lease_owner.is_null(False)).exists()
    for _ in range(10):
        clock.shift(seconds=2)
        deliver(passes=1)
    assert set(statuses().values()) == {"delivered"}
    assert sorted(r for m in sink.received for r in m.rcpt_tos) == [f"r{i}@example.net" for i in range(5)]


def test_a_pass_opens_no_more_connections_than_the_worker_may(send, deliver, sink):
    config.use(config.current().replace(destination_connections=10, worker_connections=2))
    sink.reply_delay = 0.02
    for i in range(6):
        send(To=[{"email": f"r{i}@example.net"}])
        send(To=[{"email": f"r{i}@example.org"}])
    assert deliver() == 12
    assert sink.most_in_data == 2 and sink.connections == 2
    assert set(statuses().values()) == {"delivered"}


def test_tracked_recipients_share_a_copy_only_when_tracking_changes_nothing(send, deliver, sink):
    pair = [{"email": "a@example.net"}, {"email": "b@example.net"}]
    send(To=pair, ContentType="plain", PlainContent="No HTML: nothing to track", HTMLContent=None)
    send(To=pair)  # HTML: each copy has its own open pixel
    assert deliver() == 4
    shared, *personal = sorted((sorted(r.rcpt_tos) for r in sink.received), key=len, reverse=True)
    assert shared == ["a@example.net", "b@example.net"] and sorted(personal) == [["a@example.net"], ["b@example.net"]]
    assert all(dkim.verify(r.data, dnsfunc=dns_txt) for r in sink.received)


def test_421_defers_then_delivers(send, deliver, sink):
    send(To=[{"email": "defer421@example.net"}])
    deliver()
    row = Delivery.get()
    assert row.status == "deferred" and row.attempts == 1 and row.last_reply.startswith("421")
    assert row.next_attempt_at > clock.now()
    assert deliver() == 0  # not due yet
    clock.shift(seconds=61)
    assert deliver() == 1
    assert Delivery.get().status == "delivered" and len(sink.received) == 1
    assert [e.event for e in Event.select().order_by(Event.id)] == ["accepted", "deferred", "delivered"]


def test_a_try_again_hint_is_honoured(send, deliver, sink):
    send(To=[{"email": "greylist@example.net"}])
    before = clock.now()
    deliver()
    row = Delivery.get()
    assert row.status == "deferred"
    assert datetime.timedelta(seconds=4) <= row.next_attempt_at - before <= datetime.timedelta(seconds=7)
    clock.shift(seconds=6)
    deliver()
    assert Delivery.get().status == "delivered"


def test_backoff_grows():
    assert [delivery.backoff(n, "451 busy").total_seconds() for n in (1, 2, 3, 10, 20)] == [60, 120, 240, 14400, 14400]
    assert delivery.backoff(1, "450 try again in 2 minutes").total_seconds() == 120


def test_550_bounces_and_suppresses_the_recipient(send, deliver, sink, sender):
    send(To=[{"email": "bounce@example.net"}, {"email": "ok@example.net"}], TrackOpens=False, TrackLinks=False)
    deliver()
    assert statuses() == {"bounce@example.net": "bounced", "ok@example.net": "delivered"}
    assert sink.received[0].rcpt_tos == ["ok@example.net"]
    assert suppressions.suppressed(sender.account.user, ["bounce@example.net"]) == ["bounce@example.net"]
    event = Event.get(Event.event == "bounced")
    assert "550" in event.details and "User unknown" in event.details
    assert json.loads(event.details)["bounce"] == {"reason": "userunknown", "hard": True, "status": "5.1.1",
                                                   "diagnostic": "5.1.1 User unknown", "remote_mta": "mx.example.net"}
    assert send(To=[{"email": "bounce@example.net"}]).json["Errors"][0]["Code"] == 14


@pytest.mark.parametrize("local, reason", [("mailboxfull", "mailboxfull"), ("blocklisted", "blocked")])
def test_a_5xx_that_is_not_a_dead_address_bounces_without_suppression(send, deliver, sink, sender, local, reason):
    """Issue 13: a 5xx says the server refused, not that the address is gone."""
    send(To=[{"email": f"{local}@example.net"}], TrackOpens=False, TrackLinks=False)
    deliver()
    assert statuses() == {f"{local}@example.net": "bounced"}
    bounce = json.loads(Event.get(Event.event == "bounced").details)["bounce"]
    assert (bounce["reason"], bounce["hard"]) == (reason, False)
    assert suppressions.list_for(sender.account.user) == []


def test_a_full_mailbox_bouncing_again_and_again_is_suppressed(send, deliver, sink, sender):
    config.use(config.current().replace(soft_bounce_limit=2, soft_bounce_days=30))
    for _ in range(2):
        assert suppressions.list_for(sender.account.user) == []
        send(To=[{"email": "mailboxfull@example.net"}], TrackOpens=False, TrackLinks=False)
        deliver()
    assert [(s.email, s.reason) for s in suppressions.list_for(sender.account.user)] == [
        ("mailboxfull@example.net", "repeated-soft-bounce")]


@pytest.mark.parametrize("local", ["tempfail", "drop"])
def test_temporary_failures_defer(send, deliver, local):
    send(To=[{"email": f"{local}@example.net"}])
    deliver()
    row = Delivery.get()
    assert row.status == "deferred"
    assert ("451" in row.last_reply) if local == "tempfail" else ("connection lost" in row.last_reply)


def test_a_slow_server_times_out_and_defers(send, deliver, sink, settings):
    config.use(config.current().replace(smtp_timeout=0.5))
    sink.slow_seconds = 2
    send(To=[{"email": "slow@example.net"}])
    deliver()
    assert Delivery.get().status == "deferred"


def test_deferred_mail_fails_after_the_retry_horizon(send, deliver):
    config.use(config.current().replace(retry_horizon=3600))
    send(To=[{"email": "tempfail@example.net"}])
    deliver()
    clock.shift(hours=2)
    deliver()
    row = Delivery.get()
    assert row.status == "failed" and row.last_reply.startswith("gave up after 2 attempts")
    assert Event.select().where(Event.event == "failed").count() == 1


def test_mx_preference_and_fallback_to_the_next_host(send, deliver, sink, dns_server):
    dns_server.zone.remove("example.net", "MX")
    dns_server.zone.add("example.net", "MX", (5, "down.example.net"), (20, "mx.example.net"))
    dns_server.zone.add("down.example.net", "A", "127.0.0.2")  # nothing listens there
    send()
    deliver()
    assert Delivery.get().status == "delivered" and DeliveryAttempt.get().mx_host == "mx.example.net"


def test_domains_without_mx_use_their_address_and_dead_domains_bounce(send, deliver, sink, dns_server):
    dns_server.zone.add("implicit.example", "A", "127.0.0.1")
    dns_server.zone.add("nullmx.example", "MX", (0, "."))
    send(To=[{"email": "a@implicit.example"}, {"email": "b@nxdomain.example"}, {"email": "c@nullmx.example"}])
    deliver()
    assert statuses() == {"a@implicit.example": "delivered", "b@nxdomain.example": "bounced",
                          "c@nullmx.example": "bounced"}
    reasons = {e.recipient: json.loads(e.details)["bounce"]["reason"] for e in Event.select().where(
        Event.event == "bounced")}
    assert reasons == {"b@nxdomain.example": "hostunknown", "c@nullmx.example": "notaccept"}


def test_unreachable_hosts_defer(send, deliver, dns_server, settings):
    config.use(config.current().replace(mx_port=1))  # connection refused
    send()
    deliver()
    row = Delivery.get()
    assert row.status == "deferred" and "ConnectionRefused" in row.last_reply


def test_send_at_waits_for_its_time(send, deliver, sink):
    send(SendAt=int(clock.now().replace(tzinfo=datetime.UTC).timestamp()) + 600)
    assert deliver() == 0
    clock.shift(minutes=11)
    assert deliver() == 1 and len(sink.received) == 1


def test_mail_stops_at_delivery_when_the_sender_may_no_longer_send(send, deliver, sink, sender):
    send()
    domains.set_status(sender.domain, "Suspended")
    deliver()
    row = Delivery.get()
    assert (row.status, row.last_reply) == ("failed", "Sending blocked: sender domain Suspended")
    domains.set_status(sender.domain, "Enabled")
    send()
    accounts.set_status(sender.account.user, "Disabled")
    deliver()
    assert Delivery.select().where(Delivery.last_reply == "Sending blocked: account disabled").count() == 1
    assert sink.received == []


def test_clear_domain_queue_fails_pending_mail_and_spares_what_a_worker_holds(api, send, deliver, sink, sender):
    send(To=[{"email": "first@example.net"}])
    assert len(queue.claim("other-worker", 10)) == 1  # a worker holds the first message
    send(To=[{"email": "second@example.net"}])
    answer = api(sender.account, "EmailGateway.ClearDomainQueue", DomainID=sender.domain.id)
    assert answer["Success"] and answer["ClearedDeliveries"] == 1
    assert statuses() == {"first@example.net": "queued", "second@example.net": "failed"}
    # the holder dies; whoever picks the first up next finds it cleared and never sends it
    clock.shift(seconds=config.current().lease_seconds + 1)
    send(To=[{"email": "third@example.net"}])  # mail accepted after the clear goes
    deliver()
    assert statuses() == {"first@example.net": "failed", "second@example.net": "failed",
                          "third@example.net": "delivered"}
    assert {d.last_reply for d in Delivery.select().where(Delivery.status == "failed")} == {"cleared by user"}
    assert [r.rcpt_tos for r in sink.received] == [["third@example.net"]]
    assert api(sender.account, "EmailGateway.ClearDomainQueue")["ErrorCode"] == 1
    assert api(sender.account, "EmailGateway.ClearDomainQueue", DomainID=999999)["ErrorCode"] == 2


def test_a_crashed_workers_lease_expires_and_another_worker_finishes(send, deliver, sink):
    for i in range(3):
        send(To=[{"email": f"r{i}@example.net"}])
    assert len(queue.claim("crashed-worker", 10)) == 3  # ...and it dies holding them
    assert deliver("survivor") == 0  # leased: not touched
    assert all(d.last_reply == "queued" for d in Delivery.select())
    clock.shift(seconds=config.current().lease_seconds + 1)
    assert deliver("survivor") == 3
    assert set(statuses().values()) == {"delivered"} and len(sink.received) == 3


def test_a_late_worker_cannot_overwrite_the_outcome_of_the_one_that_took_over(send, deliver, sink):
    send()
    stale = queue.claim("slow-worker", 10)
    clock.shift(seconds=config.current().lease_seconds + 1)
    deliver("fast-worker")
    delivery._deliver("slow-worker", stale)  # sends again (at least once), but records nothing
    row = Delivery.get()
    assert row.status == "delivered" and row.attempts == 1
    assert Event.select().where(Event.event == "delivered").count() == 1


def test_two_workers_never_deliver_the_same_row_twice(send, sink, settings):
    for i in range(40):
        send(To=[{"email": f"r{i}@example.net"}])
    config.use(config.current().replace(worker_batch=5))
    current = config.current()
    errors = []

    def work(name):
        from models.db import database
        config.use(current)
        try:
            with database.connection_context():
                while delivery.run_once(name):
                    pass
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    recipients = [r for m in sink.received for r in m.rcpt_tos]
    assert sorted(recipients) == sorted(f"r{i}@example.net" for i in range(40))  # each exactly once
    assert DeliveryAttempt.select().count() == 40


def test_smarthost_relay_with_auth(send, deliver, settings, dns_server):
    relay = SMTPSink(require_auth=("relayuser", "relay pass")).start()
    try:
        config.use(config.current().replace(relay_url=f"smtp://relayuser:relay%20pass@127.0.0.1:{relay.port}"))
        send(To=[{"email": "a@nowhere.example"}, {"email": "b@elsewhere.example"}], TrackOpens=False,
             TrackLinks=False)  # no MX needed; untracked, so one transaction
        deliver()
        assert set(statuses().values()) == {"delivered"}
        assert sorted(relay.received[0].rcpt_tos) == ["a@nowhere.example", "b@elsewhere.example"]
    finally:
        relay.stop()


def test_starttls_is_used_when_offered(send, deliver, settings, dns_server, tmp_path):
    tls_sink = SMTPSink(tls_cert=make_test_certificate(tmp_path)).start()
    try:
        dns_server.zone.add("tls.example", "MX", (10, "mx.tls.example"))
        dns_server.zone.add("mx.tls.example", "A", "127.0.0.1")
        config.use(config.current().replace(mx_port=tls_sink.port))
        send(To=[{"email": "secure@tls.example"}])
        deliver()
        assert tls_sink.received[0].tls is True
    finally:
        tls_sink.stop()


def test_a_pass_takes_up_the_session_the_last_one_left_open(send, deliver, sink):
    untracked = {"TrackOpens": False, "TrackLinks": False}
    send(To=[{"email": "a@example.net"}], **untracked)
    assert deliver() == 1
    send(To=[{"email": "b@example.net"}], **untracked)
    assert deliver() == 1
    assert sink.connections == 1 and statuses() == {"a@example.net": "delivered", "b@example.net": "delivered"}
    delivery.SESSIONS.close_idle(0)  # what a worker does when it stops (and a pass, past IDLE_SECONDS)
    send(To=[{"email": "c@example.net"}], **untracked)
    assert deliver() == 1 and sink.connections == 2


def test_a_kept_session_is_found_by_its_destination_before_any_lookup(send, deliver, sink, dns_server):
    """As Postfix's connection cache: the MX answer the session was opened on holds while it is
    kept (REUSE_SECONDS at most); once it is closed, the next pass looks the MX up again."""
    untracked = {"TrackOpens": False, "TrackLinks": False}
    send(To=[{"email": "a@example.net"}], **untracked)
    assert deliver() == 1
    dns_server.zone.remove("example.net")
    send(To=[{"email": "b@example.net"}], **untracked)
    assert deliver() == 1 and sink.connections == 1
    delivery.SESSIONS.close_idle(0)
    send(To=[{"email": "c@example.net"}], **untracked)
    deliver()
    assert statuses() == {"a@example.net": "delivered", "b@example.net": "delivered", "c@example.net": "bounced"}


def test_domains_that_share_mx_hosts_share_a_kept_session(send, deliver, sink, dns_server):
    dns_server.zone.remove("example.org", "MX")
    dns_server.zone.add("example.org", "MX", (10, "mx.example.net"))
    untracked = {"TrackOpens": False, "TrackLinks": False}
    send(To=[{"email": "a@example.net"}], **untracked)
    assert deliver() == 1
    send(To=[{"email": "b@example.org"}], **untracked)
    assert deliver() == 1
    assert sink.connections == 1 and set(statuses().values()) == {"delivered"}


def test_a_session_the_receiver_closed_while_idle_is_replaced(send, deliver, settings, dns_server):
    import time

    impatient = SMTPSink(idle_timeout=0.3).start()
    try:
        dns_server.zone.add("impatient.example", "MX", (10, "mx.impatient.example"))
        dns_server.zone.add("mx.impatient.example", "A", "127.0.0.1")
        config.use(config.current().replace(mx_port=impatient.port, smtp_timeout=5.0))
        send(To=[{"email": "one@impatient.example"}])
        assert deliver() == 1
        time.sleep(1.0)  # the receiver hangs up on the idle session (well within IDLE_SECONDS)
        send(To=[{"email": "two@impatient.example"}])
        assert deliver() == 1
        assert [r.rcpt_tos for r in impatient.received] == [["one@impatient.example"], ["two@impatient.example"]]
        assert impatient.connections == 2 and set(statuses().values()) == {"delivered"}
    finally:
        impatient.stop()


def test_verp_tokens_cannot_be_forged():
    address = verp.address(1234, "gp.example.com")
    assert verp.delivery_id(address) == 1234
    assert verp.delivery_id(address.replace("4d2", "4d3")) is None
    assert verp.delivery_id("postmaster@gp.example.com") is None


def test_an_unreachable_destination_is_tried_once_per_batch(send, deliver, settings):
    import socket

    hangup = socket.create_server(("127.0.0.1", 0))  # accepts, then hangs up without a greeting
    accepted = []

    def serve():
        while True:
            try:
                connection, _ = hangup.accept()
            except OSError:
                return
            accepted.append(1)
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        config.use(config.current().replace(mx_port=hangup.getsockname()[1]))
        for i in range(3):
            send(To=[{"email": f"r{i}@example.net"}])
        deliver()
    finally:
        hangup.close()
    assert set(statuses().values()) == {"deferred"}
    assert len(accepted) == 1  # one connection for the batch, not one per message


def raw_message(charset: str, body: bytes, to: str = "rob@example.net") -> bytes:
    return (f"From: Alice <alice@example.com>\r\nTo: {to}\r\nSubject: odd charset\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: text/html; charset="{charset}"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n').encode() + body


def test_a_poison_message_fails_alone_and_the_batch_goes_on(send, deliver, sink, sender):
    from models import Message
    from services import sending

    send(To=[{"email": "first@example.net"}], Subject="first")
    bogus = b'<p>caf\xe9 <a href="https://shop.example.org/">shop</a></p>\r\n'
    sending.accept_raw(sender.domain, "alice@example.com", ["bogus@example.net"], raw_message("x-bogus", bogus))
    sending.accept_raw(sender.domain, "alice@example.com", ["thai@example.net"],
                       raw_message("windows-874", b'<p>\xca\xc7\xd1\xca\xb4\xd5 <a href="https://shop.example.org/">x</a></p>'))
    poison = send(To=[{"email": "poison@example.net"}], Subject="poison").json["MessageID"]
    # stored content that cannot be signed (no From header left): a message no retry can mend
    Message.update(content=b"Subject: poison\r\n\r\nbody\r\n").where(Message.uuid == poison).execute()
    send(To=[{"email": "last@example.net"}], Subject="last")

    assert deliver() == 5
    arrived = {r.rcpt_tos[0]: r.data for r in sink.received}
    assert set(arrived) == {"first@example.net", "bogus@example.net", "thai@example.net", "last@example.net"}
    assert arrived["bogus@example.net"].endswith(b"\r\n\r\n" + bogus)  # unreadable as x-bogus: sent as it came
    assert dkim.verify(arrived["bogus@example.net"], dnsfunc=dns_txt)
    thai = email.message_from_bytes(arrived["thai@example.net"], policy=policy.default).get_body(("html",))
    assert "สวัสดี" in thai.get_content() and "/t/c/" in thai.get_content()  # decoded, tracked, now UTF-8

    row = Delivery.get(Delivery.recipient == "poison@example.net")
    reason = "Message could not be prepared for delivery: ValueError: a DKIM signature must cover the From header"
    assert (row.status, row.last_reply, row.lease_owner) == ("failed", reason, None)
    assert DeliveryAttempt.get(DeliveryAttempt.delivery == row).reply == reason
    assert reason in Event.get(Event.delivery == row, Event.event == "failed").details
    assert statuses() == {"first@example.net": "delivered", "bogus@example.net": "delivered",
                          "thai@example.net": "delivered", "poison@example.net": "failed", "last@example.net": "delivered"}


def test_an_outcome_the_database_refuses_leaves_its_message_to_a_retry(send, deliver, sink):
    """The recorder thread writes outcomes; when that write fails, nothing it held is lost: the
    pass defers what is still leased, with the reason, and the message goes again later."""
    from models.db import database

    send(To=[{"email": "rob@example.net"}])
    table = DeliveryAttempt._meta.table_name
    database.execute_sql(f"ALTER TABLE {table} RENAME TO broken_attempts")  # an attempt cannot be written
    try:
        assert deliver() == 1
    finally:
        database.execute_sql(f"ALTER TABLE broken_attempts RENAME TO {table}")
    assert [r.rcpt_tos for r in sink.received] == [["rob@example.net"]]  # it went; its 250 is not on record
    row = Delivery.get()
    assert (row.status, row.lease_owner, row.attempts) == ("deferred", None, 0)
    assert row.last_reply.startswith("Delivery interrupted:") and row.next_attempt_at > clock.now()
    clock.shift(datetime.timedelta(minutes=5))
    assert deliver() == 1 and Delivery.get().status == "delivered" and len(sink.received) == 2


def test_a_destination_that_breaks_the_pass_waits_and_the_others_go(send, deliver, sink):
    send(To=[{"email": "rob@example.net"}])
    send(To=[{"email": "ann@example.org"}])
    label = "x" * 64  # no resolver takes a label this long: the MX lookup raises, not answers
    Delivery.update(recipient=f"ann@{label}.example", recipient_domain=f"{label}.example").where(
        Delivery.recipient == "ann@example.org").execute()
    assert deliver() == 2
    assert [r.rcpt_tos for r in sink.received] == [["rob@example.net"]]
    broken = Delivery.get(Delivery.recipient_domain == f"{label}.example")
    assert (broken.status, broken.lease_owner) == ("deferred", None)
    assert broken.last_reply.startswith("Delivery interrupted: LabelTooLong") and broken.next_attempt_at > clock.now()
