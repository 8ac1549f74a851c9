"""services.bounces on a corpus of bounces and complaints modelled on what real MTAs send
(tests/fixtures/reports), on DSNs built with the email package, and on garbage. Pure parsing:
no database fixtures."""
from __future__ import annotations

import email.policy
import re
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from services import bounces
from services.bounces import Failure, Report, parse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"


@pytest.fixture(autouse=True)
def nothing_swallowed(caplog):
    """parse() turns any exception into "unknown" and logs it: these inputs must never need that,
    so a programming error fails the test instead of hiding behind the safety net."""
    yield
    logged = [r.getMessage() for r in caplog.get_records("call") if r.name == bounces.__name__]
    assert not logged, logged


def load(name: str) -> Report:
    return parse((FIXTURES / name).read_bytes())


def only(report: Report) -> Failure:
    assert report.kind == "bounce"
    assert len(report.failures) == 1, report.failures
    return report.failures[0]


# -- RFC 3464 DSNs from real-world MTAs ----------------------------------------------------------

def test_postfix_hard_bounce_with_rfc822_headers_part():
    report = load("postfix-hard.eml")
    failure = only(report)
    assert failure.recipient == "nobody@example.net"
    assert (failure.action, failure.status, failure.permanent) == ("failed", "5.1.1", True)
    assert failure.diagnostic == ("550 5.1.1 <nobody@example.net>: Recipient address rejected: "
                                  "User unknown in local recipient table")  # unfolded, no "smtp;"
    assert failure.remote_mta == "mx.example.net"
    assert report.reporting_mta == "relay.example.net"
    assert report.original_message_id == "<3f2c1b6e-aaaa-bbbb-cccc-1234567890ab@example.com>"
    assert report.original_return_path == "bounces+1f-abcdef123456@gp.example.com"


def test_postfix_delay_warning_is_soft_and_falls_back_to_the_reporting_mta():
    report = load("postfix-delayed.eml")
    failure = only(report)
    assert failure.recipient == "slow@example.org"
    assert (failure.action, failure.status, failure.permanent) == ("delayed", "4.4.1", False)
    assert failure.diagnostic == "connect to mx.example.org[192.0.2.20]:25: Connection timed out"
    assert failure.remote_mta == "relay.example.net"  # no Remote-MTA: nobody answered
    assert report.original_message_id == "<7a9d2e40-1111-2222-3333-abcdefabcdef@example.com>"
    assert report.original_return_path == "bounces+2a-0123456789ab@gp.example.com"


def test_postfix_two_recipients_two_failures():
    report = load("postfix-multi.eml")
    assert report.kind == "bounce"
    gone, full = report.failures
    assert (gone.recipient, gone.action, gone.status, gone.permanent) == (
        "gone@example.net", "failed", "5.1.1", True)
    assert "User unknown in virtual mailbox table" in gone.diagnostic
    assert gone.remote_mta == "mx.example.net"
    assert (full.recipient, full.action, full.status, full.permanent) == (
        "full@example.net", "failed", "5.2.2", True)
    assert "Mailbox full" in full.diagnostic
    assert full.remote_mta == "mx.example.org"
    assert report.original_message_id == "<c0ffee00-4444-5555-6666-0123456789ab@example.com>"
    assert report.original_return_path == "bounces+3b-fedcba987654@gp.example.com"


def test_exim_report_generic_status_refined_from_the_diagnostic():
    report = load("exim-hard.eml")
    failure = only(report)
    assert failure.recipient == "nobody@example.org"
    # Exim always says Status: 5.0.0; the 550 5.1.1 it quotes is the real reason.
    assert (failure.action, failure.status, failure.permanent) == ("failed", "5.1.1", True)
    assert "Recipient address rejected: User unknown" in failure.diagnostic
    assert failure.remote_mta == "mx.example.org"
    assert report.reporting_mta == "mail.example.org"
    assert report.original_message_id == "<5b6c7d8e-9f00-4a1b-8c2d-3e4f5a6b7c8d@example.com>"
    assert report.original_return_path == "bounces+4c-a1b2c3d4e5f6@gp.example.com"


def test_exchange_online_ndr():
    report = load("exchange-hard.eml")
    failure = only(report)
    assert failure.recipient == "nobody@example.org"
    assert (failure.action, failure.status, failure.permanent) == ("failed", "5.1.10", True)
    assert "RESOLVER.ADR.RecipientNotFound" in failure.diagnostic
    assert failure.remote_mta == "am0pr01mb1234.eurprd01.prod.exchangelabs.com"  # "dns;host", no Remote-MTA
    assert report.original_message_id == "<1a2b3c4d-dddd-eeee-ffff-0123456789ab@example.com>"
    assert report.original_return_path == "bounces+6e-1234abcd5678@gp.example.com"  # stamped without <>


