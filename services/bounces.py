"""Classify mail that comes back to our return paths: bounces (RFC 3464 DSNs and the older
free-text notices) and spam complaints (RFC 5965 ARF feedback reports).

Pure: bytes in, a frozen `Report` out; no database, no network, and it never raises on what the
internet sends (see `parse`).

Choices a consumer should know:

- Success notices (Action delivered / relayed / expanded) are left out: a `Failure` is a
  recipient the message did not reach (yet), and we never ask for NOTIFY=SUCCESS. A DSN that
  holds only success notices is kind "delivered"; an auto-reply (vacation, out of office) or a
  read receipt (RFC 8098 MDN) is kind "auto-reply": neither is a failure. (An MDN whose
  disposition is "deleted" is Sieve's reject, as Dovecot sends it: a bounce.)
- Every failure carries a reason and hard/soft from `services.bounce_reasons`: hard only when
  the address is dead with a permanent code; `permanent` says only that the delivery is over.
- `permanent` follows the Action first: "failed" is permanent even with a 4.x.x Status (the MTA
  gave up, the message will not arrive); "delayed" is not, whatever the Status. Without a usable
  Action the Status class decides (5 -> permanent).
- A generic Status (X.0.0, as Exim sends) gives way to a more precise code of the same class
  found in the Diagnostic-Code (5.0.0 + "550 5.1.1 ..." -> 5.1.1).
- Free-text bounces: flufl.bounce finds the recipients (it knows many MTAs' wording), with
  Exim's X-Failed-Recipients; it says nothing about why, so the status and reason come from the
  paragraph around each address (the whole notice when the address is not in it). No RFC 3463
  detail is made up from wording ("550 unknown user" is status 5.0.0): `services.bounce_reasons`
  reads the wording. A DSN whose MIME boundary is broken is read from its raw field blocks; Amazon SES JSON notifications
  are read as what they report.
- A recipient is a valid address (email-validator; dots out of place in the local part allowed)
  that is no Message-ID, pipe or source route. A DSN with no reason in its Diagnostic-Code is
  also read in the notice's lines that name the recipient ("gives error message 5.7.1 Unable
  to relay for ...").
- Parsing uses compat32 with plain-string headers (`_Plain`), not policy.default: headers are
  read raw here anyway, policy.default's header objects raise on some mangled addresses
  (IndexError inside the address parser, found by fuzzing), it is about 10x slower on large
  reports, and flufl.bounce is written for compat32 messages, so one parse serves both.
"""
from __future__ import annotations

import email
import email.policy
import json
import logging
import re
from dataclasses import dataclass, replace
from email.message import Message
from email.utils import getaddresses

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flufl.bounce import all_failures

from services.bounce_reasons import Reason, by_text, classify, code_in, phase_in

log = logging.getLogger(__name__)

ACTIONS = {"failed", "delayed", "delivered", "relayed", "expanded"}
SUCCESS = {"delivered", "relayed", "expanded"}
DSN_TYPES = {"message/delivery-status", "message/global-delivery-status"}
ARF_TYPE = "message/feedback-report"
MDN_TYPE = "message/disposition-notification"  # a read receipt (RFC 8098)
# ARF reports that are nobody's complaint: a DMARC/SPF/DKIM failure report to the domain owner
# (RFC 6591, its "recipient" is whoever the forged mail went to) and "this is not spam".
NOT_COMPLAINTS = {"auth-failure", "not-spam"}
ORIGINAL_TYPES = {"message/rfc822", "message/global", "text/rfc822-headers",
                  "message/rfc822-headers", "message/global-headers"}
MAX_PARTS, MAX_DEPTH, MAX_TEXT = 200, 20, 64 * 1024

# RFC 3463 code, not part of an IP address or version number ("10.4.12.7", "5.1.1.2").
ENHANCED = re.compile(r"(?<![\w.])([245])\.\d{1,3}\.\d{1,3}(?!\.?\d)(?!\w)")
# A basic SMTP reply code as MTAs quote it: "554:", "550-", "said: 550 ...".
BASIC = re.compile(r"(?:^|(?<=[\s(]))([45])\d\d(?=[\s:\-]|$)", re.MULTILINE)
# (pattern, RFC 3463 subject.detail, default class, may the text's hints change the class?)
PHRASES = [
    (re.compile(r"mailbox (?:is )?full|over ?quota|quota exceeded|exceeded (?:\w+ )?(?:storage|quota)"
                r"|insufficient storage", re.I), "2.2", "4", True),
]
PERMANENT_HINT = re.compile(r"permanent|fatal error|will not be retried|gave up|giving up", re.I)
TEMPORARY_HINT = re.compile(r"temporar|try again|deferred|delayed|still being retried|will (?:be )?retr"
                            r"|warning only|just a warning|not yet been delivered|attempts will continue", re.I)
REMOTE_HOST = re.compile(r"\bhost\s+([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\.?\s*\[", re.I)
# Where a free-text bounce starts quoting the original message.
QUOTE_START = re.compile(r"^\s*-{2,}.*(?:copy of|original message|returned (?:message|mail)|below this line"
                         r"|undelivered message|message follows|message header)|^\s*return-path:\s*<"
                         r"|^\s*(?:below is a copy of|original message follows|included is a copy of)"
                         r"|^.*lines of (?:your|the) original message follow", re.I | re.M)
# The MIME part header of the returned message, in a body read raw (no text part, or a broken boundary).
RETURNED_PART = re.compile(r"^content-type:[ \t]*(?:message/(?:rfc822|global|rfc822-headers|global-headers)"
                           r"|text/rfc822-headers)\b", re.I | re.M)
QUOTED_ID = re.compile(r"^[\s>]*message-id:\s*(<[^<>\s]+>)", re.I | re.M)  # "> Message-Id:" too (forwarded)
QUOTED_LOCAL = re.compile(r'^"(?![|/])(?:[^"\\\r\n]|\\.)+"@[^@\s"]+$')  # '"a..b"@host': a quoted-string local part
QUOTED_RETURN_PATH = re.compile(r"^\s*return-path:\s*<([^<>\s]*)>", re.I | re.M)
SOURCE_ROUTE = re.compile(r"@[^\s,:<>@]+:([^\s,<>@:]+@[^\s,<>@:]+)")  # "@relay:user@host": the heuristics keep "user@host"
SUPPLEMENTARY = re.compile(r"^<[^<>#]*#[245]\.\d{1,3}\.\d{1,3}\s+(.+?)>?$", re.S)
DSN_FIELD = re.compile(r"^(?:final-recipient|original-recipient|action|status|reporting-mta|remote-mta"
                       r"|diagnostic-code):", re.I | re.M)
