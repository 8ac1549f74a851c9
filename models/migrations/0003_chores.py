"""Scheduled chores: the row each chore's next run is taken from, once across all workers."""
from peewee import *


def up(migrator, db):
    class Chore(Model):
        name = CharField(unique=True, max_length=64)
        next_run_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'chore'
    db.create_tables([Chore])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('chore'))
