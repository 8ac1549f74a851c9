"""Sender domains: adding, reading, updating and deleting them, with Octeth's status rules.

Statuses: Approval Pending -> (verification) Enabled | Blocked (manual approval groups);
Suspended and Blocked are set by operators and never reset by an update, a re-add or a delete.
"""
from __future__ import annotations

import base64
import re
from typing import NamedTuple

import idna
from peewee import fn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import clock
from models import DomainAPIKey, SenderDomain, SMTPCredential, User, UserGroup, Webhook
from models.db import database, prepared
from models.vocabulary import DomainStatus, Switch
from services import remembered_keys, secrets
from services.errors import (DomainLimitReached, DomainLocked, DomainNotFound, GatewayError, InvalidDomainName,
                             InvalidDomainOption, SigningKeyNotRotated)

LOCKED = (DomainStatus.SUSPENDED, DomainStatus.BLOCKED)  # operator decisions that nothing a user does can undo
RESERVED_SUFFIXES = ("localhost", "local", "invalid", "internal", "home.arpa")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_PREFIX = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
RECORD_OPTIONS = ("subdomain", "track_prefix", "track_merge", "track_prefix_disabled")


def normalize_name(name: str) -> str:
    """The ASCII (IDNA 2008, UTS 46) form of a domain name, or InvalidDomainName."""
    name = (name or "").strip().rstrip(".").lower()
    try:
        ascii_name = idna.encode(name, uts46=True, std3_rules=True).decode()
    except (idna.IDNAError, UnicodeError):
        raise InvalidDomainName() from None
    labels = ascii_name.split(".")
    reserved = any(ascii_name == s or ascii_name.endswith("." + s) for s in RESERVED_SUFFIXES)
    if (len(labels) < 2 or len(ascii_name) > 253 or reserved or labels[-1].isdigit()
            or not all(_LABEL.match(label) for label in labels)):
        raise InvalidDomainName()
    return ascii_name


def check_options(subdomain: str | None = None, track_prefix: str | None = None, track_merge: str | None = None) -> None:
    if subdomain and not all(_LABEL.match(label) for label in subdomain.lower().split(".")):
        raise InvalidDomainOption("Invalid subdomain: use letters, digits and hyphens")
    if track_prefix and not _PREFIX.match(track_prefix.lower()):
        raise InvalidDomainOption("Invalid track prefix: letters, digits and hyphens, at most 32")
    if track_merge is not None and track_merge not in ("-", ".", ""):
        raise InvalidDomainOption("Invalid track merge: use '-', '.' or nothing")


DKIM_KEY_BITS = (1024, 2048)


def _dkim_key_pair(bits: int = 2048) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def _key_material(dkim_bits: int = 2048) -> dict:
    private, public = _dkim_key_pair(dkim_bits)
    return dict(dkim_selector=f"gp{clock.now():%Y%m}", dkim_private_key=secrets.encrypt(private),
                dkim_public_key=public, signing_key=secrets.encrypt(secrets.new_signing_key()),
                ownership_token=secrets.new_token(16))


def add(user: User, name: str, *, subdomain: str = "", track_prefix: str = "", track_merge: str = "-",
        track_prefix_disabled: bool = False, dkim_bits: int = 2048) -> SenderDomain:
    """Add a sender domain. Re-adding a deleted one revives it as Approval Pending; re-adding
    a live one returns it unchanged (so Suspended/Blocked stay so). `dkim_bits`: 1024 or 2048,
    for DNS hosts that cannot publish a TXT record of a 2048-bit key."""
    name = normalize_name(name)
    if dkim_bits not in DKIM_KEY_BITS:
        raise InvalidDomainOption("The DKIM key length must be 1024 or 2048")
    check_options(subdomain, track_prefix, track_merge)
    options = dict(subdomain=(subdomain or "").lower(), track_prefix=(track_prefix or "").lower(),
                   track_merge=track_merge, track_prefix_disabled=bool(track_prefix_disabled))
    with database.atomic():
        existing = SenderDomain.get_or_none(SenderDomain.user == user, SenderDomain.name == name)
        if existing is not None and existing.status != DomainStatus.DELETED:
            return existing
        limit = user.domain_limit
        live = SenderDomain.select().where(SenderDomain.user == user, SenderDomain.status != DomainStatus.DELETED).count()
        if limit and live >= limit:
            raise DomainLimitReached()
        if existing is not None:
            for field, value in dict(options, status=DomainStatus.PENDING, status_reason="", verification="",
                                     verification_failures=0, verified_at=None, created_at=clock.now()).items():
                setattr(existing, field, value)
            existing.save()
            return existing
        return SenderDomain.create(user=user, name=name, **options, **_key_material(dkim_bits))


