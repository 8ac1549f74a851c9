"""Inbound bounces and complaints: mail is delivered to the sink first, then the fixture
corpus's real-world style reports come back to the inbound listener, addressed to the VERP
return path of that delivery; each must produce its event, and a suppression only when the
address is dead. Forged reports (no valid token, a Message-ID only, another transaction's
recipient) are kept and change nothing; the listener bounds what one client makes it keep."""
import json
import re
import smtplib
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
import config
from models import Delivery, Event, InboundReport, Message
from services import bounces, suppressions, verp
from smtp import listeners
from tests.conftest import free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
FIXTURE_VERP = re.compile(rb"bounces\+[0-9a-f]+-[0-9a-f]+@gp\.example\.com")
FIXTURE_MESSAGE_ID = re.compile(rb"<[0-9a-f]{8}-[0-9a-f-]+@example\.com>")


@pytest.fixture
def inbound(settings, sink):
    current = config.use(config.current().replace(smtp_ports=(), inbound_port=free_port(), tls_cert=""))
    controllers = listeners.start(current)
    assert [c.port for c in controllers] == [current.inbound_port]
    yield current
    listeners.stop(controllers)


def bring_back(settings, rcpt: str, report: bytes) -> None:
    """As a receiver's MTA does: from the null sender, with CRLF line ends (the files use LF)."""
    with smtplib.SMTP("127.0.0.1", settings.inbound_port, timeout=10) as smtp:
        smtp.sendmail("", [rcpt], re.sub(rb"\r?\n", b"\r\n", report))


def delivered_to(send, deliver, recipients: list[str]) -> tuple[Message, str]:
    """Send one message to `recipients`, deliver it; returns it and its VERP return path."""
    ident = send(To=[{"email": r} for r in recipients]).json["MessageID"]
    deliver()
    message = Message.get(Message.uuid == ident)
    lead = min(d.id for d in message.deliveries)
    return message, verp.address(lead, "gp.example.com")


def personalised(fixture: Path, message: Message, return_path: str) -> bytes:
    raw = fixture.read_bytes()
    raw = FIXTURE_VERP.sub(return_path.encode(), raw)
    return FIXTURE_MESSAGE_ID.sub(message.message_id_header.encode(), raw)


BOUNCES = sorted(p.name for p in FIXTURES.glob("*.eml") if bounces.parse(p.read_bytes()).kind == "bounce")
COMPLAINTS = sorted(p.name for p in FIXTURES.glob("*.eml") if bounces.parse(p.read_bytes()).kind == "complaint")


def test_the_corpus_has_bounces_and_complaints():
    assert len(BOUNCES) >= 8 and len(COMPLAINTS) >= 2


@pytest.mark.parametrize("name", BOUNCES)
def test_each_bounce_produces_its_event_and_suppression(inbound, send, deliver, sender, name):
    expected = bounces.parse((FIXTURES / name).read_bytes())
    recipients = [f.recipient for f in expected.failures]
    message, return_path = delivered_to(send, deliver, recipients)
    assert {d.status for d in message.deliveries} == {"delivered"}
    bring_back(inbound, return_path, personalised(FIXTURES / name, message, return_path))
    for failure in expected.failures:
        delivery = Delivery.get(Delivery.message == message, Delivery.recipient == failure.recipient)
        suppressed = suppressions.suppressed(sender.account.user, [failure.recipient])
        if failure.permanent:
            assert delivery.status == "bounced" and failure.status in delivery.last_reply
            event = Event.get(Event.delivery == delivery, Event.event == "bounced")
            assert json.loads(event.details)["bounce"] == failure.payload()
            assert suppressed == ([failure.recipient] if failure.hard else [])
        else:
            assert delivery.status == "delivered" and delivery.last_reply.startswith("reported delayed")
            assert Event.get(Event.delivery == delivery, Event.event == "deferred") and suppressed == []
    assert InboundReport.select().count() == 0


@pytest.mark.parametrize("name", COMPLAINTS)
def test_each_complaint_produces_its_event_and_suppression(inbound, send, deliver, sender, name):
    expected = bounces.parse((FIXTURES / name).read_bytes())
    message, return_path = delivered_to(send, deliver, list(expected.complained))
    bring_back(inbound, return_path, personalised(FIXTURES / name, message, return_path))
    for recipient in expected.complained:
        delivery = Delivery.get(Delivery.message == message, Delivery.recipient == recipient)
        assert Event.get(Event.delivery == delivery, Event.event == "complained")
        assert suppressions.suppressed(sender.account.user, [recipient]) == [recipient]


