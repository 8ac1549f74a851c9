"""Accepting mail: checks, composition, and ONE transaction that writes the message, a
delivery per recipient and their `accepted` events. Only after that commit does the caller
get the MessageID: nothing accepted is ever only in memory."""
from __future__ import annotations

import dataclasses
import datetime
import email.utils
import functools
import json
import re
import uuid
from email import headerregistry, policy
from email.message import EmailMessage

from peewee import SQL, fn

import clock
import config
from models import Delivery, Message, MessageTag, SenderDomain, Webhook
from models.db import LastId, database, insert_rows, insert_script, prepared, scripts_in_one_round_trip
from models.vocabulary import DeliveryStatus, DomainStatus, EventType
from services import events, metrics, rate_limits, suppressions, webhook_deliveries, webhooks
from services.addresses import normalize_address
from services.compose import Address, Attachment, Draft, compose
from services.errors import (AccountDisabled, BatchTooLarge, DomainNotActive, ForeignSender, GatewayError,
                             HeaderRejected, MessageTooLarge, RecipientSuppressed, SendLimitReached, SendRateExceeded,
                             TooManyRecipients)

# Headers the gateway owns: set from the request's own fields, by signing, or by tracking.
PROTECTED_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version",
                     "content-type", "content-transfer-encoding", "content-disposition", "dkim-signature",
                     "return-path", "sender", "received", "list-unsubscribe", "list-unsubscribe-post",
                     "feedback-id", "x-gatepost-message-id"}
HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext: printable ASCII but ":" (fullmatch)
FOLD = re.compile(r"(?:\r\n|\r|\n)(?=[ \t])")  # a folded header's line breaks (the value is read unfolded)
# C0 and C1 controls (TAB aside), DEL and the Unicode line/paragraph separators: each ends or
# breaks a header line somewhere (the email package splits on VT, FF, FS, NEL, LS too), and NUL
# is refused by PostgreSQL. Text bound for a header may hold none of them.
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
TEST_REPLY = "test key: recorded, not delivered"
MAX_BATCH = 100  # messages per accept_batch call
MAX_SUBJECT = 2000  # characters kept in the message record (every backend's TEXT holds it; the mail keeps all)
SCRIPTED_RECIPIENTS = 8  # up to this many, a message is written as one script (2 statements a recipient)


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """What a dialect hands the core: validated addresses (ASCII form) and content."""
    sender: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    html: str | None = None
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    track_opens: bool | None = None
    track_links: bool | None = None
    send_at: datetime.datetime | None = None
    test: bool = False  # a test key's mail: checked and recorded like any other, never delivered


def check_header_text(what: str, value: str) -> None:
    if CONTROL.search(value):
        raise HeaderRejected(f"{what} has a forbidden control character (CR, LF, NUL, ...)")


def check_headers(headers) -> None:
    for name, value in headers:
        if not HEADER_NAME.fullmatch(name):
            raise HeaderRejected(f"Header name {name!r} has a forbidden character (a space, ':' or a control character)")
        check_header_text(f"Header {name}", str(value))
        if name.lower() in PROTECTED_HEADERS:
            raise HeaderRejected(f"Header {name} is set by Gatepost and cannot be overridden")


def _check_header_texts(out: Outgoing) -> None:
    """Everything of a request that ends up in a header (or a tag, stored and sent in events)."""
    check_header_text("Subject", out.subject)
    for a in (out.sender, *out.to, *out.cc, *out.bcc, *out.reply_to):
        check_header_text(f"The display name of {a.email}", a.name)
    for tag in out.tags:
        check_header_text("A tag", tag)
    for attachment in out.attachments:
        check_header_text("An attachment filename", attachment.filename)
        check_header_text(f"The type of attachment {attachment.filename}", attachment.type)
        check_header_text(f"The Content-ID of attachment {attachment.filename}", attachment.content_id or "")


def check_sender(domain: SenderDomain) -> None:
    """Who may send at all: an enabled account (12), an Enabled domain (32), in that order."""
    if not domain.user.is_enabled:
        raise AccountDisabled()
    if domain.status != DomainStatus.ENABLED:
        raise DomainNotActive(f"Domain is not activated (status: {domain.status})")


def sent_since(user, since: datetime.datetime) -> int:
    return (Delivery.select(fn.COUNT(Delivery.id)).join(Message)
            .where(Message.user == user, Message.created_at >= since).scalar() or 0)


