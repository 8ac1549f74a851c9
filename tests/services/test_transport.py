"""An SMTP session's transactions against the real loopback sink: lock-step, and pipelined
(RFC 2920) when the receiver offers PIPELINING, each recipient with the reply that decided it."""
import pytest

from services import transport
from tests.smtp_sink import SMTPSink

MESSAGE = b"From: a@example.com\r\nSubject: dots\r\n\r\n.a line that opens with a dot\r\n..and two\r\nend"


def connect(sink) -> transport.Connection:
    connection = transport.Connection(transport.Route((("127.0.0.1", sink.port),)), helo="gp.example.com")
    assert connection.open, connection.failure
    return connection


@pytest.mark.parametrize("pipelining", [True, False])
def test_each_recipient_gets_its_own_reply_and_the_accepted_ones_the_message(sink, pipelining):
    sink.pipelining = pipelining
    connection = connect(sink)
    replies = connection.send("b@gp.example.com", ["ok@example.net", "bounce@example.net", "tempfail@example.net",
                                                   "fine@example.net"], MESSAGE)
    assert {r: (reply.code, reply.phase) for r, reply in replies.items()} == {
        "ok@example.net": (250, "data"), "bounce@example.net": (550, "rcpt"),
        "tempfail@example.net": (451, "rcpt"), "fine@example.net": (250, "data")}
    [received] = sink.received
    assert received.rcpt_tos == ["ok@example.net", "fine@example.net"]
    assert received.data.endswith(b"\r\n.a line that opens with a dot\r\n..and two\r\nend\r\n")  # dots arrive as sent
    assert sink.pipelined_rcpts == (4 if pipelining else 0)  # each RCPT came in the write that carried DATA


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_transaction_nobody_was_accepted_for_leaves_the_session_ready_for_the_next(sink, pipelining):
    """Pipelined, DATA was sent regardless and refused (503): the session is reset, not left mid-way."""
    sink.pipelining = pipelining
    connection = connect(sink)
    replies = connection.send("b@gp.example.com", ["bounce@example.net"], MESSAGE)
    assert (replies["bounce@example.net"].code, replies["bounce@example.net"].phase) == (550, "rcpt")
    assert connection.send("b@gp.example.com", ["ok@example.net"], MESSAGE)["ok@example.net"].code == 250
    assert [m.rcpt_tos for m in sink.received] == [["ok@example.net"]] and sink.connections == 1


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_refused_data_command_is_the_accepted_recipients_reply_and_the_session_goes_on(sink, pipelining):
    sink.pipelining = pipelining
    connection = connect(sink)
    replies = connection.send("b@gp.example.com", ["refusedata@example.net", "bounce@example.net"], MESSAGE)
    assert (replies["refusedata@example.net"].code, replies["refusedata@example.net"].phase) == (451, "data")
    assert replies["bounce@example.net"].code == 550
    assert connection.send("b@gp.example.com", ["ok@example.net"], MESSAGE)["ok@example.net"].code == 250
    assert [m.rcpt_tos for m in sink.received] == [["ok@example.net"]] and sink.connections == 1


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_sender_refused_at_mail_is_every_recipients_reply(pipelining):
    """A receiver that wants AUTH refuses MAIL; pipelined, the RCPTs and DATA that followed it get
    503s, which are not what decided anything."""
    receiver = SMTPSink(require_auth=("user", "secret")).start()
    try:
        receiver.pipelining = pipelining
        connection = connect(receiver)
        replies = connection.send("b@gp.example.com", ["ok@example.net", "fine@example.net"], MESSAGE)
        assert {(reply.code, reply.phase) for reply in replies.values()} == {(530, "mail")}
        assert receiver.received == [] and connection.open
    finally:
        receiver.stop()


def test_a_receiver_that_drops_the_connection_mid_pipeline_leaves_the_unanswered_without_a_reply(sink):
    connection = connect(sink)
    replies = connection.send("b@gp.example.com", ["bounce@example.net", "drop@example.net", "ok@example.net"], MESSAGE)
    assert replies["bounce@example.net"].code == 550  # answered before the drop: its reply stands
    assert replies["drop@example.net"].code is None and replies["ok@example.net"].code is None
    assert "connection lost" in replies["ok@example.net"].text and not connection.open
    assert sink.received == []
