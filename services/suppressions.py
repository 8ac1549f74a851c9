"""Recipients a user must not mail again: hard bounces, complaints, unsubscribes, operators' entries."""
from __future__ import annotations

import peewee

from models import Suppression, User
from models.db import database

REASONS = ("hard-bounce", "complaint", "unsubscribe", "manual")


def add(user: User | int, email: str, reason: str, detail: str = "") -> None:
    """Idempotent: an address already suppressed keeps its first reason."""
    try:
        with database.atomic():
            Suppression.create(user=user, email=email.strip().lower(), reason=reason, detail=detail[:1000])
    except peewee.IntegrityError:
        pass


def remove(user: User, email: str) -> bool:
    return bool(Suppression.delete().where(Suppression.user == user, Suppression.email == email.strip().lower())
                .execute())


def suppressed(user: User, emails: list[str]) -> list[str]:
    """Which of `emails` are suppressed for `user` (lower case)."""
    wanted = {e.strip().lower() for e in emails}
    if not wanted:
        return []
    return sorted(s.email for s in Suppression.select(Suppression.email)
                  .where(Suppression.user == user, Suppression.email.in_(list(wanted))))


def list_for(user: User) -> list[Suppression]:
    return list(Suppression.select().where(Suppression.user == user).order_by(Suppression.email))
