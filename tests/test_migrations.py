"""The migrations build exactly the schema the models describe, on whichever backend runs."""
from playhouse.schema_diff import diff_models

from models import MODELS
from models.db import database, pending_migrations


def test_no_migration_is_pending_and_the_schema_matches_the_models(settings):
    assert pending_migrations() == []
    diff = diff_models(database.obj, MODELS)
    assert not diff, str(diff)


def test_every_foreign_key_leads_an_index_and_no_index_repeats_the_start_of_another(settings):
    """A foreign key's column first in some index (a parent's delete finds its children without a
    scan; MySQL requires it), and no index that another one of its table begins with (every
    insert would pay for it, and no query needs it)."""
    db = database.obj
    for table in db.get_tables():
        indexes = {tuple(i.columns): i.unique for i in db.get_indexes(table) if i.columns}
        for key in db.get_foreign_keys(table):
            assert any(columns[0] == key.column for columns in indexes), (table, key.column)
        for columns, unique in indexes.items():
            longer = [other for other in indexes if len(other) > len(columns) and other[:len(columns)] == columns]
            assert unique or not longer, (table, columns, longer)