def test_a_feedback_loop_report_is_matched_by_the_return_path_it_carries(inbound, send, deliver, sender):
    name = "arf-abuse.eml"
    expected = bounces.parse((FIXTURES / name).read_bytes())
    message, return_path = delivered_to(send, deliver, list(expected.complained))
    bring_back(inbound, "fbl@gp.example.com", personalised(FIXTURES / name, message, return_path))
    assert Event.select().where(Event.event == "complained").count() == len(expected.complained)


@pytest.mark.parametrize("name", ["arf-abuse.eml", "postfix-hard.eml"])
def test_a_report_with_only_the_message_id_is_refused(inbound, send, deliver, sender, name):
    """The forgery of issue 16: any recipient knows the Message-ID, so a report that names the
    right message but carries no valid token (here: another tenant's, or none) matches nothing."""
    expected = bounces.parse((FIXTURES / name).read_bytes())
    victims = list(expected.complained) or [f.recipient for f in expected.failures]
    message, return_path = delivered_to(send, deliver, victims)
    forged = FIXTURE_MESSAGE_ID.sub(message.message_id_header.encode(), (FIXTURES / name).read_bytes())
    forged = FIXTURE_VERP.sub(b"attacker@evil.example", forged)
    bring_back(inbound, "fbl@gp.example.com", forged)
    assert Event.select().where(Event.event.in_(("complained", "bounced"))).count() == 0
    assert suppressions.list_for(sender.account.user) == []
    assert [(r.kind, r.reason) for r in InboundReport.select()] == [(expected.kind, "no valid return-path token")]


def test_a_notice_known_by_its_null_sender_is_matched(inbound, send, deliver, sender):
    """A notice in no known layout (KDDI's English one: subject "Mail", from a no-reply address) is
    read as one because it came from the null sender, returning our mail and saying it failed; the
    listener has that sender from the envelope, as no Return-Path is in what it receives."""
    message, return_path = delivered_to(send, deliver, ["neko@example.net"])
    assert {d.status for d in message.deliveries} == {"delivered"}
    notice = (f"From: no-reply@mx.example.jp\nTo: {return_path}\nSubject: Mail\nMIME-Version: 1.0\n"
              "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
              "Could not be delivered to: <neko@example.net>\nAs their mailbox is full.\n\n"
              "--b\nContent-Type: message/rfc822\n\n"
              f"Return-Path: <{return_path}>\nTo: <neko@example.net>\nSubject: Order\n\nYour order\n--b--\n")
    bring_back(inbound, return_path, notice.encode())
    delivery = Delivery.get(Delivery.message == message)
    assert delivery.last_reply.startswith("reported delayed")
    event = Event.get(Event.delivery == delivery, Event.event == "deferred")
    assert json.loads(event.details)["bounce"]["reason"] == "mailboxfull"
    assert suppressions.suppressed(sender.account.user, ["neko@example.net"]) == []
    assert InboundReport.select().count() == 0


AOL_REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "bounces" / "feedback" / "manta-AolAbuse.eml"


def aol_report(message: Message, return_path: str) -> bytes:
    """AOL's redacted feedback-loop report (a real one, feedback/manta-AolAbuse.eml) about our message."""
    raw = AOL_REPORT.read_bytes().replace(b"<redacted@news.thefriendlyclub.co.uk>", f"<{return_path}>".encode(), 1)
    return raw.replace(b"<00000000000000000000000000000000@local>", message.message_id_header.encode())


def test_a_redacted_complaint_is_the_tokens_own_delivery_when_alone(inbound, send, deliver, sender):
    """AOL names nobody ("redacted@aol.com" under "Redacted-Address: redacted"): the return-path
    token's delivery is the one complained of when the token stood for it alone."""
    message, return_path = delivered_to(send, deliver, ["reader@example.net"])
    assert {d.status for d in message.deliveries} == {"delivered"}
    bring_back(inbound, return_path, aol_report(message, return_path))
    delivery = Delivery.get(Delivery.message == message)
    assert Event.get(Event.delivery == delivery, Event.event == "complained")
    assert suppressions.suppressed(sender.account.user, ["reader@example.net"]) == ["reader@example.net"]


