"""Sender-domain API keys: what applications present as `Authorization: Bearer` or SenderAPIKey."""
from __future__ import annotations

import datetime

import peewee

import clock
from models import DomainAPIKey, SenderDomain, User, UserGroup
from models.db import database
from models.vocabulary import DomainStatus, Switch
from services import domains, remembered_keys, secrets
from services.errors import AccountDisabled, APIKeyNotFound, InvalidSenderAPIKey, KeyRotationFailed

LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)  # bounds the writes a busy key causes


def _new(domain: SenderDomain, description: str) -> tuple[DomainAPIKey, str]:
    key = secrets.new_api_key()
    row = DomainAPIKey.create(domain=domain, description=description, key_hash=secrets.lookup_hash(key),
                              key_encrypted=secrets.encrypt(key))
    return row, key


def add(user: User, domain_id, description: str) -> tuple[DomainAPIKey, str]:
    return _new(domains.get(user, domain_id), description)


def replace(user: User, domain_id, description: str) -> tuple[DomainAPIKey, str]:
    """Rotate: the domain's previous keys are gone in the same transaction the new one appears."""
    domain = domains.get(user, domain_id)
    try:
        with database.atomic():
            DomainAPIKey.delete().where(DomainAPIKey.domain == domain).execute()
            replaced = _new(domain, description)
    except peewee.DatabaseError as exc:
        raise KeyRotationFailed() from exc
    remembered_keys.forget()
    return replaced


def list_for(user: User, domain_id) -> list[DomainAPIKey]:
    domain = domains.get(user, domain_id)
    return list(DomainAPIKey.select().where(DomainAPIKey.domain == domain).order_by(DomainAPIKey.id))


def key_of(row: DomainAPIKey) -> str:
    return secrets.decrypt(row.key_encrypted)


def get(user: User, key_id) -> DomainAPIKey:
    return domains.owned(DomainAPIKey, user, key_id, APIKeyNotFound)


def delete(user: User, key_id) -> None:
    get(user, key_id).delete_instance()
    remembered_keys.forget()


def authenticate(presented: str) -> DomainAPIKey:
    """The enabled key row (with its domain, user and the user's group loaded: the send checks
    read them all; remembered for a few seconds, see services.remembered_keys) for a presented
    key; a disabled owner's key is AccountDisabled (each dialect has its own code for that)."""
    digest = secrets.lookup_hash(presented or "")
    row = remembered_keys.recall(digest)
    if row is None:
        row = _lookup(digest)
        remembered_keys.remember(digest, row)
    if not row.domain.user.is_enabled:
        raise AccountDisabled()
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        DomainAPIKey.update(last_used_at=now).where(DomainAPIKey.id == row.id).execute()
        row.last_used_at = now
    return row


def _lookup(digest: str) -> DomainAPIKey:
    row = (DomainAPIKey.select(DomainAPIKey, SenderDomain, User, UserGroup).join(SenderDomain).join(User).join(UserGroup)
           .where(DomainAPIKey.key_hash == digest, DomainAPIKey.status == Switch.ENABLED,
                  SenderDomain.status != DomainStatus.DELETED).first())
    if row is None or not secrets.same(row.key_hash, digest):
        raise InvalidSenderAPIKey()
    return row