AUTO_REPLY_SUBJECT = re.compile(r"^(?:auto(?:matic)?[ -]?(?:reply|response)|autoreply|out of (?:the )?office"
                                r"|on vacation|vacation|abwesenheit|absence|away from"
                                r"|thank you for your (?:e-?mail|message))|(?:^|\W)auto:", re.I)
FAILURE_SUBJECT = re.compile(r"undeliver|delivery (?:status|failure|failed|notification|problem)|returned mail"
                             r"|failure notice|mail delivery|non[- ]?delivery|could not be delivered|bounce"
                             r"|エラー通知", re.I)  # a Japanese carrier's "error notice"
# A notice's own words that the mail it returns was not delivered (KDDI's English notice, subject
# "Mail": "Could not be delivered to: <a@b> As their mailbox is full.")
UNDELIVERED = re.compile(r"could not be delivered|undeliverable|delivery (?:has )?failed", re.I)
NOTICE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
QUOTED_TO = re.compile(r"^\s*(?:to|cc):.*$", re.I | re.M)
SENDMAIL_REFUSAL = re.compile(r"^\s*[45]\d\d <([^<>\s]+@[^<>\s]+)>\.\.\. ", re.M)  # "554 <a@b>... why"
# A failed recipient heading its own lines: qmail's "<a@b>:", Exim-style 1&1 and GMX's "a@b:",
# T-Online's " <a@b>" with the remote's reply indented under it (not Exim's "A message sent by
# <sender>", which a blank line follows)
LISTED = re.compile(r"^[<\"]?([^\s<>\"@]+@[^\s<>\"@]+?)[>\"]?:[ \t]*$"
                    r"|^[ \t]*<([^\s<>\"@]+@[^\s<>\"@]+)>[ \t]*\n(?=[ \t]+[245]\d\d[ -])", re.M)
# An alias's target names the address it came from: Sendmail's "a@b\n    (expanded from: <c@d>)",
# Postfix's "<a@b> (expanded from <c@d>): ..."
EXPANDED = re.compile(r"\(expanded from:?\s*<?([^\s<>()]+@[^\s<>()]+?)>?\)", re.I)
EXIM_GENERATED = re.compile(r"\((?:ultimately )?generated from ([^\s()]+@[^\s()]+)\)", re.I)
DAEMON = re.compile(r"mailer-daemon|post_?master|mail delivery (?:system|subsystem)", re.I)
SES_SUBTYPES = {"noemail": Reason.USERUNKNOWN, "mailboxfull": Reason.MAILBOXFULL,
                "messagetoolarge": Reason.MESGTOOBIG, "contentrejected": Reason.CONTENTERROR,
                "attachmentrejected": Reason.POLICYVIOLATION, "suppressed": Reason.ONHOLD,
                "onaccountsuppressionlist": Reason.ONHOLD}


class _Plain(email.policy.Compat32):
    """compat32 with every header value a plain, unfolded str: compat32 hands back a Header
    object for 8-bit values, and flufl.bounce calls str methods on them."""

    def header_fetch_parse(self, name, value):
        value = re.sub(r"\r?\n(?=[ \t])", "", value)
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


POLICY = _Plain()


@dataclass(frozen=True)
class Failure:
    """One recipient of a bounce or delay notice."""
    recipient: str   # lower-case: Final-Recipient, else Original-Recipient, else found in the text
    action: str      # failed | delayed | unknown (RFC 3464 Action; inferred for free-text bounces)
    status: str      # RFC 3463 "5.1.1", "" when none could be found
    diagnostic: str  # Diagnostic-Code without its "smtp;" type, else the notice's paragraph
    remote_mta: str  # Remote-MTA host, else Reporting-MTA, else ""
    permanent: bool  # the message will not be delivered to this recipient (the delivery is over)
    reason: str = Reason.UNDEFINED  # services.bounce_reasons.Reason
    hard: bool = False  # the address is dead: suppress it
    original_recipient: str = ""  # Original-Recipient, when it differs from Final-Recipient

    def payload(self) -> dict:
        """The normalised bounce that events and webhooks carry."""
        return dict(reason=str(self.reason), hard=self.hard, status=self.status, diagnostic=self.diagnostic,
                    remote_mta=self.remote_mta)


@dataclass(frozen=True)
class Report:
    kind: str                           # "bounce" | "complaint" | "auto-reply" | "delivered" | "unknown"
    failures: tuple[Failure, ...] = ()  # bounces
    complained: tuple[str, ...] = ()    # complaints: lower-case recipients who complained
    feedback_type: str = ""             # complaints: abuse | fraud | virus | other | not-spam ...
    original_message_id: str = ""       # "<...>" of the message that bounced / was reported
    original_return_path: str = ""      # its Return-Path / envelope sender: our VERP address
    stated_mail_from: str = ""          # complaints: the envelope sender the report states (RFC 5965
                                        # Original-Mail-From); the copy's Return-Path may be rewritten
                                        # (Yahoo's: the From address), this may be another address
    reporting_mta: str = ""


UNKNOWN = Report("unknown")


def parse(raw: bytes, mail_from: str | None = None) -> Report:
    """Classify one inbound message. Mail from the internet can be anything, so a failure to make
    sense of it is an "unknown" report, logged, rather than an exception in the SMTP listener
    (the tests assert that this safety net never fires on their inputs). `mail_from`: the SMTP
    envelope's sender, when the listener has it; None reads the Return-Path that final delivery
    wrote into a mailbox's copy."""
    try:
        report = _parse(raw, mail_from)
        if report.kind == "unknown" and (mended := _lost_folds(raw)) is not None:
            report = _parse(mended, mail_from)  # a header block whose folds lost their indent ended early
        return report
    except Exception:
        log.exception("reports: unparseable message, classified unknown")
        return UNKNOWN


# A MIME parameter on a line of its own in the header block ('boundary="..."' under a Content-Type
# whose fold lost its indent, as RFC 5965's examples are often copied): no header, so a continuation.
UNFOLDED_PARAMETER = re.compile(rb"^(?=[A-Za-z][\w.-]*\*?[ \t]*=)", re.M)


def _refold(raw: bytes) -> bytes:
    """The message with its header block's unindented parameter lines folded back in."""
    head, sep, body = raw.partition(b"\n\n")
    first, nl, rest = head.partition(b"\n")
    return first + nl + UNFOLDED_PARAMETER.sub(b" ", rest) + sep + body


# A header field's first line ("Name:"); an mbox "From " line is the first line, never a fold.
FIELD_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")


