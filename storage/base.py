"""The shared base of the store's roles: one engine, short transactions, read sessions.

Concurrency: SQLite allows one writer, so writes from the crawl's threads are serialized by a
process-wide lock (WAL lets readers go on). On Postgres, loads into one (agency, year) block are
serialized by a transaction-scoped advisory lock (``storage.reports``), which also holds across
workers on many machines.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy.orm import Session

from storage.db import make_engine, migrate


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime) -> datetime:
    """A datetime read back from SQLite (naive) as the UTC moment it was written as."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class StoreBase:
    """An engine on one database URL; ``create`` brings the schema up to date first."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._sqlite_lock = threading.RLock()
        if create:
            migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        if self.dialect == "sqlite":
            with self._sqlite_lock, Session(self.engine) as session, session.begin():
                yield session
        else:
            with Session(self.engine) as session, session.begin():
                yield session

    def session(self) -> Session:
        """A read session (callers must not write through it)."""
        return Session(self.engine)