def test_gmail_hard_bounce_multiline_reply_joined():
    report = load("gmail-hard.eml")
    failure = only(report)
    assert failure.recipient == "nobody@example.net"
    assert (failure.action, failure.status, failure.permanent) == ("failed", "5.1.1", True)
    assert failure.diagnostic.startswith(
        "550 5.1.1 The email account that you tried to reach does not exist.")
    assert "Please try double-checking the recipient's email address" in failure.diagnostic
    assert failure.remote_mta == "aspmx.l.google.com"
    assert report.reporting_mta == "googlemail.com"
    assert report.original_message_id == "<8c7b6a59-4838-4271-b0a9-f8e7d6c5b4a3@example.com>"
    assert report.original_return_path == "bounces+7f-5566778899aa@gp.example.com"


def test_gmail_delay_notice():
    report = load("gmail-delayed.eml")
    failure = only(report)
    assert failure.recipient == "busy@example.org"
    assert (failure.action, failure.status, failure.permanent) == ("delayed", "4.7.1", False)
    assert "Greylisted" in failure.diagnostic
    assert failure.remote_mta == "mx.example.org"
    assert report.original_message_id == "<0b1c2d3e-4f50-4617-a829-3a4b5c6d7e8f@example.com>"
    assert report.original_return_path == "bounces+8a-99aabbccddee@gp.example.com"


# -- free-text bounces (flufl.bounce finds the recipients) ----------------------------------------

def test_exim_legacy_plain_text_bounce():
    report = load("exim-legacy-text.eml")
    failure = only(report)
    assert failure.recipient == "olduser@example.org"
    # "550 ... User unknown": the reply code gives the class (no RFC 3463 detail is made up); the
    # reply to RCPT TO makes the wording proof that the address is dead
    assert (failure.action, failure.status, failure.permanent) == ("failed", "5.0.0", True)
    assert (failure.reason, failure.hard) == ("userunknown", True)
    assert "User unknown" in failure.diagnostic
    assert failure.remote_mta == "mail.example.org"
    assert report.original_message_id == "<9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4@example.com>"
    assert report.original_return_path == "bounces+5d-0a1b2c3d4e5f@gp.example.com"


def test_yahoo_failure_notice():
    report = load("yahoo-hard.eml")
    failure = only(report)
    assert failure.recipient == "ghost@example.net"
    assert (failure.action, failure.status, failure.permanent) == ("failed", "5.0.0", True)
    # Yahoo answers "554 delivery error: dd ..." after DATA, and nothing here places it at RCPT:
    # generic wording, no proof that the address is dead (Sisimai: filtered)
    assert (failure.reason, failure.hard) == ("filtered", False)
    assert "This user doesn't have a yahoo.com account" in failure.diagnostic
    assert "554" in failure.diagnostic
    assert failure.remote_mta == ""
    assert report.original_message_id == "<e1d2c3b4-a596-4788-99aa-bbccddeeff00@example.com>"
    assert report.original_return_path == "bounces+9b-abcdefabcdef@gp.example.com"


def plain_bounce(body: str, failed: str = "someone@example.net") -> bytes:
    return (f"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
            f"To: bounces+1f-abcdef123456@gp.example.com\n"
            f"Subject: Mail delivery failed: returning message to sender\n"
            f"X-Failed-Recipients: {failed}\n\n{body}").encode()


def test_free_text_mailbox_full_is_soft_unless_said_permanent():
    soft = only(parse(plain_bounce("The following address failed:\n\n  someone@example.net\n"
                                   "    mailbox is full, over quota\n")))
    assert (soft.recipient, soft.status, soft.permanent, soft.action) == (
        "someone@example.net", "4.2.2", False, "delayed")
    hard = only(parse(plain_bounce("The following address failed:\n\n  someone@example.net\n"
                                   "    552 mailbox is full\n")))
    assert (hard.status, hard.permanent) == ("5.2.2", True)
    said = only(parse(plain_bounce("This is a permanent error. The following address failed:\n\n"
                                   "  someone@example.net\n    mailbox full\n")))
    assert (said.status, said.permanent) == ("5.2.2", True)