def get(user: User, domain_id) -> SenderDomain:
    """The user's live domain with this id; another user's id is indistinguishable from none."""
    domain = SenderDomain.get_or_none(SenderDomain.id == domain_id, SenderDomain.user == user,
                                      SenderDomain.status != DomainStatus.DELETED)
    if domain is None:
        raise DomainNotFound()
    return domain


def by_name(user: User, name: str) -> SenderDomain:
    """The user's live domain with this name (any spelling normalize_name reads), with its user
    and group (the send checks read them); DomainNotFound otherwise, for a name that is no
    domain name too."""
    try:
        name = normalize_name(name)
    except InvalidDomainName:
        raise DomainNotFound() from None
    found = _live_domain_named(name, getattr(user, "id", user))
    if not found:
        raise DomainNotFound()
    return found[0]


_live_domain_named = prepared(lambda name, user_id: (
    SenderDomain.select(SenderDomain, User, UserGroup).join(User).join(UserGroup)
    .where(SenderDomain.name == name, SenderDomain.user == user_id, SenderDomain.status != DomainStatus.DELETED)))


def of_address(user: User, address: str) -> SenderDomain:
    """The user's live domain an address (already normalized) is on."""
    try:
        return by_name(user, address.rpartition("@")[2])
    except DomainNotFound:
        raise DomainNotFound(f"{address} is not on one of your sender domains") from None


def owned(model, user: User, row_id, missing: type[Exception]):
    """A row hanging off a domain (API key, SMTP credential, webhook), if it is the user's and
    its domain is live; `missing` otherwise, the same for another user's row as for none."""
    row = (model.select(model, SenderDomain).join(SenderDomain)
           .where(model.id == row_id, SenderDomain.user == user, SenderDomain.status != DomainStatus.DELETED).first())
    if row is None:
        raise missing()
    return row


def find_live(name_or_id: str) -> list[SenderDomain]:
    """Live domains by name (any user's: the operator's view) or by numeric id."""
    query = SenderDomain.select(SenderDomain, User).join(User).where(SenderDomain.status != DomainStatus.DELETED)
    if name_or_id.isdigit():
        return list(query.where(SenderDomain.id == int(name_or_id)))
    try:
        return list(query.where(SenderDomain.name == normalize_name(name_or_id)))
    except InvalidDomainName:
        return []


def list_all(statuses: tuple[str, ...] | None = None) -> list[SenderDomain]:
    """Every user's live domains (the operators' view), optionally of some statuses only."""
    query = SenderDomain.select(SenderDomain, User).join(User).where(SenderDomain.status != DomainStatus.DELETED)
    if statuses:
        query = query.where(SenderDomain.status.in_(list(statuses)))
    return list(query.order_by(SenderDomain.id))


def list_for(user: User) -> list[SenderDomain]:
    return _live_domains(user.id)


def _live(user_id, *columns):
    """A user's domains that are not deleted, in the order they were added."""
    return SenderDomain.select(*columns).where(
        SenderDomain.user == user_id, SenderDomain.status != DomainStatus.DELETED).order_by(SenderDomain.id)


_live_domains = prepared(lambda user_id: _live(user_id))


class Listed(NamedTuple):
    """What a domain listing shows of a domain (its view and its DNS records), read as plain
    rows: making model instances of every column, keys included, was a fifth of GetDomains."""
    id: int
    name: str
    status: str
    created_at: object
    link_tracking: bool
    open_tracking: bool
    unsubscribe_link: bool
    hosting_provider: str
    subdomain: str
    track_prefix: str
    track_merge: str
    track_prefix_disabled: bool
    dkim_selector: str
    dkim_public_key: str
    ownership_token: str
    verification: str


