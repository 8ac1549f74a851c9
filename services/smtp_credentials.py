"""SMTP credentials for a sender domain. Passwords exist in clear only in the answer that
creates or resets them; afterwards only their argon2 hash is kept. A credential may carry
From and Reply-To defaults that submission fills into messages lacking them
(sending.apply_defaults)."""
from __future__ import annotations

import re
import time

import peewee

from models import SenderDomain, SMTPCredential, User
from models.db import database
from models.vocabulary import DomainStatus, Switch
from services import addresses, domains, secrets
from services.errors import (AuthenticationFailed, InvalidAddress, InvalidSMTPDefaults, SMTPCredentialExists,
                             SMTPCredentialNotFound)

MAX_NAME = 255  # what the columns hold
LOCAL_PART = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")  # a chosen username, before @domain


def _name(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidSMTPDefaults(f"{field} must be at most {MAX_NAME} characters without control characters")
    return value


def _address(value: str, field: str) -> str:
    if not (value or "").strip():
        return ""
    try:
        return addresses.normalize_address(value)
    except InvalidAddress as exc:
        raise InvalidSMTPDefaults(f"{field} is not a valid email address: {exc}") from None


def add(user: User, domain_id, *, from_email: str = "", from_name: str = "", reply_to_email: str = "",
        reply_to_name: str = "", name: str = "", username: str = "") -> tuple[SMTPCredential, str]:
    """FromEmail must be on the domain, as every From header submitted with the credential must.
    `username` chooses the login's local part (`<username>@<domain>`); else one is made up."""
    domain = domains.get(user, domain_id)
    chosen = (username or "").strip().lower().removesuffix("@" + domain.name)
    if chosen and not LOCAL_PART.fullmatch(chosen):
        raise InvalidSMTPDefaults("username: 1 to 64 letters, digits, '.', '_' or '-', starting and ending with "
                                  "a letter or digit")
    defaults = {"from_email": _address(from_email, "FromEmail"), "from_name": _name(from_name, "FromName"),
                "reply_to_email": _address(reply_to_email, "ReplyToEmail"),
                "reply_to_name": _name(reply_to_name, "ReplyToName")}
    if defaults["from_email"] and defaults["from_email"].rpartition("@")[2].lower() != domain.name:
        raise InvalidSMTPDefaults(f"FromEmail must be on {domain.name}")
    password = secrets.new_password()
    username = f"{chosen or 'smtp-' + secrets.new_token(5)}@{domain.name}"  # lower case: looked up as typed, folded
    try:
        with database.atomic():
            row = SMTPCredential.create(domain=domain, username=username, name=_name(name, "name"),
                                        password_hash=secrets.hash_password(password), **defaults)
    except peewee.IntegrityError:
        raise SMTPCredentialExists(f"The SMTP username {username} is taken") from None
    return row, password


def list_for(user: User, domain_id) -> list[SMTPCredential]:
    domain = domains.get(user, domain_id)
    return list(SMTPCredential.select().where(SMTPCredential.domain == domain).order_by(SMTPCredential.id))


def get(user: User, smtp_id) -> SMTPCredential:
    return domains.owned(SMTPCredential, user, smtp_id, SMTPCredentialNotFound)


def delete(user: User, smtp_id) -> None:
    get(user, smtp_id).delete_instance()


def reset_password(user: User, smtp_id) -> tuple[SMTPCredential, str]:
    row = get(user, smtp_id)
    password = secrets.new_password()
    row.password_hash = secrets.hash_password(password)
    row.save()
    return row, password


def current(credential_id: int) -> SMTPCredential:
    """An authenticated session's credential as it is now (it may have been deleted or its
    domain deleted since AUTH), with its domain and user loaded."""
    row = (SMTPCredential.select(SMTPCredential, SenderDomain, User).join(SenderDomain).join(User)
           .where(SMTPCredential.id == credential_id, SMTPCredential.status == Switch.ENABLED,
                  SenderDomain.status != DomainStatus.DELETED).first())
    if row is None:
        raise AuthenticationFailed("The SMTP credential is no longer valid")
    return row


_VERIFIED: dict[tuple[int, str, str], float] = {}  # (credential, its hash, digest of password) -> until
VERIFIED_FOR = 600.0  # seconds a checked password is trusted again without argon2 (mailers reconnect often)


def authenticate(username: str, password: str) -> SMTPCredential:
    """The enabled credential (with its domain and user loaded) for a username and password."""
    row = (SMTPCredential.select(SMTPCredential, SenderDomain, User).join(SenderDomain).join(User)
           .where(SMTPCredential.username == (username or "").strip().lower(), SMTPCredential.status == Switch.ENABLED,
                  SenderDomain.status != DomainStatus.DELETED).first())
    if row is None:
        secrets.verify_password(_DUMMY_HASH, password or "")  # same work either way: no user enumeration
        raise AuthenticationFailed()
    key = (row.id, row.password_hash, secrets.lookup_hash(password or ""))
    now = time.monotonic()
    if _VERIFIED.get(key, 0) < now:
        if not secrets.verify_password(row.password_hash, password or ""):
            raise AuthenticationFailed()
        if len(_VERIFIED) >= 10_000:  # bounded: forget what expired (everything, if need be)
            for stale in [k for k, until in _VERIFIED.items() if until < now] or list(_VERIFIED):
                del _VERIFIED[stale]
        _VERIFIED[key] = now + VERIFIED_FOR
    return row


_DUMMY_HASH = secrets.hash_password("not a password anyone has")
