"""SMTP submission with the credentials AddSMTP hands out: smtplib against the real listener."""
import email
import smtplib
import socket
import ssl
from email import policy

import dkim
import pytest

import config
from models import Delivery, Message, SMTPCredential
from services import domains, smtp_credentials, suppressions
from smtp import certificates, listeners
from tests.conftest import free_port
from tests.services.test_delivery import dns_txt


@pytest.fixture
def listener(settings, tmp_path, sink):
    cert, key = certificates.self_signed(tmp_path, "localhost")
    current = config.use(config.current().replace(
        smtp_ports=(free_port(),), smtp_tls_port=free_port(), tls_cert=cert, tls_key=key,
        max_message_bytes=200_000, max_recipients=5, inbound_port=0))
    controllers = listeners.start(current)
    assert len(controllers) == 2
    yield current
    listeners.stop(controllers)
    smtp_credentials._VERIFIED.clear()


@pytest.fixture
def credential(api, sender):
    return api(sender.account, "EmailGateway.AddSMTP", DomainID=sender.domain.id)["SMTP"]


def client(settings, *, tls=True) -> smtplib.SMTP:
    connection = smtplib.SMTP("127.0.0.1", settings.smtp_ports[0], timeout=10)
    if tls:
        connection.starttls(context=ssl.create_default_context(cafile=settings.tls_cert))
    return connection


MESSAGE = (b"From: Alice <alice@example.com>\r\nTo: Rob <rob@example.net>\r\nBcc: secret@example.org\r\n"
           b"Subject: Over SMTP\r\nX-Mailer: TestMailer 1.0\r\n\r\nHello over SMTP.\r\n")


def test_the_ports_add_smtp_hands_out_are_the_listening_ones(listener, credential):
    assert credential["SMTPPorts"] == [str(p) for p in (*listener.smtp_ports, listener.smtp_tls_port)]
    for port in credential["SMTPPorts"]:
        socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()


def test_submitted_mail_is_queued_signed_and_delivered(listener, credential, deliver, sink):
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        refused = smtp.sendmail("alice@example.com", ["rob@example.net", "secret@example.org"], MESSAGE)
        code, reply = smtp.noop()
    assert refused == {}
    message = Message.get()
    assert message.source == "smtp" and message.subject == "Over SMTP"
    assert {d.recipient: d.kind for d in message.deliveries} == {"rob@example.net": "to", "secret@example.org": "bcc"}
    deliver()
    assert len(sink.received) == 2
    for received in sink.received:
        parsed = email.message_from_bytes(received.data, policy=policy.default)
        assert parsed["Bcc"] is None and parsed["X-Mailer"] == "TestMailer 1.0" and parsed["Message-ID"]
        assert dkim.verify(received.data, dnsfunc=dns_txt)


def test_data_is_answered_with_the_message_id_after_commit(listener, credential):
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        smtp.mail("alice@example.com")
        smtp.rcpt("rob@example.net")
        code, reply = smtp.data(MESSAGE)
    assert code == 250
    ident = reply.decode().rsplit(" ", 1)[-1]
    assert Message.get(Message.uuid == ident)


def test_auth_login_and_implicit_tls(listener, credential):
    context = ssl.create_default_context(cafile=listener.tls_cert)
    with smtplib.SMTP_SSL("127.0.0.1", listener.smtp_tls_port, context=context, timeout=10) as smtp:
        smtp.ehlo()
        smtp.esmtp_features["auth"] = "LOGIN"  # force the LOGIN mechanism
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        assert smtp.sendmail("alice@example.com", ["rob@example.net"], MESSAGE) == {}


def test_no_auth_before_starttls_unless_allowed(listener, credential, settings):
    with client(listener, tls=False) as smtp:
        smtp.ehlo()
        assert "auth" not in smtp.esmtp_features
        code, _ = smtp.docmd("AUTH", "PLAIN AGFsaWNlAHNlY3JldA==")
        assert code == 538  # encryption required
        code, _ = smtp.docmd("MAIL", "FROM:<alice@example.com>")
        assert code == 530  # and nothing goes without AUTH