def test_free_text_temporary_wording_is_soft():
    failure = only(parse(plain_bounce("Delivery to the following address has been delayed:\n\n"
                                      "  someone@example.net\n    host unreachable, will try again later\n")))
    assert (failure.status, failure.permanent) == ("", False)


def returned_notice(text: str, return_path: str | None = "<>") -> bytes:
    """A notice in no known layout, its subject and From no help ("Mail", a no-reply address, as
    KDDI's English notices), with the original attached; Return-Path as final delivery wrote it."""
    notice = MIMEMultipart("mixed")
    if return_path is not None:
        notice["Return-Path"] = return_path
    notice["From"], notice["To"], notice["Subject"] = "no-reply@mx.example.jp", "shop@example.com", "Mail"
    notice.attach(MIMEText(text))
    original = MIMEText("Your order")
    original["From"], original["To"], original["Subject"] = "shop@example.com", "<neko@example.jp>", "Order"
    notice.attach(MIMEMessage(original))
    return notice.as_bytes()


def test_a_null_senders_notice_returning_the_mail_and_saying_so_is_a_bounce():
    text = "Your mail sent on: Thu, 29 Apr 2013 00:00:00 +0900\n  Could not be delivered to: <neko@example.jp>\n" \
           "  As their mailbox is full.\n"
    failure = only(parse(returned_notice(text)))
    assert (failure.recipient, failure.reason, failure.hard) == ("neko@example.jp", "mailboxfull", False)
    # the listener gives the envelope's sender; the copy then holds no Return-Path
    assert only(parse(returned_notice(text, return_path=None), mail_from="")).recipient == "neko@example.jp"
    # from a sender, or saying nothing of a failure, or returning nothing: no notice of ours to read
    assert parse(returned_notice(text, return_path="<someone@example.org>")).kind == "unknown"
    assert parse(returned_notice(text, return_path=None), mail_from="someone@example.org").kind == "unknown"
    assert parse(returned_notice(text, return_path=None)).kind == "unknown"
    assert parse(returned_notice("Please see the mail below, sent to <neko@example.jp>.\n")).kind == "unknown"
    bare = MIMEText(text)
    bare["Return-Path"], bare["From"], bare["Subject"] = "<>", "no-reply@mx.example.jp", "Mail"
    assert parse(bare.as_bytes()).kind == "unknown"


# -- complaints --------------------------------------------------------------------------------

def test_arf_abuse_report():
    report = load("arf-abuse.eml")
    assert report.kind == "complaint"
    assert report.failures == ()
    assert report.complained == ("complainer@example.net",)
    assert report.feedback_type == "abuse"
    assert report.reporting_mta == "mta7.feedback.example.net"
    assert report.original_message_id == "<3f2c1b6e-aaaa-bbbb-cccc-1234567890ab@example.com>"
    assert report.original_return_path == "bounces+ac-112233445566@gp.example.com"


def test_arf_headers_only_recipient_from_the_originals_to():
    report = load("arf-headers-only.eml")  # also: Multipart/Report; Report-Type="Feedback-Report"
    assert report.kind == "complaint"
    assert report.complained == ("dana.reader@example.org",)
    assert report.feedback_type == "abuse"
    assert report.original_message_id == "<4d5e6f70-8192-4a3b-bc4d-5e6f70819203@example.com>"
    assert report.original_return_path == "bounces+bd-665544332211@gp.example.com"


def test_outlook_jmrp_recipient_from_its_stamped_header():
    report = load("jmrp-outlook.eml")  # the To of the original is redacted
    assert report.kind == "complaint"
    assert report.complained == ("someone@example.net",)
    assert report.feedback_type == "abuse"
    assert report.original_message_id == "<5f6e7d8c-9bab-4cdd-8eff-0a1b2c3d4e5f@example.com>"
    assert report.original_return_path == "bounces+ce-0f1e2d3c4b5a@gp.example.com"


def original_message(**headers) -> Message:
    inner = MIMEText("Your order is on its way.\n")
    for name, value in headers.items():
        inner[name.replace("_", "-")] = value
    return inner


def test_pre_arf_jmrp_attached_message_only():
    outer = MIMEMultipart("mixed")
    outer["From"] = "staff@hotmail.com"
    outer["Subject"] = "complaint about message from 198.51.100.7"
    outer.attach(MIMEText("This is an email abuse report.\n"))
    outer.attach(MIMEMessage(original_message(
        X_HmXmrOriginalRecipient="<Someone@example.net>",
        Return_Path="<bounces+1f-abcdef123456@gp.example.com>",
        Message_ID="<3f2c1b6e-aaaa-bbbb-cccc-1234567890ab@example.com>", To="xxxxx@hotmail.com")))
    report = parse(outer.as_bytes())
    assert (report.kind, report.complained, report.feedback_type) == (
        "complaint", ("someone@example.net",), "abuse")
    assert report.original_message_id == "<3f2c1b6e-aaaa-bbbb-cccc-1234567890ab@example.com>"


