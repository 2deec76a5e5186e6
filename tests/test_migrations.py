"""The Alembic migrations build exactly the schema the models describe, on both backends."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.store import Store


def test_migrated_schema_matches_the_models(db_url):
    store = Store(db_url)  # runs the migrations to head
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    store.close()
    assert differences == []


def test_migrating_twice_changes_nothing(db_url):
    Store(db_url).close()
    Store(db_url).close()  # idempotent: already at head