def test_plain_auth_without_tls_when_the_operator_allows_it(settings, credential, tmp_path):
    current = config.use(config.current().replace(smtp_ports=(free_port(),), smtp_allow_plain_auth=True, tls_cert="",
                                                  inbound_port=0))
    controllers = listeners.start(current)
    try:
        with smtplib.SMTP("127.0.0.1", current.smtp_ports[0], timeout=10) as smtp:
            smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
            assert smtp.sendmail("alice@example.com", ["rob@example.net"], MESSAGE) == {}
    finally:
        listeners.stop(controllers)


def test_wrong_password_and_then_too_many_failures(listener, credential):
    with client(listener) as smtp:
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            smtp.login(credential["SMTPUsername"], "wrong")
        assert failure.value.smtp_code == 535
    for _ in range(5):
        with client(listener) as smtp:
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.login("nobody@example.com", "wrong")
    with client(listener) as smtp:  # now even the right password waits
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        assert failure.value.smtp_code == 454


def test_a_credential_sends_only_as_its_own_domain(listener, credential):
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        code, reply = smtp.mail("ceo@other.example")
        assert code == 553 and b"5.7.1" in reply
        smtp.rset()
        forged = MESSAGE.replace(b"From: Alice <alice@example.com>", b"From: CEO <ceo@other.example>")
        with pytest.raises(smtplib.SMTPDataError) as failure:
            smtp.sendmail("alice@example.com", ["rob@example.net"], forged)
        assert failure.value.smtp_code == 553
    assert Message.select().count() == 0


def test_recipient_checks(listener, credential, sender):
    suppressions.add(sender.account.user, "gone@example.net", "hard-bounce")
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        smtp.mail("alice@example.com")
        code, reply = smtp.rcpt("gone@example.net")
        assert code == 550 and b"5.1.1" in reply
        assert smtp.rcpt("not an address")[0] == 553
        assert [smtp.rcpt(f"r{i}@example.net")[0] for i in range(6)] == [250] * 5 + [452]


def test_oversize_messages_are_552(listener, credential):
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        with pytest.raises(smtplib.SMTPSenderRefused) as failure:  # SIZE is advertised: refused at MAIL
            smtp.sendmail("alice@example.com", ["rob@example.net"], MESSAGE + b"x" * 300_000)
        assert failure.value.smtp_code == 552


def test_an_inactive_domain_or_a_deleted_credential_is_refused(listener, credential, sender):
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        domains.set_status(sender.domain, "Suspended")
        code, reply = smtp.mail("alice@example.com")
        assert code == 550 and b"5.7.1" in reply
        domains.set_status(sender.domain, "Enabled")
        SMTPCredential.delete().execute()
        assert smtp.mail("alice@example.com")[0] == 535


def test_bare_lf_dot_lf_does_not_end_data_no_smuggling(listener, credential):
    import base64

    with socket.create_connection(("127.0.0.1", listener.smtp_ports[0]), timeout=10) as raw:
        tls = ssl.create_default_context(cafile=listener.tls_cert)
        reader = raw.makefile("rb")

        def command(line: bytes, sock) -> bytes:
            sock.sendall(line + b"\r\n")
            answer = b""
            while True:
                got = reader.readline()
                answer += got
                if got[3:4] != b"-":
                    return answer

        reader.readline()
        command(b"EHLO client", raw)
        command(b"STARTTLS", raw)
        wrapped = tls.wrap_socket(raw, server_hostname="localhost")
        reader = wrapped.makefile("rb")
        command(b"EHLO client", wrapped)
        plain = base64.b64encode(f"\0{credential['SMTPUsername']}\0{credential['SMTPPassword']}".encode())
        assert command(b"AUTH PLAIN " + plain, wrapped).startswith(b"235")
        command(b"MAIL FROM:<alice@example.com>", wrapped)
        command(b"RCPT TO:<rob@example.net>", wrapped)
        assert command(b"DATA", wrapped).startswith(b"354")
        smuggled = (b"From: alice@example.com\r\nTo: rob@example.net\r\nSubject: first\r\n\r\nbody\n.\n"
                    b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
                    b"From: alice@example.com\r\nSubject: smuggled\r\n\r\nevil\r\n.")
        assert command(smuggled, wrapped).startswith(b"250")
        command(b"QUIT", wrapped)
    assert Message.select().count() == 1
    assert [d.recipient for d in Delivery.select()] == ["rob@example.net"]
    assert b"smuggled" in bytes(Message.get().content)  # it stayed inside the one message