def quota_room(user) -> tuple[int, str, int] | None:
    """How many more recipients the group's per-day and per-month limits allow now, as
    (room, period, limit) for the tighter one; None when the group has no limit."""
    group, now = user.group, clock.now()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rooms = [(limit - sent_since(user, since), period, limit)
             for limit, since, period in ((group.send_limit_per_day, day, "daily"),
                                          (group.send_limit_per_month, day.replace(day=1), "monthly")) if limit]
    return min(rooms) if rooms else None


def check_quota(user, adding: int, room: tuple[int, str, int] | None = None) -> None:
    """Each recipient is one email; `room` is a quota_room already read in this transaction."""
    room = room or quota_room(user)
    if room is not None and adding > room[0]:
        raise SendLimitReached(f"Email sending limit reached ({room[1]} limit of {room[2]})")


def check_rate(domain: SenderDomain) -> None:
    """The group's send rate, per sender domain, counted where every send passes (HTTP, SMTP,
    the relay): a message that would exceed it is refused, and counts for nothing."""
    group = domain.user.group
    if group.send_rate_per_second and not rate_limits.hit(
            rate_limits.per_second(group.send_rate_per_second, group.send_rate_burst), "send-rate", str(domain.id)):
        raise SendRateExceeded()


def accept(domain: SenderDomain, out: Outgoing, *, source: str = "api") -> str:
    """Queue a message; returns its MessageID once the message and its deliveries are committed."""
    return _queue(prepare(domain, out, source=source))


def _queue(pending: Pending) -> str:
    check_rate(pending.domain)
    group = pending.domain.user.group
    if _scripted([pending]) and not (group.send_limit_per_day or group.send_limit_per_month):
        _write_script(pending)  # one query, its own transaction: no quota to read in it
    else:
        with database.atomic():
            check_quota(pending.domain.user, len(pending.recipients))
            write_all([pending])
    metrics.ACCEPTED.labels(pending.source).inc()
    return pending.ident


def accept_batch(items: list[tuple[SenderDomain, Outgoing]], *, source: str = "api",
                 all_or_none: bool = False) -> list[str | GatewayError]:
    """Up to MAX_BATCH independent messages: each is checked on its own and answered in order
    with its MessageID or the error that refused it; the accepted ones are written in ONE
    transaction (a database failure refuses none and accepts none: the caller may retry all).
    `all_or_none`: one send to several recipients, bounded by its dialect's own recipient
    limit, not MAX_BATCH; the first refusal refuses it whole."""
    if len(items) > MAX_BATCH and not all_or_none:
        raise BatchTooLarge(f"At most {MAX_BATCH} messages per batch")
    results: list[Pending | GatewayError] = []
    for domain, out in items:
        try:
            pending = prepare(domain, out, source=source, alone=False)
            check_rate(domain)
        except GatewayError as exc:
            results.append(exc)
        else:
            results.append(pending)
    with database.atomic():
        written = _write_batch(results)
        if all_or_none and written < len(results):  # raising rolls the transaction back
            raise next(r for r in results if isinstance(r, GatewayError))
    accepted = [r.ident for r in results if isinstance(r, Pending)]
    metrics.ACCEPTED.labels(source).inc(len(accepted))
    return [r.ident if isinstance(r, Pending) else r for r in results]


def _write_batch(results: list) -> int:
    """Write the prepared ones that the sending limits still allow (a refused one becomes its
    error in `results`); returns how many were written."""
    rooms: dict[int, tuple[int, str, int] | None] = {}
    written: list[Pending] = []
    for i, pending in enumerate(results):
        if not isinstance(pending, Pending):
            continue
        user = pending.domain.user
        if user.id not in rooms:
            rooms[user.id] = quota_room(user)
        try:
            check_quota(user, len(pending.recipients), rooms[user.id])
        except SendLimitReached as exc:
            results[i] = exc
            continue
        if rooms[user.id] is not None:
            room, period, limit = rooms[user.id]
            rooms[user.id] = (room - len(pending.recipients), period, limit)
        written.append(pending)
    write_all(written)
    return len(written)


