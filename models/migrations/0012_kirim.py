"""Kirim.Email's dialect: SMTP credentials get a name; the suppression allow-list (whitelist)."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SuppressionAllow(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        recipient = CharField(max_length=320)
        recipient_type = CharField(max_length=10)
        description = TextField(default='')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'suppression_allow'
            indexes = ((('user', 'recipient'), True),)

    migrator.migrate(migrator.add_column('smtp_credential', 'name', CharField(max_length=255, default='')))
    db.create_tables([SuppressionAllow])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('suppression_allow'))
    migrator.migrate(migrator.drop_column('smtp_credential', 'name'))