def _lost_folds(raw: bytes) -> bytes | None:
    """The message with the header block's continuation lines indented again, or None when it
    has none that lost their indent. Such a line (a folded Received's "[192.0.2.1])", a date)
    is no field, so the email package ends the header block there and reads the rest of the
    fields, From and Subject among them, as body (MissingHeaderBodySeparatorDefect): a line
    that is no field but has fields after it, before the blank line, is a fold. Only tried on
    a message read as nothing else (see parse)."""
    raw = re.sub(rb"\r\n?", b"\n", bytes(raw)) if isinstance(raw, (bytes, bytearray)) else b""
    head, sep, body = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    last = max((i for i, line in enumerate(lines) if FIELD_LINE.match(line)), default=0)
    lost = [i for i in range(1, last) if lines[i][:1] not in (b" ", b"\t") and not FIELD_LINE.match(lines[i])]
    for i in lost:
        lines[i] = b" " + lines[i]
    return b"\n".join(lines) + sep + body if lost else None


def _parse(raw: bytes, mail_from: str | None) -> Report:
    if not isinstance(raw, (bytes, bytearray)) or not bytes(raw).strip():
        return UNKNOWN
    raw = _refold(re.sub(rb"\r\n?", b"\n", bytes(raw)))  # as the listener gets it (CRLF) or files hold it (LF)
    try:
        msg = email.message_from_bytes(raw, policy=POLICY)
    except RecursionError:  # absurdly nested multiparts
        return UNKNOWN
    parts = _parts(msg)
    by_type: dict[str, Message] = {}
    for ctype, part in parts:
        by_type.setdefault(ctype, part)
    original = next((_headers_of(p) for t, p in parts if t in ORIGINAL_TYPES), None)
    text = _human_text(parts) or _raw_notice(raw)  # no readable text part: a boundary lost in a header fold
    if ARF_TYPE in by_type:
        return _complaint(_blocks(by_type[ARF_TYPE]), original)
    if original is not None and _header(original, "x-hmxmroriginalrecipient"):
        return _complaint([], original)  # pre-ARF Hotmail JMRP: the original alone, recipient stamped
    if (original is None and not any(ctype in DSN_TYPES for ctype, _ in parts)
            and _addresses([_header(msg, "x-hmxmroriginalrecipient")]) and not _auto_reply(msg)):
        # the same JMRP complaint unwrapped: the complained-of message itself, re-sent by the mailbox
        # provider with the recipient stamped among its own headers (no report, no message/rfc822)
        return _complaint([], msg)
    mdn = [item for block in _blocks(by_type[MDN_TYPE]) for item in block] if MDN_TYPE in by_type else None
    if mdn is not None and not _get(mdn, "disposition").rpartition(";")[2].strip().lower().startswith("deleted"):
        # a read receipt; a "deleted" one is how Sieve's reject answers (Dovecot): read as a bounce
        return Report("auto-reply", original_message_id=_message_id(original)
                      or _message_id_in(_get(mdn, "original-message-id")))
    ses = _ses(text)
    if ses is not None:
        return ses
    # the delivery-status part that names a recipient: InterMail labels its human-readable first
    # part message/delivery-status too (Cricket: "This Message was undeliverable due to ...")
    dsns = [part for ctype, part in parts if ctype in DSN_TYPES]
    dsn = next((part for part in dsns if any(_has_recipient(block) for block in _blocks(part))),
               dsns[0] if dsns else None)
    if dsn is not None:
        report = _dsn(msg, _blocks(dsn), original, text)
        if report is not None:
            return report
    else:  # a broken MIME boundary, or the fields quoted in the notice's text (Amazon WorkMail): read them
        for body in (_raw_body(raw), text):
            if DSN_FIELD.search(body) and re.search(r"^final-recipient:", body, re.I | re.M):
                report = _dsn(msg, _loose_blocks(body), original, body)
                if report is not None:
                    return report
    if _auto_reply(msg):
        return Report("auto-reply", original_message_id=_message_id_in(_header(msg, "in-reply-to")))
    return _free_text(msg, original, text, _null_sender(msg, mail_from))


def _null_sender(msg: Message, mail_from: str | None) -> bool:
    """Whether the message came from the null sender (MAIL FROM:<>), as notices do."""
    if mail_from is None:
        return_path = msg.get("return-path")
        return return_path is not None and re.fullmatch(r"\s*<\s*>\s*", str(return_path)) is not None
    return mail_from.strip("<> ") == ""


# -- complaints ---------------------------------------------------------------------------------

def _complaint(blocks: list[list[tuple[str, str]]], original: Message | None) -> Report:
    fields = [item for block in blocks for item in block]
    feedback_type = _first_word(_get(fields, "feedback-type")) or ("" if blocks else "abuse")
    # the recipient reported, else (an opt-out report) the one to remove from the list
    complained = _disclosed(_all(fields, "original-rcpt-to")) or _disclosed(_all(fields, "removal-recipient"))
    if not complained and original is not None:
        complained = (_addresses([_header(original, "x-hmxmroriginalrecipient")])
                      or _disclosed([_header(original, "to")]))
    # a report that says it redacted the recipient ("Redacted-Address: redacted", "redacted@"): the
    # local part it put in its place names nobody ("redacted@aol.com"), and naming it would make the
    # complaint match no delivery; naming none, it is the return-path token's own delivery's
    redactions = {value.strip().rstrip("@").lower() for value in _all(fields, "redacted-address")} - {""}
    complained = tuple(a for a in complained if a.rpartition("@")[0] not in redactions)
    stated_mail_from = _address(_get(fields, "original-mail-from"))
    return Report(
        kind="unknown" if feedback_type in NOT_COMPLAINTS else "complaint",
        complained=() if feedback_type in NOT_COMPLAINTS else complained,
        feedback_type=feedback_type,
        original_message_id=_message_id(original),
        original_return_path=_return_path(original) or stated_mail_from,
        stated_mail_from=stated_mail_from,
        reporting_mta=_mta(_get(fields, "reporting-mta")),
    )


# -- RFC 3464 delivery status notifications -----------------------------------------------------