def prepare(domain: SenderDomain, out: Outgoing, *, source: str = "api", alone: bool = True) -> Pending:
    """Every check a message passes before it is written, and its composition. Not `alone`
    (one of a batch): its webhooks are left to write_all, which reads them once for all."""
    settings = config.current()
    check_sender(domain)
    if out.sender.email.rpartition("@")[2].lower() != domain.name:
        raise ForeignSender(f"The From address must be on {domain.name}")
    check_headers(out.headers)
    _check_header_texts(out)
    recipients = [(a.email.lower(), kind) for kind, group in (("to", out.to), ("cc", out.cc), ("bcc", out.bcc))
                  for a in group]
    hooks = check_recipients(domain, list(dict.fromkeys(address for address, _ in recipients)), alone)
    for attachment in out.attachments:
        if len(attachment.content) > settings.max_attachment_bytes:
            raise MessageTooLarge(f"Attachment {attachment.filename} is larger than {settings.max_attachment_bytes} bytes")
    ident = str(uuid.uuid4())
    content = compose(Draft(out.sender, out.to, out.cc, out.reply_to, out.subject, out.html, out.text,
                            out.attachments, out.headers, f"<{ident}@{domain.name}>"), clock.now())
    return _pending(domain, ident, content, recipients, mail_from=out.sender.email, subject=out.subject,
                    tags=out.tags, track_opens=out.track_opens, track_links=out.track_links, send_at=out.send_at,
                    source=source, test=out.test, hooks=hooks)


def check_recipients(domain: SenderDomain, recipients: list[str], hooks: bool = True) -> list[Webhook] | None:
    """How many, and none suppressed: the checks every way in makes before it queues. Returns
    the webhooks subscribed to the message's accepted events, read in the same statement as
    the suppressions (write_all needs them, and would read them in its transaction); None
    without `hooks`."""
    settings = config.current()
    if len(recipients) > settings.max_recipients:
        raise TooManyRecipients(f"At most {settings.max_recipients} recipients (To, CC and BCC) per message")
    found, subscribers = set(), None
    if hooks:
        wanted, subscribers = sorted({suppressions.as_listed(e) for e in recipients}), []
        for email_, hook_id, status, format_ in _screening(len(wanted))(domain.user_id, domain.id,
                                                                        EventType.ACCEPTED, *wanted):
            if email_ is None:
                subscribers.append(Webhook(id=hook_id, status=status, format=format_))
            else:
                found.add(email_)
    blocked = suppressions.not_allowed(domain.user_id, found) if hooks else suppressions.suppressed(domain.user_id,
                                                                                                   recipients)
    if blocked:
        raise RecipientSuppressed("Email address is in the suppression list. Email delivery is blocked: "
                                  + ", ".join(blocked))
    return subscribers


@functools.cache
def _screening(count: int):
    """One statement for `count` recipients: which are suppressed (suppressions.among_query),
    and the webhooks subscribed to (domain, user, event) (webhooks.subscribers_query), as rows
    of (address, id, status, format) with the columns of the other kind NULL."""
    null = SQL("NULL")
    return prepared(lambda user_id, domain_id, event, *emails: (
        suppressions.among_query(user_id, list(emails), null, null, null)
        + webhooks.subscribers_query(domain_id, user_id, event, null, Webhook.id, Webhook.status, Webhook.format)
    ).tuples(), count + 3)


def apply_defaults(message: EmailMessage, defaults) -> None:
    """An SMTP credential's defaults (from_email, from_name, reply_to_email, reply_to_name),
    each filled in only where the message lacks it: a From header, the display name of a
    single From address, a Reply-To header."""
    sender = message["From"]
    if sender is None and defaults.from_email:
        message["From"] = headerregistry.Address(defaults.from_name, addr_spec=defaults.from_email)
    elif defaults.from_name and len(getattr(sender, "addresses", ())) == 1 and not sender.addresses[0].display_name:
        address = sender.addresses[0].addr_spec
        message.replace_header("From", headerregistry.Address(defaults.from_name, addr_spec=address))
    if message["Reply-To"] is None and defaults.reply_to_email:
        message["Reply-To"] = headerregistry.Address(defaults.reply_to_name, addr_spec=defaults.reply_to_email)


