"""SMTP credentials for a sender domain. Passwords exist in clear only in the answer that
creates or resets them; afterwards only their argon2 hash is kept."""
from __future__ import annotations

from models import SenderDomain, SMTPCredential, User
from services import domains, secrets
from services.errors import SMTPCredentialNotFound


def add(user: User, domain_id) -> tuple[SMTPCredential, str]:
    domain = domains.get(user, domain_id)
    password = secrets.new_password()
    username = f"smtp-{secrets.new_token(5)}@{domain.name}"
    row = SMTPCredential.create(domain=domain, username=username, password_hash=secrets.hash_password(password))
    return row, password


def list_for(user: User, domain_id) -> list[SMTPCredential]:
    domain = domains.get(user, domain_id)
    return list(SMTPCredential.select().where(SMTPCredential.domain == domain).order_by(SMTPCredential.id))


def get(user: User, smtp_id) -> SMTPCredential:
    row = (SMTPCredential.select(SMTPCredential, SenderDomain).join(SenderDomain)
           .where(SMTPCredential.id == smtp_id, SenderDomain.user == user, SenderDomain.status != domains.DELETED)
           .first())
    if row is None:
        raise SMTPCredentialNotFound()
    return row


def delete(user: User, smtp_id) -> None:
    get(user, smtp_id).delete_instance()


def reset_password(user: User, smtp_id) -> tuple[SMTPCredential, str]:
    row = get(user, smtp_id)
    password = secrets.new_password()
    row.password_hash = secrets.hash_password(password)
    row.save()
    return row, password
