"""Sender addresses of a user's domains (the display name each goes out under), their
verification, the sender domain of a From address and the installation's sending IPs.

Verification is a mail to the address (from the installation's sender) with a link; following it
proves the mailbox is the user's.

The link's token is the sender's id, an expiry and an HMAC over both and the address: nothing is
stored for it, and it stops working when the sender is removed (or its id comes back for another
address). Verification mail to one address goes at most once a minute."""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ipaddress
from html import escape

import peewee

import clock
import config
from models import SenderDomain, Sender, User
from models.db import database
from models.vocabulary import DomainStatus
from services import dns, domains, secrets, system_mail
from services.addresses import normalize_address
from services.errors import ForeignSender, GatewayError, InvalidAddress, NotFound

LINK_TTL = datetime.timedelta(days=7)
RESEND_AFTER = datetime.timedelta(minutes=1)
SUBJECT = "Confirm your sender address"


class SenderExists(GatewayError):
    """The sender address already exists for this domain"""


class SenderNotFound(NotFound):
    """Sender not found or access denied"""


class SenderAlreadyVerified(GatewayError):
    """The sender address is already verified"""


class VerificationTooSoon(GatewayError):
    """A verification mail was sent to this address less than a minute ago"""


class BadConfirmation(NotFound):
    """This confirmation link is invalid or has expired"""


def add(user: User, domain_name: str, email: str, name: str = "") -> Sender:
    """A new sender on one of the user's live domains; its address must be on that domain."""
    domain = domains.by_name(user, domain_name)
    address = normalize_address(email).lower()
    if address.rpartition("@")[2] != domain.name:
        raise ForeignSender(f"The sender address must be on {domain.name}")
    try:
        with database.atomic():
            return Sender.create(domain=domain, email=address, name=(name or "").strip())
    except peewee.IntegrityError:
        raise SenderExists() from None


def _live(user: User):
    return (Sender.select(Sender, SenderDomain).join(SenderDomain)
            .where(SenderDomain.user == user, SenderDomain.status != DomainStatus.DELETED))


def list_for(user: User) -> list[Sender]:
    return list(_live(user).order_by(Sender.id))


def get(user: User, email: str) -> Sender:
    try:
        address = normalize_address(email).lower()
    except InvalidAddress:
        raise SenderNotFound() from None
    found = _live(user).where(Sender.email == address).first()
    if found is None:
        raise SenderNotFound()
    return found


def _mac(sender_id: int, expires: int, email: str) -> str:
    key = secrets.derive(config.current().secret_key, b"gatepost sender verification")
    digest = hmac.new(key, f"{sender_id}.{expires}.{email}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token(sender: Sender) -> str:
    expires = int((clock.now() + LINK_TTL).replace(tzinfo=datetime.UTC).timestamp())
    return f"{sender.id}.{expires}.{_mac(sender.id, expires, sender.email)}"


def request_verification(sender: Sender, link_base: str) -> str:
    """Mail `link_base` + a token to the sender's address; the MessageID."""
    now = clock.now()
    if sender.verified_at is not None:
        raise SenderAlreadyVerified()
    if sender.verification_sent_at is not None and now - sender.verification_sent_at < RESEND_AFTER:
        raise VerificationTooSoon()
    link = link_base + token(sender)
    html = (f"<p>Someone asked to send mail as <b>{escape(sender.email)}</b>.</p>\n"
            f"<p><a href=\"{escape(link)}\">Confirm this sender address</a> (the link works for "
            f"{LINK_TTL.days} days).</p>\n<p>If it was not you, ignore this message.</p>\n")
    text = (f"Someone asked to send mail as {sender.email}.\n\nConfirm this sender address: {link}\n"
            f"(the link works for {LINK_TTL.days} days)\n\nIf it was not you, ignore this message.\n")
    message_id = system_mail.send(sender.email, SUBJECT, html, text, tags=("sender-verification",),
                                  requested_by=sender.domain.user)
    Sender.update(verification_sent_at=now).where(Sender.id == sender.id).execute()
    sender.verification_sent_at = now
    return message_id


def confirm(link_token: str) -> Sender:
    """Verify the sender a token names (again is fine); BadConfirmation for a forged, damaged or
    expired token, or a sender that is gone."""
    parts = link_token.split(".") if isinstance(link_token, str) else []
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 19 for p in parts[:2]):
        raise BadConfirmation()
    sender_id, expires = int(parts[0]), int(parts[1])
    if sender_id >= 2 ** 63 or expires < clock.now().replace(tzinfo=datetime.UTC).timestamp():
        raise BadConfirmation()
    sender = (Sender.select(Sender, SenderDomain).join(SenderDomain)
              .where(Sender.id == sender_id, SenderDomain.status != DomainStatus.DELETED).first())
    if sender is None or not hmac.compare_digest(parts[2], _mac(sender_id, expires, sender.email)):
        raise BadConfirmation()
    if sender.verified_at is None:
        sender.verified_at = clock.now()
        Sender.update(verified_at=sender.verified_at).where(Sender.id == sender.id).execute()
    return sender


def domain_for(user: User, address: str, only: SenderDomain | None = None) -> SenderDomain:
    """The user's live sender domain of `address`, for dialects whose credential is the user's,
    not one domain's (InvalidAddress when it is no address; ForeignSender when no domain of the
    user has it, or it is not `only` when one is given)."""
    name = normalize_address(address).rpartition("@")[2].lower()
    domain = (SenderDomain.select().where(SenderDomain.user == user, SenderDomain.name == name,
                                          SenderDomain.status != DomainStatus.DELETED).first())
    if domain is None or (only is not None and domain.id != only.id):
        raise ForeignSender(f"{name} is not a sender domain of this account")
    domain.user = user
    return domain


def name(user: User, email: str, display_name: str = "") -> Sender:
    """Name a sender address on one of the user's domains; naming it again changes its name."""
    address = normalize_address(email).lower()
    domain = domain_for(user, address)
    try:
        with database.atomic():
            return Sender.create(domain=domain, email=address, name=display_name.strip()[:255])
    except peewee.IntegrityError:
        Sender.update(name=display_name.strip()[:255]).where(Sender.domain == domain, Sender.email == address).execute()
        return Sender.get(Sender.domain == domain, Sender.email == address)


def remove(user: User, email: str) -> None:
    found = _live(user).where(Sender.email == str(email or "").strip().lower()).first()
    if found is None:
        raise SenderNotFound()
    found.delete_instance()


def name_of(user: User, email: str) -> str:
    """The display name a named sender goes out under ("" when it is not named)."""
    found = _live(user).where(Sender.email == email.strip().lower()).first()
    return found.name if found else ""


def sending_ips() -> list[str]:
    """The addresses mail leaves from: the mail host's A/AAAA records (empty when unknown)."""
    host = config.current().mail_host
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        return dns.addresses(host)
    except dns.DNSTimeout:
        return []
