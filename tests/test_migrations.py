"""The Alembic migrations build exactly the schema the models describe, on both backends."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.script import ScriptDirectory
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import alembic_config
from storage.store import Store


def test_migrated_schema_matches_the_models(db_url):
    store = Store(db_url)  # runs the migrations to head
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    store.close()
    assert differences == []


def test_migrating_twice_changes_nothing(db_url):
    """A second start on a migrated database runs no migration: same revision, same schema, the
    rows already there untouched."""
    first = Store(db_url)
    run_id = first.start_run("crawl", {"sources": "s.toml"})
    schema_before, revision_before = _schema(first), _revision(first)
    first.close()
    second = Store(db_url)  # idempotent: already at head
    assert _revision(second) == revision_before == [ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()]
    assert _schema(second) == schema_before
    assert [(run.id, run.parameters) for run in second.runs()] == [(run_id, {"sources": "s.toml"})]
    second.close()


def _schema(store: Store) -> dict[str, list[tuple[str, str]]]:
    inspector = inspect(store.engine)
    return {table: [(column["name"], str(column["type"])) for column in inspector.get_columns(table)]
            for table in sorted(inspector.get_table_names())}


def _revision(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())



@pytest.mark.postgres
def test_workers_starting_together_on_a_fresh_database_all_migrate_it(postgres_url):
    """Four workers (processes, as shards on four machines) open one new Postgres database at once:
    each Store migrates it, and none fails on another's half-made tables (before the migration lock,
    one or more of four died on a duplicate pg_type row)."""
    import subprocess
    import sys

    open_store = f"from storage.store import Store; Store({postgres_url!r}).close()"
    starts = [subprocess.Popen([sys.executable, "-c", open_store], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True) for _ in range(4)]
    outputs = [start.communicate(timeout=120)[0] for start in starts]
    assert [start.returncode for start in starts] == [0] * 4, outputs
    store = Store(postgres_url)
    assert _revision(store) == [ScriptDirectory.from_config(alembic_config(postgres_url)).get_current_head()]
    store.close()
