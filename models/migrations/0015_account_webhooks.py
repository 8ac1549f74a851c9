"""Account-wide webhooks (the generic /api/v1 dialect): a webhook may belong to a user instead
of one sender domain, and carry its own signing secret."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    migrator.migrate(
        migrator.drop_not_null('webhook', 'domain_id'),
        migrator.add_column('webhook', 'user_id', ForeignKeyField(User, field=User.id, null=True, on_delete='CASCADE')),
        migrator.add_column('webhook', 'secret', TextField(default='')),
    )


def down(migrator, db):
    db.execute_sql('DELETE FROM webhook WHERE domain_id IS NULL')
    migrator.migrate(
        migrator.drop_column('webhook', 'secret'),
        migrator.drop_column('webhook', 'user_id'),
        migrator.add_not_null('webhook', 'domain_id'),
    )
