"""Dialect-aware inserts that cannot duplicate a row: the one place upsert logic lives."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignore(session: Session, model, rows: Iterable[dict[str, Any]], keys: list[str]) -> int:
    """Insert rows whose ``keys`` are not there yet; returns how many were inserted."""
    rows = list(rows)
    if not rows:
        return 0
    statement = _insert(session, model.__table__).values(rows).on_conflict_do_nothing(index_elements=keys)
    return session.execute(statement).rowcount or 0


def upsert(session: Session, model, rows: Iterable[dict[str, Any]], keys: list[str], update: list[str]) -> None:
    """Insert rows, or update ``update`` columns of the rows whose ``keys`` exist."""
    rows = list(rows)
    if not rows:
        return
    statement = _insert(session, model.__table__).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={column: statement.excluded[column] for column in update}
    )
    session.execute(statement)
