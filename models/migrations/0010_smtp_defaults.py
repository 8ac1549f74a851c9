"""Per-credential From and Reply-To defaults for SMTP submission (Octeth's GetSMTPs fields)."""
from peewee import *


def up(migrator, db):
    for column in ('from_email', 'from_name', 'reply_to_email', 'reply_to_name'):
        migrator.migrate(migrator.add_column('smtp_credential', column, CharField(max_length=255, default='')))


def down(migrator, db):
    for column in ('from_email', 'from_name', 'reply_to_email', 'reply_to_name'):
        migrator.migrate(migrator.drop_column('smtp_credential', column))