def accept_raw(domain: SenderDomain, envelope_from: str, recipients: list[str], data: bytes,
               *, defaults=None, source: str = "smtp") -> str:
    """Queue a message a client composed itself (SMTP submission, SMTPRelay): its headers are
    kept, Bcc is removed, Message-ID and Date are added when missing, and `defaults` (the
    submitting SMTP credential) fill in what it lacks. The envelope sender, the one From mailbox
    and the Sender (if any) must be on the domain; what is stored (and signed) is the From that
    was checked, written out again."""
    check_sender(domain)
    if envelope_from.rpartition("@")[2].lower() != domain.name:
        raise ForeignSender(f"The sender {envelope_from or '<>'} must be on {domain.name}")
    message = email.message_from_bytes(data, policy=policy.SMTP)
    for part in message.walk():
        for name, value in part.raw_items():
            check_header_text(f"Header {name}", FOLD.sub("", value))
    if defaults is not None:
        apply_defaults(message, defaults)
    _own_mailbox(message, "From", domain)
    if message.get_all("Sender") is not None:
        _own_mailbox(message, "Sender", domain)
    kinds = {a.addr_spec.lower(): kind for kind in ("cc", "to") for a in getattr(message[kind], "addresses", ())}
    unique = list(dict.fromkeys(normalize_address(r).lower() for r in recipients))
    hooks = check_recipients(domain, unique)
    del message["Bcc"]
    ident = str(uuid.uuid4())
    if message["Message-ID"] is None:
        message["Message-ID"] = f"<{ident}@{domain.name}>"
    if message["Date"] is None:
        message["Date"] = email.utils.format_datetime(clock.now().replace(tzinfo=datetime.UTC))
    return _queue(_pending(domain, ident, message.as_bytes(), [(r, kinds.get(r, "bcc")) for r in unique],
                           mail_from=envelope_from, subject=str(message["Subject"] or ""), source=source, hooks=hooks))


def _own_mailbox(message, name: str, domain: SenderDomain) -> None:
    """Exactly one `name` header holding exactly one valid mailbox on the domain, read strictly:
    a second header (DKIM would sign the last), a group, a second address, or anything the parser
    had to guess at (`a@own <ceo@bank>`, folded or obsolete forms) could show another sender to
    a receiver. The header is then replaced by the checked mailbox, so nothing else goes out."""
    headers = message.get_all(name) or []
    if len(headers) != 1:
        raise ForeignSender(f"The message must have exactly one {name} header (it has {len(headers)}), "
                            f"with one address on {domain.name}")
    header = headers[0]
    groups = getattr(header, "groups", ())
    if header.defects:
        raise ForeignSender(f"The {name} header cannot be read unambiguously ({header.defects[0]}); "
                            f"it must be one mailbox on {domain.name}, as Name <you@{domain.name}>")
    if len(groups) != 1 or groups[0].display_name is not None or len(groups[0].addresses) != 1:
        raise ForeignSender(f"The {name} header must name exactly one mailbox (no group), on {domain.name}")
    mailbox = groups[0].addresses[0]
    try:
        address = normalize_address(mailbox.addr_spec)
    except InvalidAddress:
        raise ForeignSender(f"The {name} address {mailbox.addr_spec!r} is not a valid mailbox on {domain.name}") from None
    if address.rpartition("@")[2].lower() != domain.name:
        raise ForeignSender(f"The {name} address {address} must be on {domain.name}")
    message.replace_header(name, headerregistry.Address(display_name=mailbox.display_name, addr_spec=address))


@dataclasses.dataclass
class Pending:
    """A checked, composed message not yet written: `write` queues it."""
    domain: SenderDomain
    ident: str
    content: bytes
    recipients: dict[str, str]  # address: to | cc | bcc
    mail_from: str
    subject: str
    source: str
    tags: tuple[str, ...] = ()
    track_opens: bool | None = None
    track_links: bool | None = None
    send_at: datetime.datetime | None = None
    test: bool = False
    campaign: object = None  # a campaign's message: the campaign, and the contact it goes to
    contact_id: int | None = None
    hooks: list | None = None  # the webhooks of its accepted events, when check_recipients read them


def _pending(domain: SenderDomain, ident: str, content: bytes, recipients: list[tuple[str, str]], **fields) -> Pending:
    settings = config.current()
    if len(content) > settings.max_message_bytes:
        raise MessageTooLarge(f"The message is larger than {settings.max_message_bytes} bytes")
    kinds: dict[str, str] = {}
    for address, kind in recipients:
        kinds.setdefault(address, kind)  # listed twice (To and CC): the first place counts
    return Pending(domain, ident, content, kinds, **fields)