def test_unwrapped_jmrp_the_complained_of_message_itself_with_the_stamp():
    """Hotmail's JMRP also sends the complained-of message unwrapped: its own headers (Message-ID,
    Return-Path) with X-HmXmrOriginalRecipient stamped among them, no report part at all."""
    message = original_message(
        X_HmXmrOriginalRecipient="Someone@example.net",
        Return_Path="<bounces+1f-abcdef123456@gp.example.com>",
        Message_ID="<3f2c1b6e-aaaa-bbbb-cccc-1234567890ab@example.com>", To="someone@example.net")
    report = parse(message.as_bytes())
    assert (report.kind, report.complained, report.feedback_type) == (
        "complaint", ("someone@example.net",), "abuse")
    assert report.original_message_id == "<3f2c1b6e-aaaa-bbbb-cccc-1234567890ab@example.com>"
    assert report.original_return_path == "bounces+1f-abcdef123456@gp.example.com"


def test_the_stamp_without_an_address_or_beside_a_dsn_is_no_complaint():
    """The stamp alone decides nothing: empty, it names nobody; on a delivery status notice the
    notice is read (a bounce of a forwarded copy is a bounce)."""
    assert parse(original_message(X_HmXmrOriginalRecipient="", To="a@example.net").as_bytes()).kind == "unknown"
    dsn = (b"From: postmaster@mx.example.net\nX-HmXmrOriginalRecipient: someone@example.net\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nDelivery to the following recipients failed.\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
           b"Final-Recipient: rfc822; gone@example.net\nAction: failed\nStatus: 5.1.1\n\n--b--\n")
    report = parse(dsn)
    assert (report.kind, report.complained) == ("bounce", ())
    assert [f.recipient for f in report.failures] == ["gone@example.net"]
    vacation = original_message(X_HmXmrOriginalRecipient="someone@example.net", To="a@example.net",
                                Auto_Submitted="auto-replied", Subject="Out of office")
    assert parse(vacation.as_bytes()).kind == "auto-reply"  # an answer that kept the stamp complains of nothing


def redacted_report(fields: str, to: str) -> bytes:
    return ("From: scomp@aol.net\nSubject: Email Feedback Report for IP 198.51.100.7\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n"
            f"--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 0.1\n{fields}\n"
            "--b\nContent-Type: message/rfc822\n\nReturn-Path: <bounces+1f-abcdef123456@gp.example.com>\n"
            f"Message-ID: <m1@gp.example.com>\nTo: {to}\nSubject: Hi\n\nHi\n--b--\n").encode()


def test_a_redacted_or_undisclosed_complainant_is_nobody():
    """AOL's "Redacted-Address: redacted" and "redacted@" say the local part was replaced ("To:
    redacted@aol.com"); Comcast names "undisclosed comcast recipient <redacted@comcast.net>". Such a
    placeholder was never sent to: the complaint names nobody (the token's own delivery then)."""
    aol = parse(redacted_report("Redacted-Address: redacted\nRedacted-Address: redacted@\n", "redacted@aol.com"))
    assert (aol.kind, aol.complained, aol.original_message_id) == ("complaint", (), "<m1@gp.example.com>")
    comcast = parse(redacted_report("Original-Rcpt-To: undisclosed comcast recipient <redacted@comcast.net>\n",
                                    "undisclosed comcast recipient <redacted@comcast.net>"))
    assert (comcast.kind, comcast.complained) == ("complaint", ())
    # a redaction that is not the named address's local part hides nothing of it
    named = parse(redacted_report("Original-Rcpt-To: ann@aol.com\nRedacted-Address: redacted\n", "x@aol.com"))
    assert named.complained == ("ann@aol.com",)
    assert parse(redacted_report("", "Ann <ann@aol.com>")).complained == ("ann@aol.com",)


