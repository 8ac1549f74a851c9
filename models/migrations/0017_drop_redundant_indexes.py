"""Indexes that another index of their table begins with: every row written paid for them (an
accept wrote 23 pages to SQLite's log, 18 without them), and every query they could serve the
longer index serves, as it serves the foreign key (MySQL requires one)."""
from peewee import Entity, Index, Table

REDUNDANT = (  # table, index, its columns
    ("message", "message_user_id", ("user_id",)), ("message", "message_campaign_id", ("campaign_id",)),
    ("event", "event_user_id", ("user_id",)), ("event", "event_domain_id", ("domain_id",)),
    ("contact", "contact_list_id", ("list_id",)), ("credential", "credential_user_id", ("user_id",)),
    ("sender", "sender_domain_id", ("domain_id",)), ("sender_domain", "senderdomain_user_id", ("user_id",)),
    ("suppression", "suppression_user_id", ("user_id",)),
    ("suppression_allow", "suppressionallow_user_id", ("user_id",)),
    ("template", "template_user_id", ("user_id",)), ("template_version", "templateversion_template_id", ("template_id",)),
    ("webhook_event", "webhookevent_webhook_id", ("webhook_id",)))


def up(migrator, db):
    migrator.migrate(*(migrator.drop_index(table, name) for table, name, _ in REDUNDANT))


def down(migrator, db):
    for table, name, columns in REDUNDANT:  # by their own names (add_index would name some otherwise)
        db.execute(Index(name, Table(table), [Entity(column) for column in columns]))