def test_a_redacted_complaint_on_a_shared_token_suppresses_nobody(inbound, send, deliver, sender):
    """Two recipients at one domain share one transaction and one token: a complaint that names
    nobody could be either's, so it suppresses neither and is kept for the operator."""
    message, return_path = delivered_to(send, deliver, ["ann@example.net", "bob@example.net"])
    assert {d.status for d in message.deliveries} == {"delivered"}
    bring_back(inbound, return_path, aol_report(message, return_path))
    assert Event.select().where(Event.event == "complained").count() == 0
    assert suppressions.list_for(sender.account.user) == []
    assert [(r.kind, r.reason) for r in InboundReport.select()] == [
        ("complaint", "a complaint naming nobody, its token may stand for several recipients")]


def test_a_report_sent_to_the_abuse_address_is_matched_by_its_original_mail_from(inbound, send, deliver, sender):
    """Yahoo's report (feedback/manta-YahooAbuse.eml) comes to the abuse address, not the token's;
    the token is in its Original-Mail-From, while its copy of our message shows a Return-Path
    rewritten to the From address."""
    message, return_path = delivered_to(send, deliver, ["reader@example.net"])
    raw = (AOL_REPORT.parent / "manta-YahooAbuse.eml").read_bytes()
    raw = raw.replace(b"return-some.user=yahoo.co.uk-1@colony101.co.uk", return_path.encode())
    raw = raw.replace(b"some.user@yahoo.co.uk", b"reader@example.net")
    bring_back(inbound, "fbl@gp.example.com", raw)
    delivery = Delivery.get(Delivery.message == message)
    assert Event.get(Event.delivery == delivery, Event.event == "complained")
    assert suppressions.suppressed(sender.account.user, ["reader@example.net"]) == ["reader@example.net"]


def test_a_report_stating_another_mail_from_is_matched_by_its_copys_return_path(inbound, send, deliver, sender):
    """Original-Mail-From is not always the envelope sender (sisimai-bsd4/arf-25, phpbounce's
    fbl-yahoo: an address of the sender's own): the token in the copy's Return-Path still counts."""
    message, return_path = delivered_to(send, deliver, ["reader@example.net"])
    raw = (AOL_REPORT.parent / "manta-YahooAbuse.eml").read_bytes()
    raw = raw.replace(b"return-some.user=yahoo.co.uk-1@colony101.co.uk", b"news@colony101.co.uk")
    raw = raw.replace(b"Return-Path: <info@colony101.co.uk>", f"Return-Path: <{return_path}>".encode())
    raw = raw.replace(b"some.user@yahoo.co.uk", b"reader@example.net")
    assert return_path.encode() in raw
    bring_back(inbound, "fbl@gp.example.com", raw)
    delivery = Delivery.get(Delivery.message == message)
    assert Event.get(Event.delivery == delivery, Event.event == "complained")
    assert suppressions.suppressed(sender.account.user, ["reader@example.net"]) == ["reader@example.net"]


def test_a_token_matches_only_recipients_of_its_own_transaction(inbound, send, deliver, sender):
    """A recipient on one domain sees its own VERP address, but a bounce sent there that names
    another domain's recipient of the same message must not suppress that recipient."""
    message, return_path = delivered_to(send, deliver, ["mallory@example.net", "victim@example.org"])
    lead = min(message.deliveries, key=lambda d: d.id)
    assert lead.recipient == "mallory@example.net"
    forged = personalised(FIXTURES / "postfix-hard.eml", message, return_path)
    bring_back(inbound, return_path, forged.replace(b"nobody@example.net", b"victim@example.org"))
    assert suppressions.list_for(sender.account.user) == []
    assert [r.reason for r in InboundReport.select()] == ["none of its recipients is a delivery of that transaction"]


def test_a_soft_failure_is_a_bounce_with_its_reason_and_no_suppression(inbound, send, deliver, sender):
    message, return_path = delivered_to(send, deliver, ["full@example.net"])
    raw = personalised(FIXTURES / "postfix-multi.eml", message, return_path)
    bring_back(inbound, return_path, raw)
    delivery = Delivery.get(Delivery.message == message)
    event = Event.get(Event.delivery == delivery, Event.event == "bounced")
    assert delivery.status == "bounced"
    assert json.loads(event.details)["bounce"] == {
        "reason": "mailboxfull", "hard": False, "status": "5.2.2", "remote_mta": "mx.example.org",
        "diagnostic": "552 5.2.2 <full@example.net>: Mailbox full"}
    assert suppressions.list_for(sender.account.user) == []


