"""Engines and migrations. SQLite by default (./govreports.db), Postgres with postgresql+psycopg://."""
from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

from core.errors import ConfigError

DEFAULT_DB = "sqlite:///govreports.db"
MIGRATIONS = Path(__file__).parent / "migrations"


def resolve_db_url(db: str | None) -> str:
    """``--db`` value, else $GOVREPORTS_DB, else ./govreports.db. A bare path means a SQLite file;
    a plain ``postgresql://`` (or ``postgres://``) URL means psycopg 3, the driver we install
    (SQLAlchemy would look for psycopg2)."""
    url = db or os.environ.get("GOVREPORTS_DB") or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{url}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url[len(plain):]
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://")
    return url


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it crash-safe
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            # 64 MB of page cache instead of SQLite's 2 MB: loading 10,000 copies, the default cache's
            # wall time per copy grew 11 → 21 ms (page reads of the growing indexes) while 64 MB stayed
            # at 7-9 ms, the same CPU (bench/dedup_scale.py's web, 2026-12-06)
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # N workers starting at once on a fresh database would each create the tables and all
            # but one fail (duplicate pg_type rows: seen with two crawl shards). The first to take
            # the lock migrates; the others wait, then find the schema at head. Held to commit.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('govreports:migrate', 0))"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