def _dsn(msg: Message, blocks, original: Message | None, text: str) -> Report | None:
    """A Report from the delivery-status fields, or None when they name no recipient (then the
    free-text scan gets its chance)."""
    blocks = _one_recipient_each(blocks)
    if not blocks:
        return None
    per_message = blocks[0]
    recipient_blocks = blocks if _has_recipient(blocks[0]) else blocks[1:]
    reporting_mta = _mta(_get(per_message, "reporting-mta"))
    failures, seen_success = [], False
    named = {_address(_get(block, "final-recipient")).lower() for block in recipient_blocks} - {""}
    for block in recipient_blocks:
        others = named - {_address(_get(block, "final-recipient")).lower()}
        failure = _dsn_failure(block, reporting_mta, text, alone=len(recipient_blocks) == 1, others=others)
        if failure is None:
            continue
        if failure.reason == Reason.USERUNKNOWN and _header(msg, "x-nai-header"):
            # a McAfee gateway says "No such user" for a message it refused after accepting the
            # recipient (Sisimai's samples): not proof that the address is dead
            failure = replace(failure, reason=Reason.FILTERED, hard=False)
        if failure.action in SUCCESS:
            seen_success = True
        elif all(f.recipient != failure.recipient for f in failures):  # Sendmail repeats it per alias hop
            failures.append(failure)
    if not failures and not seen_success:
        return None
    # Exim's DSN names an alias (the address sent to) where its text names the address the alias
    # generated, the one that failed ("a@b\n    (generated from c@d)"): the failure is the target's,
    # the alias its original recipient, as with Postfix's and Sendmail's "(expanded from ...)"
    generated = _generated(text)
    failures = [replace(f, recipient=generated[f.recipient], original_recipient=f.original_recipient or f.recipient)
                if generated.get(f.recipient, "") not in named | {""} else f for f in failures]
    message_id = (_message_id(original) or _message_id_in(_get(per_message, "x-original-message-id"))
                  or _message_id_in(_header(msg, "in-reply-to")))
    return_path = (_return_path(original) or _address(_get(per_message, "x-postfix-sender"))
                   or _quoted_return_path(text) or _sole_address(msg, "to"))
    return Report(kind="bounce" if failures else "delivered", failures=tuple(failures),
                  original_message_id=message_id, original_return_path=return_path,
                  reporting_mta=reporting_mta)


def _reply_text(text: str) -> str:
    """A multi-line SMTP reply as one sentence: "550-5.1.1 The email ... 550-5.1.1 double-checking
    ..." -> "550 5.1.1 The email ... double-checking ..."."""
    head = re.match(r"(\d{3})[ -](?:(\d\.\d{1,3}\.\d{1,3})\s+)?", text)
    if not head:
        return text.strip()
    code, enhanced = head.groups()
    again = re.escape(code) + r"[ -]" + (re.escape(enhanced) + r"\s+" if enhanced else "")
    rest = re.sub(r"(?<=\s)" + again, "", text[head.end():])
    return " ".join(f"{code} {enhanced or ''} {rest}".split())


def _one_recipient_each(blocks):
    """The field blocks with a block begun at each recipient that repeats a recipient field of
    the block it is in: AOL writes its recipients' fields, and the per-message ones before them,
    without the blank line between them."""
    out = []
    for block in blocks:
        current = []
        for name, value in block:
            if name in ("final-recipient", "original-recipient") and _get(current, name):
                out.append(current)
                current = []
            current.append((name, value))
        out.append(current)
    return out


def _has_recipient(block) -> bool:
    return bool(_get(block, "final-recipient") or _get(block, "original-recipient"))


def _dsn_failure(block, reporting_mta: str, text: str, alone: bool = False,
                 others: set[str] = frozenset()) -> Failure | None:
    """One recipient's failure. Where its fields give no diagnostic, the notice's paragraph about
    it says why, up to where another recipient's lines begin (`others`: OpenSMTPD lists its
    failed recipients one a line, "a@b: 550 5.1.1 ... User unknown", with no blank line)."""
    final, original = _address(_get(block, "final-recipient")), _address(_get(block, "original-recipient"))
    recipient = _recipient(final, named=True) or _recipient(original, named=True)
    if not recipient:
        return None
    said = _first_word(_get(block, "action"))  # "expired" (SendGrid): not RFC 3464, but it gave up
    action = "failed" if said == "expired" else said if said in ACTIONS else "unknown"
    # Exchange's (and Hotmail's) X-Supplementary-Info, "<mx.example #5.1.1 smtp;550 5.1.1 ...>": the
    # remote's reply, where it writes no Diagnostic-Code
    supplementary = SUPPLEMENTARY.match(_get(block, "x-supplementary-info"))
    typed = _get(block, "diagnostic-code") or (supplementary.group(1) if supplementary else "")
    said_status = _get(block, "status")
    diagnostic = _reply_text(re.sub(r"^[\w.-]+\s*;\s*", "", typed))
    if not diagnostic and not _enhanced(said_status):  # "Status: 553 Exceeded maximum ...": a reply, misfiled
        diagnostic = said_status
    said_why = re.search(r"\((.+)\)", said_status)  # "Status: 5.4.4 (Illegal host/domain name found)"
    if not diagnostic:
        diagnostic = said_why.group(1) if said_why and by_text(said_why.group(1)) else _window(text, recipient, others)
    status = _enhanced(said_status)
    precise = _enhanced(diagnostic)
    if precise and (not status or (status.endswith(".0.0") and precise[0] == status[0])):
        status = precise
    guess = None
    if not status:
        status, guess = _classify(diagnostic)
    if action == "failed":
        permanent = True
    elif action != "unknown":
        permanent = False
    else:
        permanent = status.startswith("5") if status else bool(guess)
    phase = _phase(f"{_window(text, recipient, others)}\n{_mentions(text, recipient)}\n{diagnostic}", recipient)
    explained = diagnostic
    if by_text(diagnostic) is None:  # "Reason 1 (Unable-To-Transfer)": the notice's own lines may say why
        explained = f"{diagnostic} {_without(_mentions(text, recipient), recipient)}"
        if alone and (not typed or re.search(r";\s*\d{3}-", typed)):
            # Sendmail's transcript explains its only recipient; its Diagnostic-Code keeps only
            # the first line of a multi-line reply ("550-5.7.1 ..."), the transcript all of it
            explained += " " + _transcript(text)
    reason, hard = classify(status, code_in(diagnostic), phase, explained,
                            action=said if said == "expired" else action, permanent=permanent)
    if reason == Reason.UNDEFINED and typed.lower().startswith("x-unix"):
        reason = Reason.MAILERERROR  # "X-Unix; 255": the local delivery program's exit code, nothing more
    if reason == Reason.USERUNKNOWN and status[2:4] != "1." and by_text(_prose(text, recipient)) == Reason.SUSPEND:
        # generic "550 user unknown" under a notice that says the account is disabled (EZweb): the
        # notice contradicts it, and a disabled account is not a dead one
        reason, hard = Reason.SUSPEND, False
    return Failure(recipient=recipient, action=action, status=status, diagnostic=diagnostic,
                   remote_mta=_mta(_get(block, "remote-mta")) or reporting_mta, permanent=permanent,
                   reason=reason, hard=hard,
                   original_recipient=_recipient(original, named=True) if original != recipient else "")


# -- free-text bounces --------------------------------------------------------------------------