def test_arf_several_rcpt_to_and_mail_from_fallback():
    outer = MIMEMultipart("report", report_type="feedback-report")
    outer.attach(MIMEText("abuse report\n"))
    fields = MIMEBase("message", "feedback-report")
    del fields["MIME-Version"]
    fields.set_payload("Feedback-Type: fraud\nVersion: 1\n"
                       "Original-Mail-From: <Bounces+1F-abcdef123456@gp.example.com>\n"
                       "Original-Rcpt-To: <a@example.net>\nOriginal-Rcpt-To: B@example.org\n")
    outer.attach(fields)
    report = parse(outer.as_bytes())
    assert report.kind == "complaint"
    assert report.complained == ("a@example.net", "b@example.org")
    assert report.feedback_type == "fraud"
    assert report.original_return_path == "bounces+1f-abcdef123456@gp.example.com"
    assert report.original_message_id == ""


# -- DSNs built with the email package ---------------------------------------------------------

def dsn(*recipients: dict, per_message: dict | None = None, original: Message | None = None,
        text: str = "Delivery to the following recipients failed.\n") -> bytes:
    def block(fields: dict) -> Message:
        m = Message()
        for name, value in fields.items():
            m[name] = value
        return m
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@relay.example.net"
    report["To"] = "bounces+1f-abcdef123456@gp.example.com"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.attach(MIMEText(text))
    status = MIMEBase("message", "delivery-status")
    del status["MIME-Version"]
    status.set_payload([block(per_message or {"Reporting-MTA": "dns; relay.example.net"})]
                       + [block(r) for r in recipients])
    report.attach(status)
    if original is not None:
        report.attach(MIMEMessage(original))
    return report.as_bytes(policy=email.policy.SMTP)


def test_folded_diagnostic_code_is_unfolded():
    raw = dsn({"Final-Recipient": "rfc822; someone@example.net", "Action": "failed", "Status": "5.1.1",
               "Remote-MTA": "dns; mx.example.net",
               "Diagnostic-Code": "smtp; 550 5.1.1 <someone@example.net>: Recipient address rejected: "
                                  "User unknown in virtual mailbox table, and a tail long enough to fold"})
    assert re.search(rb"Diagnostic-Code: [^\r\n]+\r\n[ \t]+\S", raw), "the generator should have folded it"
    failure = only(parse(raw))
    assert failure.diagnostic == ("550 5.1.1 <someone@example.net>: Recipient address rejected: "
                                  "User unknown in virtual mailbox table, and a tail long enough to fold")
    assert failure.remote_mta == "mx.example.net"


def test_status_missing_code_taken_from_the_diagnostic():
    report = parse(dsn({"Final-Recipient": "rfc822;someone@example.net", "Action": "failed",
                        "Diagnostic-Code": "smtp; 550-5.7.1 Message rejected as spam"}))
    failure = only(report)
    assert (failure.status, failure.permanent) == ("5.7.1", True)
    assert failure.diagnostic == "550 5.7.1 Message rejected as spam"
    assert failure.remote_mta == "relay.example.net"  # the Reporting-MTA
    assert report.original_return_path == "bounces+1f-abcdef123456@gp.example.com"  # the DSN's To


def test_odd_capitalisation_original_recipient_and_no_action():
    failure = only(parse(dsn({"original-recipient": "RFC822; <Someone@Example.NET>",
                              "STATUS": "5.1.1 (bad destination mailbox)"})))
    assert (failure.recipient, failure.action, failure.status, failure.permanent) == (
        "someone@example.net", "unknown", "5.1.1", True)


def test_gave_up_on_a_4xx_is_permanent():
    failure = only(parse(dsn({"Final-Recipient": "rfc822; someone@example.net", "Action": "failed",
                              "Status": "4.4.7", "Diagnostic-Code": "X-Postfix; delivery time expired"})))
    assert (failure.status, failure.permanent) == ("4.4.7", True)


def test_no_status_anywhere_uses_the_reply_text():
    failure = only(parse(dsn({"Final-Recipient": "rfc822; someone@example.net",
                              "Diagnostic-Code": "smtp; 550 <someone@example.net>... User unknown"})))
    assert (failure.action, failure.status, failure.permanent) == ("unknown", "5.0.0", True)
    assert (failure.reason, failure.hard) == ("userunknown", True)  # Sendmail's form of a reply to RCPT TO
    # RFC 5321's own 550 text covers policy refusals too: permanent, but no proof the address is dead
    generic = only(parse(dsn({"Final-Recipient": "rfc822; someone@example.net",
                              "Diagnostic-Code": "smtp; 550 Requested action not taken: mailbox unavailable"})))
    assert (generic.status, generic.permanent, generic.hard) == ("5.0.0", True, False)


