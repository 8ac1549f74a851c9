"""A send rate per sender domain from the user group: messages a second, with a burst."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('user_group', 'send_rate_per_second', IntegerField(default=0)),
        migrator.add_column('user_group', 'send_rate_burst', IntegerField(default=0)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('user_group', 'send_rate_per_second'),
        migrator.drop_column('user_group', 'send_rate_burst'),
    )