def _message(headers: bytes) -> bytes:
    return headers + b"\r\nTo: Rob <rob@example.net>\r\nSubject: Quarterly figures\r\n\r\nPlease pay.\r\n"


# Each shows a receiver (or DKIM, which signs the last From) another sender than the one checked.
FROM_BYPASSES = {
    "two From headers, own first": b"From: alice@example.com\r\nFrom: ceo@bank.example",
    "two From headers, own last": b"From: ceo@bank.example\r\nFrom: alice@example.com",
    "two From headers, other case": b"From: alice@example.com\r\nFROM: ceo@bank.example",
    "own address as display name": b"From: alice@example.com <ceo@bank.example>",
    "own address as a phrase": b"From: a@example.com <ceo@bank.example>",
    "folded angle address": b"From: alice@example.com\r\n <ceo@bank.example>",
    "folded after a display name": b'From: "Alice" <alice@example.com>\r\n\t<ceo@bank.example>',
    "address after the angle address": b"From: <alice@example.com> ceo@bank.example",
    "group with no address": b"From: undisclosed-recipients:;",
    "group around the own address": b"From: Team: alice@example.com;",
    "two mailboxes": b"From: alice@example.com, ceo@bank.example",
    "obsolete route": b"From: <@bank.example:alice@example.com>",
    "no From at all": b"Reply-To: alice@example.com",
    "foreign Sender": b"From: alice@example.com\r\nSender: ceo@bank.example",
    "two Sender headers": b"From: alice@example.com\r\nSender: alice@example.com\r\nSender: ceo@bank.example",
    "Sender as a group": b"From: alice@example.com\r\nSender: undisclosed:;",
}


@pytest.mark.parametrize("headers", FROM_BYPASSES.values(), ids=FROM_BYPASSES.keys())
def test_the_from_check_cannot_be_bypassed(listener, credential, headers):
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        with pytest.raises(smtplib.SMTPDataError) as failure:
            smtp.sendmail("alice@example.com", ["rob@example.net"], _message(headers))
    assert failure.value.smtp_code == 553
    reply = failure.value.smtp_error.decode()
    assert reply.startswith("5.7.1 ") and ("From" in reply or "Sender" in reply), reply
    assert Message.select().count() == 0


def test_the_checked_from_is_the_one_stored_signed_and_sent(listener, credential, deliver, sink):
    headers = b'From: "Alice" <alice@example.com> (the real one)\r\nSender: Ops\r\n <ops@example.com>'
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        assert smtp.sendmail("alice@example.com", ["rob@example.net"], _message(headers)) == {}
    deliver()
    [received] = sink.received
    parsed = email.message_from_bytes(received.data, policy=policy.default)
    assert parsed.get_all("From") == ["Alice <alice@example.com>"]
    assert parsed.get_all("Sender") == ["Ops <ops@example.com>"]
    assert b"From: Alice <alice@example.com>\r\n" in received.data
    signature = parsed["DKIM-Signature"]
    assert "from" in signature.replace(" ", "").lower().split("h=")[1].split(";")[0].split(":")
    assert dkim.verify(received.data, dnsfunc=dns_txt)


@pytest.mark.parametrize("header", [b"Subject: a\x00b", b"X-Note: bell\x07", b"Subject: vertical\x0btab",
                                    b"X-Note: escape\x1b[31m"])
def test_control_characters_in_submitted_headers_are_refused(listener, credential, header):
    message = b"From: alice@example.com\r\nTo: rob@example.net\r\n" + header + b"\r\n\r\nHi\r\n"
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        with pytest.raises(smtplib.SMTPDataError) as failure:
            smtp.sendmail("alice@example.com", ["rob@example.net"], message)
    assert failure.value.smtp_code == 554 and b"control character" in failure.value.smtp_error
    assert Message.select().count() == 0


