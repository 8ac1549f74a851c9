"""Periodic chores shared by every worker: each runs once per interval across all of them.
A chore's row holds its next run time; the worker whose conditional UPDATE moves it forward
runs the chore, the others see zero rows changed. No cron, no lock held while it runs."""
from __future__ import annotations

import datetime
import logging
from typing import Callable

import peewee

import clock
from models import Chore
from models.db import database

log = logging.getLogger(__name__)


def take(name: str, interval: datetime.timedelta) -> bool:
    """True for exactly one caller per interval."""
    now = clock.now()
    try:
        with database.atomic():
            Chore.create(name=name, next_run_at=now)
    except peewee.IntegrityError:
        pass
    return bool(Chore.update(next_run_at=now + interval)
                .where(Chore.name == name, Chore.next_run_at <= now).execute())


def run_due(schedule: dict[str, tuple[datetime.timedelta, Callable[[], object]]]) -> list[str]:
    """Run each chore of `schedule` ({name: (interval, function)}) whose turn this is."""
    ran = []
    for name, (interval, chore) in schedule.items():
        if take(name, interval):
            try:
                outcome = chore()
                if outcome:  # a chore that found nothing to do (most passes of a frequent one) says nothing
                    log.info("chore %s: %s", name, outcome)
            except Exception:
                log.exception("chore %s failed", name)
            ran.append(name)
    return ran
