"""The migrations build exactly the schema the models describe, on whichever backend runs."""
from playhouse.schema_diff import diff_models

from models import MODELS
from models.db import database, pending_migrations


def test_no_migration_is_pending_and_the_schema_matches_the_models(settings):
    assert pending_migrations() == []
    diff = diff_models(database.obj, MODELS)
    assert not diff, str(diff)