def test_guessing_one_credential_s_password_is_stopped_per_username(settings, api, sender, credential):
    """Per address the limit is generous here; per username it is 3: the 4th try is refused even
    with the right password, while another credential still logs in from the same address."""
    other = api(sender.account, "EmailGateway.AddSMTP", DomainID=sender.domain.id)["SMTP"]
    current = config.use(config.current().replace(smtp_ports=(free_port(),), smtp_allow_plain_auth=True, tls_cert="",
                                                  inbound_port=0, smtp_auth_failures="100 per minute",
                                                  login_failures_per_user="3 per 15 minutes"))
    controllers = listeners.start(current)

    def attempt(username, password):
        with smtplib.SMTP("127.0.0.1", current.smtp_ports[0], timeout=10) as smtp:
            smtp.ehlo()
            smtp.esmtp_features["auth"] = "PLAIN"  # one attempt per login (smtplib would try LOGIN after)
            try:
                return smtp.login(username, password)[0]
            except smtplib.SMTPAuthenticationError as failure:
                return failure.smtp_code

    try:
        assert [attempt(credential["SMTPUsername"], f"guess-{i}") for i in range(3)] == [535] * 3
        assert attempt(credential["SMTPUsername"].upper(), credential["SMTPPassword"]) == 454
        assert attempt(other["SMTPUsername"], other["SMTPPassword"]) == 235
    finally:
        listeners.stop(controllers)
        smtp_credentials._VERIFIED.clear()


def test_a_control_character_in_a_mime_part_header_is_refused(listener, credential):
    message = (b'From: alice@example.com\r\nTo: rob@example.net\r\nMIME-Version: 1.0\r\n'
               b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n'
               b'Content-Disposition: attachment; filename="a\x00.txt"\r\n\r\nHi\r\n--b--\r\n')
    with client(listener) as smtp:
        smtp.login(credential["SMTPUsername"], credential["SMTPPassword"])
        with pytest.raises(smtplib.SMTPDataError) as failure:
            smtp.sendmail("alice@example.com", ["rob@example.net"], message)
    assert failure.value.smtp_code == 554 and b"Content-Disposition" in failure.value.smtp_error
    assert Message.select().count() == 0


def test_credential_defaults_fill_what_the_message_lacks(listener, api, sender, deliver, sink):
    """AddSMTP's FromName, ReplyToEmail and ReplyToName reach the delivered mail when the
    client sends a bare From address and no Reply-To; what the message has is kept."""
    smtp = api(sender.account, "EmailGateway.AddSMTP", DomainID=str(sender.domain.id), FromEmail="news@example.com",
               FromName="Example Sender", ReplyToEmail="reply-to@example.net", ReplyToName="Example Reply")["SMTP"]
    bare = b"From: alice@example.com\r\nTo: rob@example.net\r\nSubject: Bare\r\n\r\nHello.\r\n"
    headless = b"To: rob@example.net\r\nSubject: No From\r\n\r\nHello.\r\n"
    with client(listener) as connection:
        connection.login(smtp["SMTPUsername"], smtp["SMTPPassword"])
        assert connection.sendmail("alice@example.com", ["rob@example.net"], bare) == {}
        assert connection.sendmail("news@example.com", ["rob@example.net"], headless) == {}
        assert connection.sendmail("alice@example.com", ["rob@example.net"], MESSAGE) == {}
        own = MESSAGE.replace(b"Subject: Over SMTP", b"Reply-To: desk@example.org\r\nSubject: Own Reply-To")
        assert connection.sendmail("alice@example.com", ["rob@example.net"], own) == {}
    deliver()
    received = {m["Subject"]: m for m in (email.message_from_bytes(r.data, policy=policy.default)
                                         for r in sink.received)}
    assert received["Bare"]["From"].addresses[0].display_name == "Example Sender"
    assert received["Bare"]["From"].addresses[0].addr_spec == "alice@example.com"
    assert received["No From"]["From"] == "Example Sender <news@example.com>"
    for subject in ("Bare", "No From", "Over SMTP"):
        assert received[subject]["Reply-To"] == "Example Reply <reply-to@example.net>"
    assert received["Over SMTP"]["From"] == "Alice <alice@example.com>"  # its own name is kept
    assert received["Own Reply-To"]["Reply-To"] == "desk@example.org"  # and its own Reply-To
    for raw in sink.received:
        assert dkim.verify(raw.data, dnsfunc=dns_txt)