def test_an_address_failing_softly_again_and_again_is_suppressed(inbound, send, deliver, sender, settings):
    config.use(config.current().replace(soft_bounce_limit=3, soft_bounce_days=7))
    for attempt in range(3):
        assert suppressions.list_for(sender.account.user) == []
        message, return_path = delivered_to(send, deliver, ["full@example.net"])
        bring_back(inbound, return_path, personalised(FIXTURES / "postfix-multi.eml", message, return_path))
    [entry] = suppressions.list_for(sender.account.user)
    assert (entry.email, entry.reason) == ("full@example.net", "repeated-soft-bounce")
    assert entry.detail.startswith("3 soft failures in 7 days; last: mailboxfull:")


def test_an_auto_reply_changes_nothing(inbound, send, deliver, sender):
    message, return_path = delivered_to(send, deliver, ["someone@example.net"])
    bring_back(inbound, return_path, (FIXTURES / "autoreply.eml").read_bytes())
    assert Event.select().where(Event.event.in_(("bounced", "deferred", "complained"))).count() == 0
    assert [(r.kind, r.reason) for r in InboundReport.select()] == [("auto-reply", "not a bounce or a complaint")]


def test_the_listener_refuses_oversized_reports(inbound):
    big = b"Subject: x\r\n\r\n" + b"y" * (inbound.inbound_max_bytes + 10) + b"\r\n"
    with smtplib.SMTP("127.0.0.1", inbound.inbound_port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPResponseException) as refused:
            smtp.sendmail("", ["postmaster@gp.example.com"], big)
    assert refused.value.smtp_code == 552
    assert InboundReport.select().count() == 0


def test_the_listener_limits_reports_per_client(settings, sink, sender):
    current = config.use(config.current().replace(smtp_ports=(), inbound_port=free_port(), tls_cert="",
                                                  inbound_rate_limit="3 per hour"))
    controllers = listeners.start(current)
    try:
        codes = []
        for i in range(5):
            with smtplib.SMTP("127.0.0.1", current.inbound_port, timeout=10) as smtp:
                smtp.ehlo()
                smtp.mail("")
                smtp.rcpt("postmaster@gp.example.com")
                codes.append(smtp.data(f"Subject: {i}\r\n\r\nhello\r\n".encode())[0])
    finally:
        listeners.stop(controllers)
    assert codes == [250, 250, 250, 450, 450]
    assert InboundReport.select().count() == 3


def test_mail_for_other_hosts_is_refused(inbound):
    with smtplib.SMTP("127.0.0.1", inbound.inbound_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("")
        code, reply = smtp.rcpt("someone@example.net")
        assert code == 550 and b"Relay access denied" in reply
        assert smtp.rcpt("bounces+1-abc@gp.unknown.example")[0] == 550


def test_forged_or_unmatched_reports_are_kept_for_the_operator(inbound, send, deliver, sender, settings):
    name = BOUNCES[0]
    message, return_path = delivered_to(send, deliver, ["victim@example.net"])
    forged = return_path.replace("@", "0@")  # a token whose signature does not match
    report = (FIXTURES / name).read_bytes()
    bring_back(inbound, forged.split("@")[0] + "@gp.example.com", report)
    bring_back(inbound, "postmaster@gp.example.com", b"Subject: hello\r\n\r\nJust saying hi.\r\n")
    assert Event.select().where(Event.event == "bounced").count() == 0
    assert suppressions.list_for(sender.account.user) == []
    kept = list(InboundReport.select().order_by(InboundReport.id))
    assert [(r.kind, r.reason) for r in kept] == [("bounce", "no valid return-path token"),
                                                  ("unknown", "not a bounce or a complaint")]
    listed = CliRunner().invoke(cli.main, ["bounces", "unmatched"])
    assert listed.exit_code == 0 and "postmaster@gp.example.com" in listed.output
    whole = CliRunner().invoke(cli.main, ["bounces", "unmatched", "--show", str(kept[1].id)])
    assert "Just saying hi." in whole.output
