"""The SMTP sink behaves as the delivery tests assume: smtplib against the real server on loopback."""
from __future__ import annotations

import smtplib
import ssl
import time

import pytest

from tests.smtp_sink import SMTPSink, make_test_certificate

MESSAGE = b"From: app@sender.test\r\nTo: someone@rcpt.test\r\nSubject: hi\r\n\r\nHello.\r\n.leading dot\r\n"


@pytest.fixture
def sink():
    server = SMTPSink().start()
    yield server
    server.stop()


def connect(server: SMTPSink) -> smtplib.SMTP:
    client = smtplib.SMTP(server.host, server.port, timeout=10)
    client.ehlo("client.test")
    return client


def test_accepts_two_messages_on_one_connection(sink):
    with connect(sink) as client:
        assert not client.has_extn("starttls") and not client.has_extn("auth")
        assert client.sendmail("app@sender.test", ["a@rcpt.test"], MESSAGE) == {}
        assert client.sendmail("app@sender.test", ["b@rcpt.test"], MESSAGE) == {}
    assert sink.connections == 1
    first, second = sink.wait_for(2)
    assert (first.mail_from, first.rcpt_tos, second.rcpt_tos) == ("app@sender.test", ["a@rcpt.test"], ["b@rcpt.test"])
    assert first.data == MESSAGE and first.tls is False and first.peer[0] == "127.0.0.1"
    assert sink.messages_for("A@rcpt.test") == [first]
    assert sink.attempts == [("app@sender.test", "a@rcpt.test", "250 2.1.5 OK"),
                             ("app@sender.test", "a@rcpt.test", "250 2.0.0 OK: queued"),
                             ("app@sender.test", "b@rcpt.test", "250 2.1.5 OK"),
                             ("app@sender.test", "b@rcpt.test", "250 2.0.0 OK: queued")]


def test_mixed_outcomes_in_one_transaction(sink):
    with connect(sink) as client:
        refused = client.sendmail("app@sender.test", ["ok@rcpt.test", "Bounce@rcpt.test"], MESSAGE)
    assert refused == {"Bounce@rcpt.test": (550, b"5.1.1 User unknown")}
    [message] = sink.received
    assert message.rcpt_tos == ["ok@rcpt.test"]
    assert sink.messages_for("bounce@rcpt.test") == []
    assert ("app@sender.test", "Bounce@rcpt.test", "550 5.1.1 User unknown") in sink.attempts


def test_bounce550_alias(sink):
    with connect(sink) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as error:
        client.sendmail("app@sender.test", ["bounce550@rcpt.test"], MESSAGE)
    assert error.value.recipients["bounce550@rcpt.test"][0] == 550


def test_defer421_closes_then_accepts_on_a_new_connection(sink):
    with connect(sink) as client:
        client.mail("app@sender.test")
        assert client.rcpt("defer421@rcpt.test") == (421, b"4.7.0 Try again later")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
    with connect(sink) as client:
        assert client.sendmail("app@sender.test", ["defer421@rcpt.test"], MESSAGE) == {}
    assert sink.connections == 2
    assert [a[2] for a in sink.attempts] == ["421 4.7.0 Try again later", "250 2.1.5 OK", "250 2.0.0 OK: queued"]
    assert len(sink.messages_for("defer421@rcpt.test")) == 1


def test_greylist_then_accept(sink):
    with connect(sink) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
            client.sendmail("app@sender.test", ["greylist@rcpt.test"], MESSAGE)
        code, text = error.value.recipients["greylist@rcpt.test"]
        assert code == 451 and b"try again in 5 seconds" in text
        assert client.sendmail("app@sender.test", ["greylist@rcpt.test"], MESSAGE) == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused):  # state is per address
            client.sendmail("app@sender.test", ["greylist@other.test"], MESSAGE)
    assert [m.rcpt_tos for m in sink.received] == [["greylist@rcpt.test"]]


