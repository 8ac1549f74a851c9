"""Inbound bounces and complaints: mail is delivered to the sink first, then the fixture
corpus's real-world style reports come back to the inbound listener, addressed to the VERP
return path of that delivery; each must produce its event and suppression."""
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
            assert failure.status in event.details and suppressed == [failure.recipient]
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


def test_a_complaint_sent_without_verp_is_matched_by_message_id(inbound, send, deliver, sender):
    name = COMPLAINTS[0]
    expected = bounces.parse((FIXTURES / name).read_bytes())
    message, return_path = delivered_to(send, deliver, list(expected.complained))
    bring_back(inbound, "fbl@gp.example.com", personalised(FIXTURES / name, message, return_path))
    assert Event.select().where(Event.event == "complained").count() == len(expected.complained)


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
    assert [(r.kind, r.reason) for r in kept] == [("bounce", "no delivery matches it"),
                                                  ("unknown", "not a bounce or a complaint")]
    listed = CliRunner().invoke(cli.main, ["bounces", "unmatched"])
    assert listed.exit_code == 0 and "postmaster@gp.example.com" in listed.output
    whole = CliRunner().invoke(cli.main, ["bounces", "unmatched", "--show", str(kept[1].id)])
    assert "Just saying hi." in whole.output
