"""Worker liveness: one row per running worker, its `last_seen` renewed every few seconds, so a
lease held by a worker that stopped beating is free at once instead of when it expires."""
from peewee import CharField, DateTimeField

from clock import now
from models.db import BaseModel


class WorkerHeartbeat(BaseModel):
    name = CharField(max_length=64, unique=True)  # the lease_owner its leases carry
    started_at = DateTimeField(default=now)
    last_seen = DateTimeField(default=now)