def test_success_notices_are_left_out():
    raw = dsn({"Final-Recipient": "rfc822; a@example.net", "Action": "relayed", "Status": "2.0.0"},
              {"Final-Recipient": "rfc822; b@example.net", "Action": "failed", "Status": "5.1.1"})
    assert [f.recipient for f in parse(raw).failures] == ["b@example.net"]
    only_success = parse(dsn({"Final-Recipient": "rfc822; a@example.net", "Action": "delivered",
                              "Status": "2.0.0"}))
    assert (only_success.kind, only_success.failures) == ("delivered", ())  # a delivery notice, not a failure


def mdn(disposition: str, text: str) -> bytes:
    return (f"From: someone@example.net\nTo: bounces+1f-abcdef123456@gp.example.com\nSubject: Read: hello\n"
            f"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n"
            f"--b\nContent-Type: text/plain\n\n{text}\n\n--b\nContent-Type: message/disposition-notification\n\n"
            f"Final-Recipient: rfc822; someone@example.net\nOriginal-Message-ID: <m1@example.com>\n"
            f"Disposition: {disposition}\n\n--b--\n").encode()


def test_a_read_receipt_is_no_failure_but_a_sieve_reject_is():
    read = parse(mdn("manual-action/MDN-sent-manually; displayed", "Your message was read on Monday."))
    assert (read.kind, read.failures, read.original_message_id) == ("auto-reply", (), "<m1@example.com>")
    rejected = parse(mdn("automatic-action/MDN-sent-automatically; deleted",  # Dovecot's Sieve reject
                         "Your message to <someone@example.net> was automatically rejected:\nQuota exceeded"))
    assert [(f.recipient, f.reason, f.hard) for f in rejected.failures] == [("someone@example.net", "mailboxfull", False)]


def test_attached_original_message_and_missing_blank_line_after_per_message_fields():
    raw = dsn(per_message={"Reporting-MTA": "dns; relay.example.net",  # one block for everything
                           "Final-Recipient": "rfc822; someone@example.net", "Action": "failed",
                           "Status": "5.2.1"},
              original=original_message(Return_Path="<bounces+2a-0123456789ab@gp.example.com>",
                                        Message_ID="<77@example.com>", To="someone@example.net"))
    report = parse(raw)
    failure = only(report)
    assert (failure.recipient, failure.status, failure.remote_mta) == (
        "someone@example.net", "5.2.1", "relay.example.net")
    assert report.original_message_id == "<77@example.com>"
    assert report.original_return_path == "bounces+2a-0123456789ab@gp.example.com"


# -- not reports ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["truncated.eml", "garbage.eml"])
def test_not_a_report(name):
    assert load(name) == Report("unknown")


def test_an_auto_reply_is_recognised_and_is_no_failure():
    report = load("autoreply.eml")
    assert (report.kind, report.failures) == ("auto-reply", ())


@pytest.mark.parametrize("raw", [
    b"",
    b"\r\n\r\n",
    b"\xff\xfe\x00\x01\x80\x81 not mail at all \xc3\x28",
    "Subject: h\xe9llo\n\nCaf\xe9".encode("latin-1"),
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n"
    b"Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822;\nAction: failed\n--x--\n",
    b"Content-Type: text/plain; charset=\"utf-8\x00\"\n\n\xff\xfe user unknown",
    b"From: MAILER-DAEMON@example.net\nContent-Type: multipart/mixed; boundary=x\n\n--x\n"
    b"Content-Type: text/plain\n\nSorry, we were unable to deliver your message to the following address.\n",
])
def test_garbage_is_unknown(raw):
    assert parse(raw).kind == "unknown"


def test_deeply_nested_multiparts():
    depth = 3000
    raw = b"From: MAILER-DAEMON@example.net\nContent-Type: multipart/mixed; boundary=b0\n\n"
    raw += b"".join(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1)
                    for i in range(depth))
    raw += b"--b%d\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@example.net\n" % depth
    raw += b"".join(b"--b%d--\n" % i for i in range(depth, -1, -1))
    assert parse(raw).kind == "unknown"  # the status part is beyond the depth we read


def test_non_bytes_input_is_unknown():
    assert parse(None).kind == "unknown"  # type: ignore[arg-type]


def test_a_recipient_repeated_per_alias_hop_is_one_failure():
    """Sendmail lists the recipient once per alias it expanded to (ten blocks for one address): one
    failure, so the listener records one bounce."""
    raw = (FIXTURES.parent / "bounces" / "flufl" / "dsn_11.eml").read_bytes()
    assert [f.recipient for f in parse(raw).failures] == ["joem@example.com"]