def test_tempfail_always_451(sink):
    with connect(sink) as client:
        for _ in range(3):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
                client.sendmail("app@sender.test", ["TempFail@rcpt.test"], MESSAGE)
            assert error.value.recipients["TempFail@rcpt.test"] == (451, b"4.3.0 Temporary failure")
    assert sink.received == []


def test_drop_disconnects_without_answer(sink):
    with connect(sink) as client, pytest.raises(smtplib.SMTPServerDisconnected):
        client.sendmail("app@sender.test", ["drop@rcpt.test"], MESSAGE)
    assert sink.attempts == [("app@sender.test", "drop@rcpt.test", "(dropped)")]
    with connect(sink) as client:  # the server itself carries on
        assert client.sendmail("app@sender.test", ["ok@rcpt.test"], MESSAGE) == {}
    assert sink.connections == 2


def test_slow_delays_the_data_answer(sink):
    sink.slow_seconds = 0.5
    with connect(sink) as client:
        started = time.monotonic()
        assert client.sendmail("app@sender.test", ["slow@rcpt.test"], MESSAGE) == {}
        assert time.monotonic() - started >= 0.45
    assert sink.received[0].rcpt_tos == ["slow@rcpt.test"]


def test_starttls_with_generated_certificate(tmp_path):
    cert, key = make_test_certificate(tmp_path)
    server = SMTPSink(tls_cert=(cert, key)).start()
    try:
        with connect(server) as client:
            assert client.has_extn("starttls")
            client.starttls(context=ssl.create_default_context(cafile=cert))  # verifies 127.0.0.1 too
            client.ehlo("client.test")
            assert not client.has_extn("auth")
            client.sendmail("app@sender.test", ["ok@rcpt.test"], MESSAGE)
        with connect(server) as client:
            client.sendmail("app@sender.test", ["plain@rcpt.test"], MESSAGE)
        assert [(m.rcpt_tos, m.tls) for m in server.received] == [(["ok@rcpt.test"], True),
                                                                  (["plain@rcpt.test"], False)]
    finally:
        server.stop()


def test_auth_required():
    server = SMTPSink(require_auth=("relay", "s3cret")).start()
    try:
        with connect(server) as client:
            assert set(client.esmtp_features["auth"].split()) >= {"PLAIN", "LOGIN"}
            with pytest.raises(smtplib.SMTPSenderRefused) as error:
                client.sendmail("app@sender.test", ["ok@rcpt.test"], MESSAGE)
            assert error.value.smtp_code == 530
        with connect(server) as client, pytest.raises(smtplib.SMTPAuthenticationError) as error:
            client.login("relay", "wrong")
        assert error.value.smtp_code == 535
        with connect(server) as client:
            client.login("relay", "s3cret")  # PLAIN
            client.sendmail("app@sender.test", ["ok@rcpt.test"], MESSAGE)
        with connect(server) as client:
            client.user, client.password = "relay", "s3cret"
            assert client.auth("LOGIN", client.auth_login)[0] == 235
            client.sendmail("app@sender.test", ["ok@rcpt.test"], MESSAGE)
        assert len(server.messages_for("ok@rcpt.test")) == 2
    finally:
        server.stop()


def test_reset_forgets_everything(sink):
    with connect(sink) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("app@sender.test", ["greylist@rcpt.test"], MESSAGE)
        client.sendmail("app@sender.test", ["ok@rcpt.test"], MESSAGE)
    sink.reset()
    assert (sink.received, sink.attempts, sink.connections) == ([], [], 0)
    with connect(sink) as client, pytest.raises(smtplib.SMTPRecipientsRefused):  # greylisted afresh
        client.sendmail("app@sender.test", ["greylist@rcpt.test"], MESSAGE)
    assert sink.connections == 1


def test_wait_for_times_out(sink):
    started = time.monotonic()
    with pytest.raises(AssertionError, match="expected 1 message"):
        sink.wait_for(1, timeout=0.2)
    assert time.monotonic() - started >= 0.2