def listing(user: User) -> list[Listed]:
    """`list_for`'s domains, as Listed rows."""
    return [Listed._make(row) for row in _listed(user.id)]


_listed = prepared(lambda user_id: _live(user_id, *(SenderDomain._meta.fields[f] for f in Listed._fields)).tuples())


def counts(domain_ids) -> dict[int, dict[str, int]]:
    """Enabled API keys, SMTP credentials and webhooks per domain, in one grouped query each."""
    found = {i: {"api_keys": 0, "smtp_credentials": 0, "webhooks": 0} for i in domain_ids}
    for name, model in (("api_keys", DomainAPIKey), ("smtp_credentials", SMTPCredential), ("webhooks", Webhook)):
        rows = (model.select(model.domain, fn.COUNT(model.id))
                .where(model.domain.in_(domain_ids), model.status == Switch.ENABLED).group_by(model.domain).tuples())
        for domain_id, n in rows:
            found[domain_id][name] = n
    return found


def update(user: User, domain_id, **changes) -> tuple[SenderDomain, bool]:
    """Apply the given options (None = leave alone). Changing what the DNS records are made of
    puts the domain back to Approval Pending unless an operator has locked it.
    Returns (domain, records_changed)."""
    changes = {k: v for k, v in changes.items() if v is not None}
    check_options(changes.get("subdomain"), changes.get("track_prefix"), changes.get("track_merge"))
    for key in ("subdomain", "track_prefix"):
        if key in changes:
            changes[key] = changes[key].lower()
    with database.atomic():
        domain = get(user, domain_id)
        records_changed = any(k in changes and changes[k] != getattr(domain, k) for k in RECORD_OPTIONS)
        for field, value in changes.items():
            setattr(domain, field, value)
        if records_changed and domain.status not in LOCKED:
            domain.status, domain.verification, domain.verified_at = DomainStatus.PENDING, "", None
        domain.save()
    remembered_keys.forget()
    return domain, records_changed


def delete(user: User, domain_id) -> None:
    """Soft delete (history keeps pointing at the row); its keys, credentials and webhooks go."""
    with database.atomic():
        domain = get(user, domain_id)
        if domain.status in LOCKED:
            raise DomainLocked()
        for child in (DomainAPIKey, SMTPCredential, Webhook):
            child.delete().where(child.domain == domain).execute()
        domain.status = DomainStatus.DELETED
        domain.save()
    remembered_keys.forget()


def signing_key(domain: SenderDomain) -> str:
    return secrets.decrypt(domain.signing_key)


def regenerate_signing_key(user: User, domain_id) -> str:
    domain = get(user, domain_id)
    key = secrets.new_signing_key()
    changed = (SenderDomain.update(signing_key=secrets.encrypt(key), previous_signing_key=domain.signing_key,
                                   signing_key_rotated_at=clock.now())
               .where(SenderDomain.id == domain.id, SenderDomain.status != DomainStatus.DELETED).execute())
    if not changed:  # deleted between the read and the write
        raise SigningKeyNotRotated()
    return key


APPROVABLE = (DomainStatus.BLOCKED, DomainStatus.PENDING)


class NotAwaitingApproval(GatewayError):
    """Only a Blocked or Approval Pending domain can be approved"""


def approve(domain: SenderDomain) -> None:
    """An operator approves a domain that verified in a manual-approval group (or vouches for one)."""
    if domain.status not in APPROVABLE:
        raise NotAwaitingApproval(f"{domain.name} is {domain.status}; only {', '.join(APPROVABLE)} can be approved")
    set_status(domain, DomainStatus.ENABLED, f"set by operator ({DomainStatus.ENABLED})")


def set_status(domain: SenderDomain, status: str, reason: str = "") -> None:
    """Operators' transitions (approve, suspend, block, enable)."""
    SenderDomain.update(status=status, status_reason=reason).where(SenderDomain.id == domain.id).execute()
    remembered_keys.forget()
    domain.status, domain.status_reason = status, reason
