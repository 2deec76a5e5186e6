"""Is the database usable? Checked before anything else starts (a Prefect server, a fetch, a
write), so that a wrong ``--db`` costs a second and one line, not a traceback, and creates nothing.

``check_database(url, must_exist=True)`` is for commands that read: the database must already hold
govreports tables (they never create an empty one). ``must_exist=False`` is for the crawl, which
creates a SQLite file (in a directory that exists) or fills an existing Postgres database.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import NullPool

from core.errors import ConfigError

SQLITE_HEADER = b"SQLite format 3\x00"
CONNECT_TIMEOUT = 10  # seconds: an unroutable host fails in this time instead of the OS's minutes
# A table every govreports schema has had since the first migration.
MARKER_TABLE = "crawl_runs"


def check_database(url: str, *, must_exist: bool) -> None:
    """Raise ``ConfigError`` with one line saying what is wrong and what to do; create nothing."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite(parsed, must_exist)
    else:
        _check_server(parsed, must_exist)


def _check_sqlite(url: URL, must_exist: bool) -> None:
    database = url.database or ""
    if database in ("", ":memory:"):
        if must_exist:
            raise ConfigError("an in-memory SQLite database has nothing to read: give --db a file")
        return
    path = Path(database)
    if path.is_dir():
        raise ConfigError(f"--db {path} is a directory, not a SQLite file")
    if path.exists():
        _check_sqlite_file(path, must_exist)
        return
    if must_exist:
        raise ConfigError(f"no database at {path}: crawl into it first (govreports crawl --sources FILE --db {path})")
    if not path.parent.is_dir():
        raise ConfigError(f"cannot create the SQLite database {path}: the directory {path.parent} does not exist")


def _check_sqlite_file(path: Path, must_exist: bool) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ConfigError(f"cannot read the database {path}: {exc.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise ConfigError(f"{path} is not a SQLite database")
    if must_exist and not _sqlite_has_our_tables(path):
        raise ConfigError(f"{path} holds no govreports data (no {MARKER_TABLE} table): crawl into it first")


def _sqlite_has_our_tables(path: Path) -> bool:
    """Read-only, so that looking creates nothing (not even a journal)."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30) as connection:
            row = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                     (MARKER_TABLE,)).fetchone()
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path} is not a usable SQLite database ({exc})") from None
    return row is not None


def _check_server(url: URL, must_exist: bool) -> None:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"no driver for {url.drivername} ({exc}): use postgresql+psycopg://USER@HOST/DB") from None
    try:
        with engine.connect() as connection:
            has_tables = inspect(connection).has_table(MARKER_TABLE)
    except OperationalError as exc:
        raise ConfigError(_server_problem(url, where, exc)) from None
    finally:
        engine.dispose()
    if must_exist and not has_tables:
        raise ConfigError(f"Postgres database {url.database!r} at {where} holds no govreports data "
                          f"(no {MARKER_TABLE} table): crawl into it first")


def _server_problem(url: URL, where: str, exc: OperationalError) -> str:
    """The driver's message says what happened in many lines; keep the one a person acts on."""
    detail = str(exc.orig or exc)
    if "does not exist" in detail and "database" in detail:
        return (f"no Postgres database {url.database!r} at {where}: create it first "
                f"(createdb -h {url.host or 'localhost'} -p {url.port or 5432} -U {url.username or 'postgres'} "
                f"{url.database})")
    if "Connection refused" in detail:
        return f"cannot connect to Postgres at {where}: connection refused (is the server running, on that port?)"
    if "password authentication failed" in detail or "no password supplied" in detail:
        return f"Postgres at {where} refused the login of user {url.username!r}: check the user and password"
    if "timeout expired" in detail:
        return f"cannot connect to Postgres at {where}: no answer within {CONNECT_TIMEOUT} s"
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    return f"cannot use Postgres database {url.database!r} at {where}: " + (lines[-1] if lines else type(exc).__name__)
