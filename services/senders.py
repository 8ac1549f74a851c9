"""Who a user sends as: the sender domain of a From address, the sender addresses a user names
(with the display name they go out under), and the installation's sending IP addresses.

A dialect whose credential belongs to a user, not to one sender domain, finds the domain from
the From address here; `sending.accept` then applies the domain's own rules (Enabled, quotas)."""
from __future__ import annotations

import ipaddress

import peewee

import config
from models import SenderAddress, SenderDomain, User
from models.vocabulary import DomainStatus
from services import dns, domains
from services.addresses import normalize_address
from services.errors import ForeignSender, NotFound


class SenderNotFound(NotFound):
    """Sender not found"""


def domain_for(user: User, address: str, only: SenderDomain | None = None) -> SenderDomain:
    """The user's live sender domain of `address` (InvalidAddress when it is no address;
    ForeignSender when no domain of the user has it, or it is not `only` when one is given)."""
    name = normalize_address(address).rpartition("@")[2].lower()
    domain = (SenderDomain.select().where(SenderDomain.user == user, SenderDomain.name == name,
                                          SenderDomain.status != DomainStatus.DELETED).first())
    if domain is None or (only is not None and domain.id != only.id):
        raise ForeignSender(f"{name} is not a sender domain of this account")
    domain.user = user
    return domain


def add(user: User, email: str, name: str = "") -> SenderAddress:
    """Name a sender address (on one of the user's domains); naming it again changes its name."""
    address = normalize_address(email).lower()
    domain_for(user, address)
    try:
        return SenderAddress.create(user=user, email=address, name=name.strip()[:255])
    except peewee.IntegrityError:
        SenderAddress.update(name=name.strip()[:255]).where(SenderAddress.user == user,
                                                             SenderAddress.email == address).execute()
        return SenderAddress.get(SenderAddress.user == user, SenderAddress.email == address)


def remove(user: User, email: str) -> None:
    address = str(email or "").strip().lower()
    if not SenderAddress.delete().where(SenderAddress.user == user, SenderAddress.email == address).execute():
        raise SenderNotFound()


def list_for(user: User) -> list[tuple[SenderAddress, bool]]:
    """The user's named senders, each with whether it may send now (its domain is Enabled)."""
    enabled = {d.name for d in domains.list_for(user) if d.status == DomainStatus.ENABLED}
    return [(s, s.email.rpartition("@")[2] in enabled)
            for s in SenderAddress.select().where(SenderAddress.user == user).order_by(SenderAddress.id)]


def name_of(user: User, email: str) -> str:
    """The display name a named sender goes out under ("" when it is not named)."""
    row = SenderAddress.get_or_none(SenderAddress.user == user, SenderAddress.email == email.strip().lower())
    return row.name if row else ""


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