def _free_text(msg: Message, original: Message | None, text: str, null_sender: bool) -> Report:
    """flufl.bounce knows the layouts of many MTAs' free-text bounces and finds the recipients;
    why each failed is read from the paragraph around the address (codes, then phrases, then
    the notice's general wording), since flufl.bounce only says temporary or permanent. There is
    no Action in such text: it is "failed" when permanent, else "delayed"."""
    temporary, permanent = set(), set()
    if getaddresses([msg.get("from", "")]):  # flufl.bounce 6.0's Yale detector raises IndexError without From
        try:
            temporary, permanent = all_failures(msg)
        except Exception:  # a heuristic detector tripped over odd input: nothing detected
            log.warning("reports: flufl.bounce failed on a message", exc_info=True)
    found = {a.decode("ascii", "replace").strip().lower(): a in permanent and a not in temporary
             for a in set(temporary) | set(permanent)}
    x_failed = {a.strip().lower() for a in _header(msg, "x-failed-recipients").split(",")}
    for address in x_failed:  # Exim: the recipients that failed
        found.setdefault(address, True)  # (raw: a source route must stay one and be refused)
    human, quoted = _split_quote(text)
    listed = {(a or b).lower() for a, b in LISTED.findall(human)}
    for address in listed:
        found.setdefault(address, _hint(human) != "4")
    if human != text:  # a heuristic's pick that only the quoted original names is its To, not the failure
        found = {a: p for a, p in found.items() if a in human.lower() or a in x_failed}
    routed = {a.lower() for a in SOURCE_ROUTE.findall(f"{_header(msg, 'x-failed-recipients')}\n{human}")}
    not_recipients = _not_recipients(msg, original, text) | routed  # a Message-ID anywhere, forwarded too
    # Exim's X-Failed-Recipients and a recipient heading its own lines name the failures outright:
    # one may be the notice's own addressee (a sender writing to itself); only a source route's
    # target is refused. X-Failed-Recipients is Exim's own list of the addresses that failed, as a
    # DSN's recipient field is: a quoted local part or an unqualified host is still the address
    found = {r: p for a, p in found.items()
             if (r := _recipient(a, named=a in x_failed))
             and r not in (routed if a in x_failed | listed else not_recipients)}
    if not found and (_system_sender(msg) or FAILURE_SUBJECT.search(_header(msg, "subject"))
                      or str(msg.get_param("report-type", "")).lower() == "delivery-status"
                      or null_sender and original is not None and UNDELIVERED.search(human)):
        found = _named_in_notice(human, original, quoted, not_recipients)
    if not found:
        return UNKNOWN
    # an alias and the target it was expanded into are one failure: the target's, the alias its
    # original recipient (the address we sent to, which the listener matches too)
    originals = {final: alias for alias, final in _expansions(human).items() if final in found and alias != final}
    found = {a: p for a, p in found.items() if a not in originals.values()}
    failures = []
    for recipient in sorted(found, key=lambda a: (_position(human, a), a)):
        window = _refusal(human, recipient) or _window(human, recipient, set(found) - {recipient})
        explains = _hint(window) or code_in(window) or _enhanced(window) or by_text(_without(window, recipient))
        explained = window if explains else \
            " ".join(f"{window} {human}".split())[:4000]  # the reason is elsewhere in the notice
        status, guess = _classify(explained, human)
        permanent_ = guess if guess is not None else found[recipient]
        reason, hard = classify(status, code_in(explained), _phase(explained, recipient), explained,
                                action="failed" if permanent_ else "delayed", permanent=permanent_)
        if reason == Reason.UNDEFINED:
            reason = Reason.ONHOLD  # the notice names the recipient but says nothing we can read about why
        remote = REMOTE_HOST.search(window)
        failures.append(Failure(recipient=recipient, action="failed" if permanent_ else "delayed",
                                status=status, diagnostic=(window if explains else _explanation(human)) or window,
                                remote_mta=remote.group(1).lower() if remote else "",
                                permanent=permanent_, reason=reason, hard=hard,
                                original_recipient=originals.get(recipient, "")))
    quoted_id = QUOTED_ID.search(quoted)
    return Report(kind="bounce", failures=tuple(failures),
                  original_message_id=(_message_id(original) or (quoted_id.group(1) if quoted_id else "")
                                       or _message_id_in(_header(msg, "in-reply-to"))),
                  original_return_path=(_return_path(original) or _quoted_return_path(quoted)
                                        or _sole_address(msg, "to")))


def _expansions(human: str) -> dict[str, str]:
    """{alias: target} for each "(expanded from <alias>)": the target is the address that heads
    the entry (its first line, not indented); a pipe or a file there is no target."""
    out, head = {}, ""
    for line in human.splitlines():
        if line.strip() and not line[0].isspace():
            head = line
        expanded = EXPANDED.search(line)
        target = NOTICE_ADDRESS.search(head) if expanded and head.strip()[:1] not in ("\"", "|", "/") else None
        if target and (target := _recipient(target.group(0))) and (alias := _recipient(expanded.group(1))):
            out[alias] = target
    return out


def _generated(text: str) -> dict[str, str]:
    """{alias: target} for each Exim "(generated from <alias>)" or "(ultimately generated from
    <alias>)": the target heads the entry (indented two spaces), or, for a pipe or a file, is the
    address whose "generated by" line follows; a hidden target ("an undisclosed address") is none."""
    out, head = {}, ""
    for line in text.splitlines():
        if re.match(r"  \S", line):
            head = line.strip()
            continue
        by = re.match(r"\s+generated by (\S+@\S+)\s*$", line)
        if by and head.startswith(("pipe to ", "save to ")):
            head = by.group(1)
        generated = EXIM_GENERATED.search(line)
        if generated and (target := _recipient(head)) and (alias := _recipient(generated.group(1), named=True)):
            out.setdefault(alias, target)
    return out


def _named_in_notice(human: str, original: Message | None, quoted: str, not_recipients: set[str]) -> dict:
    """{address: permanent} for a notice no known layout matched (old Sendmail, Lotus Notes...):
    the valid addresses its own text names, other than ours; those the original was sent to
    when it says (its To/Cc, or the quoted header lines); that addressee when the notice names no
    address at all and the original had one (V5 Sendmail's transcript, KDDI's notices). What Exim
    quotes of a failed pipe's output ("The following text was generated during the delivery
    attempt:", a program's environment: "SENDER=a@b") is no part of the notice's text."""
    human = human.partition("The following text was generated during the delivery attempt:")[0]
    rcpt_to = " ".join(re.findall(r"^.*\bRCPT TO:.*$", human, re.I | re.M))  # "RCPT TO: a@b" names it outright
    named = {r for a in NOTICE_ADDRESS.findall(rcpt_to or human) if (r := _recipient(a)) and r not in not_recipients}
    sent_to = set(_addresses([_header(original, "to"), _header(original, "cc")])) if original is not None else set()
    sent_to |= {a.lower() for line in QUOTED_TO.findall(quoted) for a in NOTICE_ADDRESS.findall(line)}
    # Sendmail's own line per failed recipient ("554 <a@b>... 550 Host unknown"): each one a failure,
    # whether or not the original's To names it (a Bcc, a second recipient)
    refused = {r for a in SENDMAIL_REFUSAL.findall(human) if (r := _recipient(a)) and r not in not_recipients}
    named = ((named & sent_to) or named) | refused
    if not NOTICE_ADDRESS.search(human) and len(sent_to - not_recipients) == 1:
        # the notice names no address at all (one it names, even its own addressee, may be the
        # failure: then the original's addressee is no proof): the original's only addressee
        named = {r for a in sent_to - not_recipients if (r := _recipient(a))}
    return {address: _hint(human) != "4" for address in named}


