"""Worker heartbeats: a lease whose owner stopped beating is free before it expires."""
from peewee import *


def up(migrator, db):
    class WorkerHeartbeat(Model):
        name = CharField(unique=True, max_length=64)
        started_at = DateTimeField()
        last_seen = DateTimeField()
        class Meta:
            database = db
            table_name = 'worker_heartbeat'
    db.create_tables([WorkerHeartbeat])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('worker_heartbeat'))
