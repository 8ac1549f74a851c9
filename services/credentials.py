"""Credentials of the kinds the dialects present, issued and looked up in one way.

Every kind keeps only a keyed hash of its secret (secrets.lookup_hash, as Octeth's keys are
looked up today), so a secret is shown once, when it is issued. A kind says how its secret
looks, whether it has a public half (an OAuth client id), whether it expires, and which keys
the issuing answer has (what `gatepost credentials create --json` prints and what a dialect
hands its client). Octeth's own keys (a user's APIKey, sender-domain API keys, SMTP passwords)
predate this service and keep their tables and lookups unchanged.
"""
from __future__ import annotations

import dataclasses
import datetime
import secrets as random
from typing import Callable

import peewee

import clock
from models import Credential, SenderDomain, User
from models.db import row_id
from services import secrets
from services.errors import AuthenticationFailed, GatewayError, NotFound

LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)  # bounds the writes a busy credential causes


class UnknownKind(GatewayError):
    """Unknown credential kind"""


class CredentialNotFound(NotFound):
    """Credential not found or access denied"""


@dataclasses.dataclass(frozen=True)
class Kind:
    """`secret(test)` makes a new secret; `shown(row, user, secret)` is the issuing answer."""
    name: str
    description: str
    secret: Callable[[bool], str]
    shown: Callable[[Credential, User, str], dict]
    public_id: bool = False  # has a public half, looked up with the secret (client_id + client_secret)
    ttl: datetime.timedelta | None = None
    issued_by_operator: bool = True  # False: only a dialect issues it (an OAuth access token)


def _token(nbytes: int = 24) -> str:
    return random.token_urlsafe(nbytes)


KINDS = {kind.name: kind for kind in (
    Kind("kirim", "HTTP Basic username:api-key (Kirim.Email)", lambda test: random.token_hex(24),
         lambda row, user, secret: {"username": user.email, "api_key": secret}),
    Kind("sendpulse", "OAuth2 client credentials (SendPulse)", lambda test: random.token_hex(24),
         lambda row, user, secret: {"client_id": row.public_id, "client_secret": secret}, public_id=True),
    Kind("sendpulse-token", "OAuth2 bearer access token (SendPulse)", lambda test: _token(32),
         lambda row, user, secret: {"access_token": secret, "token_type": "Bearer", "expires_in": 3600},
         ttl=datetime.timedelta(hours=1), issued_by_operator=False),
    Kind("smtpprovider", "Personal access token id|token (SMTP-provider API)", lambda test: random.token_hex(20),
         lambda row, user, secret: {"token": f"{row.id}|{secret}"}),
    Kind("autorelay", "Prefixed bearer key sk_live_/sk_test_ (generic /api/v1)",
         lambda test: ("sk_test_" if test else "sk_live_") + random.token_hex(24),
         lambda row, user, secret: {"key": secret}),
)}


def kind_of(name: str) -> Kind:
    try:
        return KINDS[(name or "").strip().lower()]
    except KeyError:
        raise UnknownKind(f"Unknown credential kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


def issue(user: User, kind: str, *, domain: SenderDomain | None = None, name: str = "", test: bool = False,
          parent: Credential | None = None) -> tuple[Credential, dict]:
    """A new credential and its issuing answer (the only time its secret is seen)."""
    spec = kind_of(kind)
    secret = spec.secret(test)
    now = clock.now()
    row = Credential.create(kind=spec.name, user=user, domain=domain, parent=parent, name=name[:255], test=test,
                            public_id=random.token_hex(16) if spec.public_id else None,
                            secret_hash=secrets.lookup_hash(secret), created_at=now,
                            expires_at=now + spec.ttl if spec.ttl else None)
    return row, spec.shown(row, user, secret)


def authenticate(kind: str, secret: str, public_id: str | None = None) -> Credential:
    """The live credential of `kind` for a presented secret (and public half, for kinds that
    have one), with its user loaded; AuthenticationFailed otherwise, the same for every cause."""
    spec = kind_of(kind)
    digest = secrets.lookup_hash(secret or "")
    row = (Credential.select(Credential, User).join(User)
           .where(Credential.secret_hash == digest, Credential.kind == spec.name).first())
    now = clock.now()
    if (row is None or not secrets.same(row.secret_hash, digest) or row.revoked_at is not None
            or (row.expires_at is not None and row.expires_at <= now) or not row.user.is_enabled
            or (spec.public_id and not secrets.same(row.public_id or "", public_id or ""))):
        raise AuthenticationFailed()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        Credential.update(last_used_at=now).where(Credential.id == row.id).execute()
        row.last_used_at = now
    return row


def list_for(user: User, kind: str | None = None) -> list[Credential]:
    query = Credential.select().where(Credential.user == user)
    if kind:
        query = query.where(Credential.kind == kind_of(kind).name)
    return list(query.order_by(Credential.id))


def revoke(user: User, credential_id) -> Credential:
    """Revoke a credential and everything issued under it (an OAuth client's tokens)."""
    try:
        row = Credential.get(Credential.id == row_id(credential_id), Credential.user == user)
    except peewee.DoesNotExist:
        raise CredentialNotFound() from None
    now = clock.now()
    Credential.update(revoked_at=now).where(((Credential.id == row.id) | (Credential.parent == row.id)),
                                            Credential.revoked_at.is_null()).execute()
    row.revoked_at = row.revoked_at or now
    return row


def prune_expired(before: datetime.datetime) -> int:
    """Delete credentials that expired before `before` (bearer tokens: one an hour per client)."""
    return Credential.delete().where(Credential.expires_at < before).execute()


def view(row: Credential) -> dict:
    """What listing a credential may show: never the secret."""
    return {"id": row.id, "kind": row.kind, "name": row.name, "public_id": row.public_id,
            "domain": row.domain.name if row.domain_id else None, "test": row.test,
            "created_at": row.created_at, "last_used_at": row.last_used_at, "expires_at": row.expires_at,
            "revoked_at": row.revoked_at}