def _refusal(human: str, recipient: str) -> str:
    """Sendmail's transcript lines about `recipient`: its own "554 <a@b>... why" line and the
    remote's replies before it, back to the previous recipient's line ("" when no such line)."""
    lines, start = human.splitlines(), 0
    for at, line in enumerate(lines):
        refused = SENDMAIL_REFUSAL.match(line)
        if refused and refused.group(1).lower() == recipient:
            return "\n".join(lines[start:at + 1])
        if refused or "transcript of session" in line.lower():
            start = at + 1
    return ""


def _explanation(human: str) -> str:
    """The notice's first paragraph that quotes an SMTP reply ("... The error that the other
    server returned was: 550 5.7.1 ..."), else the first whose wording gives a reason (Gmail's
    "TEMP_FAILURE: Could not initiate SMTP conversation ..."; not a line that introduces a list,
    "... has been delayed:"), as one line."""
    paragraphs = re.split(r"\n\s*\n", human)
    for paragraph in (p for test in (lambda p: _enhanced(p) or BASIC.search(p),
                                     lambda p: not p.rstrip().endswith(":") and by_text(p))
                      for p in paragraphs if test(p)):
        return " ".join(paragraph.split())[:1000]
    return ""


def _not_recipients(msg: Message, original: Message | None, text: str) -> set[str]:
    """Addresses a heuristic may pick up that are never the failed recipient: Message-IDs
    ("<id@host>"), the notice's own sender and addressee, the original's return path."""
    out = set()
    for source, names in ((msg, ("message-id", "in-reply-to", "references", "from", "to")),
                          (original, ("message-id", "in-reply-to", "references", "return-path"))):
        for name in names if source is not None else ():
            out.update(a.lower() for a in re.findall(r"[^\s<>,;:\"]+@[^\s<>,;:\"]+", _header(source, name)))
    out.update(m.lower().strip("<>") for m in QUOTED_ID.findall(text))
    return out


def _recipient(address: str, named: bool = False) -> str:
    """`address` lower-cased when it is a valid mailbox; "" for a pipe, a file, a source route
    ("@relay:user@host"), a Message-ID's odd local part or anything else no MTA would deliver to.
    Dots out of place in the local part ("a..b@", "a.@") are allowed: Japanese mobile carriers
    handed out such addresses, and MTAs deliver to them. An address `named` outright as the
    recipient (a DSN's recipient field) may have a reserved domain (.invalid, .test, .local, as
    anonymised notices use) or a host name with no dot (a local alias's target, "user@mailhub0"):
    it is still the one that failed; a heuristic's pick may not. So may a quoted local part
    ('"a..b"@host', RFC 5321's quoted-string): the address as the DSN spells it."""
    address = (address or "").strip().strip("<>").strip().lower()
    quoted = QUOTED_LOCAL.match(address) if named else None
    if not address or (address[0] in "|/@\"" and not quoted) or ":" in address or "," in address:
        return ""
    local, _, domain = address.rpartition("@")
    if quoted:
        local = "quoted"  # any quoted-string is a valid local part: only the domain is checked
    if named and ("." not in domain or domain.rpartition(".")[2] in SPECIAL_USE_DOMAIN_NAMES):
        domain += ".example"  # its syntax checked all the same
    try:
        validate_email(f"{re.sub(r'[.]{2,}', '.', local).strip('.')}@{domain}", check_deliverability=False,
                       allow_smtputf8=True)
    except (EmailNotValidError, ValueError):
        return ""
    return address


def _auto_reply(msg: Message) -> bool:
    """A vacation or out-of-office answer (RFC 3834 and the usual non-standard marks), which is
    never a bounce. Bounces are auto-replied too, so a mailer-daemon sender or a failure subject
    rules it out, as does a From of the null address marked Auto-Submitted: a system's notice."""
    if _system_sender(msg) or FAILURE_SUBJECT.search(_header(msg, "subject")):
        return False
    marked = (_header(msg, "auto-submitted").lower().startswith("auto-replied")
              or any(_header(msg, h) for h in ("x-autoreply", "x-autorespond", "x-autoresponder"))
              or _header(msg, "precedence").lower() == "auto_reply"
              or "oof" in _header(msg, "x-auto-response-suppress").lower())
    return marked or bool(AUTO_REPLY_SUBJECT.search(_header(msg, "subject")))


def _system_sender(msg: Message) -> bool:
    """From a mailer daemon or postmaster, or from the null address ("From: <>") and marked
    Auto-Submitted (RFC 3834): a system's notice. (A null From alone is not enough: a list's
    mirror of a notice keeps the notice's From and quotes addresses that are not the failure.)"""
    sender = _header(msg, "from")
    return bool(DAEMON.search(sender) or re.fullmatch(r"[^<>]*<\s*>\s*", sender) and _header(msg, "auto-submitted"))