def write_all(pendings: list[Pending]) -> None:
    """The messages, a delivery per recipient and their accepted events, one INSERT per table
    for them all; call it inside the transaction that answers for them (after the quota check).
    A test message's deliveries are written already final (TEST), so no worker ever claims them."""
    if _scripted(pendings):
        return _write_script(pendings[0])
    now = clock.now()
    send_at = {p.ident: max(p.send_at or now, now) for p in pendings}
    ids = dict((uuid, id_) for id_, uuid in insert_rows(Message, [{
        "uuid": p.ident, "user": p.domain.user_id, "domain": p.domain.id,
        "message_id_header": f"<{p.ident}@{p.domain.name}>", "mail_from": p.mail_from,
        "subject": p.subject[:MAX_SUBJECT], "tags": json.dumps(list(p.tags)), "track_opens": p.track_opens,
        "track_links": p.track_links, "source": p.source, "content": p.content, "size": len(p.content),
        "created_at": now, "send_at": send_at[p.ident], "campaign": p.campaign, "contact_id": p.contact_id}
        for p in pendings], returning=("id", "uuid")))
    insert_rows(MessageTag, [{"message": ids[p.ident], "tag": tag} for p in pendings for tag in dict.fromkeys(p.tags)])
    deliveries = {(message, recipient): id_ for id_, message, recipient in insert_rows(Delivery, [{
        "message": ids[p.ident], "recipient": address, "recipient_domain": address.rpartition("@")[2], "kind": kind,
        "next_attempt_at": send_at[p.ident], "updated_at": now,
        "status": DeliveryStatus.TEST if p.test else DeliveryStatus.QUEUED,
        "last_reply": TEST_REPLY if p.test else "scheduled" if send_at[p.ident] > now else DeliveryStatus.QUEUED}
        for p in pendings for address, kind in p.recipients.items()], returning=("id", "message_id", "recipient"))}
    known = all(p.hooks is not None for p in pendings)
    events.record_all(EventType.ACCEPTED, [{
        "user": p.domain.user_id, "domain": p.domain.id, "message": ids[p.ident],
        "delivery": deliveries[(ids[p.ident], address)], "recipient": address,
        "details": _details(p, send_at[p.ident], now)} for p in pendings for address in p.recipients],
        {(EventType.ACCEPTED, p.domain.id, p.domain.user_id): p.hooks for p in pendings} if known else None)


def _details(p: Pending, send_at: datetime.datetime, now: datetime.datetime) -> dict:
    return {"subject": p.subject[:MAX_SUBJECT], "tags": list(p.tags),
            "send_at": send_at.isoformat() if send_at > now else None}


def _scripted(pendings: list[Pending]) -> bool:
    """Whether write_all writes these as one models.db.insert_script: one message of a few
    recipients, on a database that takes a script in one round trip, with its webhooks read
    already (and none batching, which enqueue_all handles)."""
    return (len(pendings) == 1 and len(pendings[0].recipients) <= SCRIPTED_RECIPIENTS
            and pendings[0].hooks is not None and not webhook_deliveries.batching(pendings[0].hooks)
            and scripts_in_one_round_trip())


def _write_script(p: Pending) -> None:
    """write_all of one message as one script: the message, its tags, then per recipient its
    delivery, its accepted event and the event's outbox rows, each referring to the rows before
    it by models.db.LastId. It is its own transaction unless the caller holds one."""
    now = clock.now()
    send_at = max(p.send_at or now, now)
    message, delivery = LastId(Message), LastId(Delivery)
    steps = [(Message, [{
        "uuid": p.ident, "user": p.domain.user_id, "domain": p.domain.id,
        "message_id_header": f"<{p.ident}@{p.domain.name}>", "mail_from": p.mail_from,
        "subject": p.subject[:MAX_SUBJECT], "tags": json.dumps(list(p.tags)), "track_opens": p.track_opens,
        "track_links": p.track_links, "source": p.source, "content": p.content, "size": len(p.content),
        "created_at": now, "send_at": send_at, "campaign": p.campaign, "contact_id": p.contact_id}]),
        (MessageTag, [{"message": message, "tag": tag} for tag in dict.fromkeys(p.tags)])]
    details = _details(p, send_at, now)
    for address, kind in p.recipients.items():
        steps.append((Delivery, [{
            "message": message, "recipient": address, "recipient_domain": address.rpartition("@")[2], "kind": kind,
            "next_attempt_at": send_at, "updated_at": now,
            "status": DeliveryStatus.TEST if p.test else DeliveryStatus.QUEUED,
            "last_reply": TEST_REPLY if p.test else "scheduled" if send_at > now else DeliveryStatus.QUEUED}]))
        steps += events.record_steps(EventType.ACCEPTED, {
            "user": p.domain.user_id, "domain": p.domain.id, "message": message, "delivery": delivery,
            "recipient": address, "details": details}, p.hooks)
    insert_script(steps)