def _ses(text: str) -> Report | None:
    """An Amazon SES notification (bounce, complaint or delivery) sent as email, bare or in its
    SNS envelope; None when the text is no such JSON."""
    body = text.strip()
    if not body.startswith("{") or '"notificationType"' not in body and '"eventType"' not in body \
            and '"Message"' not in body:
        return None
    try:
        # SNS email subscriptions append an unsubscribe footer and may fold a line inside a string
        note = json.JSONDecoder(strict=False).raw_decode(body)[0]
        if isinstance(note, dict) and isinstance(note.get("Message"), str):
            note = json.loads(note["Message"], strict=False)
    except ValueError:
        return None
    if not isinstance(note, dict):
        return None
    kind = str(note.get("notificationType") or note.get("eventType") or "").lower()
    mail = note.get("mail") if isinstance(note.get("mail"), dict) else {}
    headers = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    common = dict(original_message_id=_message_id_in(str(headers.get("messageId") or "")),
                  original_return_path=_address(str(mail.get("source") or "")))
    if kind == "delivery":
        return Report("delivered", **common)
    if kind == "complaint":
        complaint = note.get("complaint") if isinstance(note.get("complaint"), dict) else {}
        people = complaint.get("complainedRecipients") or []
        complained = tuple(r for p in people if isinstance(p, dict) and (r := _recipient(str(p.get("emailAddress")))))
        return Report("complaint", complained=complained, feedback_type=str(
            complaint.get("complaintFeedbackType") or "abuse").lower(), **common)
    if kind != "bounce":
        return None
    bounce = note.get("bounce") if isinstance(note.get("bounce"), dict) else {}
    lasting = str(bounce.get("bounceType", "")).lower() == "permanent"
    subtype = SES_SUBTYPES.get(str(bounce.get("bounceSubType", "")).lower())
    reporting = _mta(str(bounce.get("reportingMTA") or ""))
    failures = []
    for item in bounce.get("bouncedRecipients") or []:
        recipient = _recipient(str(item.get("emailAddress") or "")) if isinstance(item, dict) else ""
        if not recipient:
            continue
        diagnostic = _reply_text(re.sub(r"^[\w.-]+\s*;\s*", "", str(item.get("diagnosticCode") or "")))
        status = _enhanced(str(item.get("status") or "")) or _enhanced(diagnostic)
        reason, hard = classify(status, code_in(diagnostic), "", diagnostic, permanent=lasting)
        if subtype is not None:  # SES says why itself (OnAccountSuppressionList: it did not even try)
            reason, hard = subtype, subtype == Reason.USERUNKNOWN and lasting
        failures.append(Failure(recipient=recipient, action="failed" if lasting else "delayed", status=status,
                                diagnostic=diagnostic, remote_mta=reporting, permanent=lasting, reason=reason,
                                hard=hard))
    return Report("bounce" if failures else "unknown", failures=tuple(failures), reporting_mta=reporting, **common)


def _classify(text: str, context: str = "") -> tuple[str, bool | None]:
    """(RFC 3463 status or "", permanent or None when the text does not say) from an explanation:
    an enhanced code wins, then a known phrase (its class from a basic reply code or the wording
    when given), then a bare reply code, then wording alone."""
    if code := _enhanced(text, "45"):
        return code, code[0] == "5"
    basic = BASIC.search(text)
    for pattern, detail, default, hintable in PHRASES:
        if pattern.search(text):
            cls = basic.group(1) if basic else (hintable and (_hint(text) or _hint(context))) or default
            return f"{cls}.{detail}", cls == "5"
    if basic:
        return f"{basic.group(1)}.0.0", basic.group(1) == "5"
    cls = _hint(text) or _hint(context)
    return "", (cls == "5") if cls else None


def _hint(text: str) -> str:
    if PERMANENT_HINT.search(text):
        return "5"
    return "4" if TEMPORARY_HINT.search(text) else ""


def _window(text: str, address: str, others: set[str] = frozenset()) -> str:
    """The paragraph that first mentions the address: where MTAs put the reason. It ends early
    where another failed recipient's lines begin (GMX lists them without a blank line)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if address in line.lower():
            out = [line]
            for following in lines[i + 1:]:
                if not following.strip() or any(other in following.lower() for other in others):
                    break
                out.append(following)
            return " ".join(" ".join(out).split())[:1000]
    return ""


def _phase(text: str, recipient: str) -> str:
    """The SMTP command the reply about `recipient` answered: the MTA's words ("in reply to RCPT
    TO command", Sendmail's ">>> RCPT TO:<a>"), else Sendmail's form of a reply to RCPT TO, which
    echoes the address as given, in brackets: "550 5.1.1 <a@b.example>... User unknown". A bare
    "a@b.example... No such user" relayed by a gateway (SurfControl) says nothing of the phase."""
    return phase_in(text) or ("rcpt" if re.search("<" + re.escape(recipient) + r">\.\.\.\s", text, re.I) else "")


def _transcript(text: str) -> str:
    """Sendmail's "----- Transcript of session follows -----" paragraph, as one line ("" if none)."""
    found = re.search(r"transcript of session follows\s*-*\s*\n(.*?)(?:\n\s*\n|$)", text, re.I | re.S)
    return " ".join(found.group(1).split())[:1000] if found else ""


def _without(text: str, address: str) -> str:
    """The text with the address taken out, so that its words ("spam@...") are read as no reason."""
    return re.sub(re.escape(address), " ", text, flags=re.I)


def _prose(text: str, address: str) -> str:
    """The notice's lines that do not name the address: what it says about all its recipients."""
    return "\n".join(line for line in text.splitlines() if address not in line.lower())


def _mentions(text: str, address: str) -> str:
    """Every line that names the address (a transcript's ">>> RCPT TO:<address>" too)."""
    return "\n".join(line for line in text.splitlines() if address in line.lower())


def _position(text: str, address: str) -> int:
    at = text.lower().find(address)
    return at if at >= 0 else len(text)


def _split_quote(text: str) -> tuple[str, str]:
    """(the notice, the quoted original) of a free-text bounce."""
    start = QUOTE_START.search(text)
    return (text[:start.start()], text[start.start():]) if start else (text, text)


# -- MIME and fields ----------------------------------------------------------------------------

def _parts(msg: Message) -> list[tuple[str, Message]]:
    """(content type, part) for every part, depth first, without entering attached messages (a
    bounce quoting a bounce must not be read as two), with bounds on depth and count."""
    out, stack = [], [(msg, 0)]
    while stack and len(out) < MAX_PARTS:
        part, depth = stack.pop()
        ctype = part.get_content_type().lower()
        out.append((ctype, part))
        if ctype.startswith("multipart/") and depth < MAX_DEPTH:
            stack.extend((p, depth + 1) for p in reversed(_subparts(part)))
    return out


def _subparts(part: Message) -> list[Message]:
    """The parsed parts inside a part. (get_payload() on a text payload is avoided everywhere:
    it decodes with the declared charset and raises ValueError on a mangled charset name.)"""
    return [p for p in part.get_payload() if isinstance(p, Message)] if part.is_multipart() else []


def _text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    data = data[:MAX_TEXT]
    try:
        return data.decode(part.get_content_charset() or "utf-8", "replace")
    except (LookupError, ValueError):  # an unknown or mangled charset name
        return data.decode("utf-8", "replace")


def _human_text(parts: list[tuple[str, Message]]) -> str:
    """The notice's own words: its text/plain parts, else its HTML without tags."""
    texts = [_text(p) for t, p in parts if t.startswith("text/plain")]  # "text/plain charset=..." (a lost ";")
    if not any(t.strip() for t in texts):
        texts = [re.sub(r"<[^>]*>", " ", _text(p)) for t, p in parts if t == "text/html"]
    return "\n\n".join(texts)[:4 * MAX_TEXT]


def _raw_body(raw: bytes) -> str:
    """The text after the top-level header block, decoded leniently, bounded."""
    body = raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b""
    return body[:4 * MAX_TEXT].decode("utf-8", "replace")


def _raw_notice(raw: bytes) -> str:
    """The raw body as the notice's text, up to the part that returns the original message: the
    original's headers (a DKIM-Signature, a Subject) are no reason for the failure."""
    return RETURNED_PART.split(_raw_body(raw), 1)[0]


def _loose_blocks(text: str) -> list[list[tuple[str, str]]]:
    """The delivery-status field groups of a body whose MIME structure did not parse."""
    return [b for b in _text_blocks(text) if any(DSN_FIELD.match(f"{name}:") for name, _ in b)]


def _headers_of(part: Message) -> Message:
    """The original message's headers: the attached message itself, or parsed from a
    text/rfc822-headers part."""
    inner = _subparts(part)
    if inner:
        return _cut_short(inner[0]) or inner[0]
    return email.message_from_string(_text(part).lstrip("\r\n"), policy=POLICY)


def _cut_short(original: Message) -> Message | None:
    """The returned message's header block when it was cut short, else None: by a blank line
    (Microsoft SMTPSVC's returned copies: "Received: ... with Microsoft SMTPSVC;", an empty line,
    the date, then the rest of the fields) or by a fold that lost its indent (the email package
    ends the block at a line that is no field). It was when the block read names no Message-ID and
    the body's first paragraph is more fields, a Message-ID among them; the lines before its first
    field are the last field's fold. The Message-ID is what matches the notice to its delivery."""
    payload = original.get_payload()
    if _header(original, "message-id") or not isinstance(payload, str):
        return None
    paragraph, sep, rest = payload.lstrip("\r\n").partition("\n\n")
    lines = paragraph.split("\n")
    first = next((i for i, line in enumerate(lines) if FIELD_LINE.match(line.encode("utf-8", "replace"))), None)
    if first is None or not re.search(r"^message-id:", paragraph, re.I | re.M):
        return None
    head = "".join(f"{name}: {value}\n" for name, value in original.raw_items())
    folds = "".join(f" {line.strip()}\n" for line in lines[:first])
    try:
        mended = email.message_from_string(head.rstrip("\n") + "\n" + folds + "\n".join(lines[first:]) + "\n"
                                           + sep + rest, policy=POLICY)
    except Exception:  # a second reading is a bonus: never the reason a notice goes unread
        return None
    return mended if _header(mended, "message-id") else None


def _blocks(part: Message) -> list[list[tuple[str, str]]]:
    """The field groups of a delivery-status / feedback-report part. The email package gives
    message/delivery-status as a list of header blocks and other message/* types as one message;
    whatever ended up as a body is read as more blocks."""
    if not part.is_multipart():
        return _text_blocks(_text(part))
    blocks = []
    for block in _subparts(part):
        fields = [(name.lower(), _clean(value)) for name, value in block.raw_items()]
        if block.is_multipart():
            blocks.append(fields)
        else:  # the header block may go on in the body: an unfolded reply line ends the email package's
            blocks.extend(_text_blocks(_text(block), fields))
    return [b for b in blocks if b]


def _text_blocks(text: str, current: list[tuple[str, str]] | None = None) -> list[list[tuple[str, str]]]:
    """Field blocks of `text` (the first continuing `current`). A multi-line SMTP reply that the
    MTA did not fold ("550-Please turn on ...\n550 relay ...", MessageLabs) continues its field."""
    blocks, current = [], list(current or [])
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = []
        elif current and (line[0] in " \t" or re.match(r"[245]\d\d[ -]", line)):
            current[-1] = (current[-1][0], current[-1][1] + " " + line.strip())
        else:
            name, sep, value = line.partition(":")
            if sep and name.strip() and " " not in name.strip():
                current.append((name.strip().lower(), value.strip()))
            elif current and current[-1][0] == "diagnostic-code":
                # a reply cut at a fixed width with no fold (Gmail's global-delivery-status: "... judged
                # to b\ne spam by ..."): no field name, so the rest of the reply, joined where it was cut
                current[-1] = (current[-1][0], current[-1][1] + line.strip())
    if current:
        blocks.append(current)
    return blocks


def _clean(value: str) -> str:
    """A raw header value unfolded, with undecodable bytes (kept as surrogates) made visible."""
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(value.split())


def _first_word(value: str) -> str:
    return (value.split() or [""])[0].lower()


def _get(fields, name: str) -> str:
    return next((value for key, value in fields if key == name), "")


def _all(fields, name: str) -> list[str]:
    return [value for key, value in fields if key == name]


def _header(msg: Message, name: str) -> str:
    """A header's raw text (no header-object parsing, which is fussier than mail in the wild)."""
    return next((_clean(v) for k, v in msg.raw_items() if k.lower() == name), "")


def _address(field: str) -> str:
    """The address of "rfc822; a@b", "<a@b>" or "a@b", lower-cased; "" when there is none."""
    value = field.split(";", 1)[1] if re.match(r"^\s*[\w.-]+\s*;", field) else field
    value = value.strip().strip("<>").strip()
    return value.lower() if "@" in value and " " not in value else ""


def _disclosed(values: list[str]) -> tuple[str, ...]:
    """The addresses of a complaint's recipient fields but those the report says it hid: a
    placeholder under an "undisclosed ... recipient" name ("undisclosed comcast recipient
    <redacted@comcast.net>") is no address anyone was sent to."""
    return _addresses([address for name, address in getaddresses([v for v in values if v])
                       if not re.search(r"\bundisclosed\b", name, re.I)])


def _addresses(values: list[str]) -> tuple[str, ...]:
    out = []
    for _, address in getaddresses([v for v in values if v]):
        address = address.strip().lower()
        if "@" in address and address not in out:
            out.append(address)
    return tuple(out)


def _sole_address(msg: Message, name: str) -> str:
    """A DSN goes to the original's envelope sender, so its To is that address when alone."""
    found = _addresses([_header(msg, name)])
    return found[0] if len(found) == 1 else ""


def _mta(field: str) -> str:
    """"dns; mx.example.net. (192.0.2.1, ...)" -> "mx.example.net"."""
    value = field.split(";", 1)[1] if ";" in field else field
    host = (value.split() or [""])[0]
    return host.strip("[]").rstrip(".").lower()


def _enhanced(text: str, classes: str = "245") -> str:
    return next((m.group(0) for m in ENHANCED.finditer(text) if m.group(1) in classes), "")


def _message_id(original: Message | None) -> str:
    return _message_id_in(_header(original, "message-id")) if original is not None else ""


def _message_id_in(value: str) -> str:
    found = re.search(r"<[^<>\s]+>", value)
    if found:
        return found.group(0)
    token = value.strip()
    return f"<{token}>" if token and " " not in token else ""


def _return_path(original: Message | None) -> str:
    return _address(_header(original, "return-path")) if original is not None else ""


def _quoted_return_path(text: str) -> str:
    found = QUOTED_RETURN_PATH.search(text)
    return found.group(1).lower() if found and "@" in found.group(1) else ""
