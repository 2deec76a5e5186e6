"""Shared fixtures: real SQLite files, a real Postgres database per test session, the Prefect test
harness (session-scoped: it costs seconds to start), and the demo web served on 127.0.0.1."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Never the user's own Prefect: the session and every subprocess it starts (the CLI tests' crawls
# start temporary Prefect servers) get a private, temporary PREFECT_HOME, and no API URL, profile
# or key from the user's environment, so no test run ever appears in the user's Prefect UI or
# touches ~/.prefect (.ci/run compares a listing of ~/.prefect before and after `make test`).
# Set here, before anything imports Prefect.
for _name in [name for name in os.environ if name.startswith("PREFECT_")]:
    if _name != "PREFECT_SERVER_ANALYTICS_ENABLED":
        del os.environ[_name]
TEST_PREFECT_HOME = tempfile.mkdtemp(prefix="govreports-test-prefect-")
os.environ["PREFECT_HOME"] = TEST_PREFECT_HOME
atexit.register(shutil.rmtree, TEST_PREFECT_HOME, True)  # at any exit, even a usage error of pytest's

PG_ADMIN_URL = os.environ.get("GOVREPORTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'govreports.db'}"


@pytest.fixture
def store(sqlite_url):
    """A Store on a fresh SQLite file (the fetch ledger and snapshot sink of the fetcher tests)."""
    from storage.store import Store

    store = Store(sqlite_url)
    yield store
    store.close()


def _pg_admin_engine():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_server():
    """The machine's Postgres; skipped with a reason where none runs, but never in CI."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    engine = _pg_admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"Postgres is required in CI and is not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"no Postgres at {PG_ADMIN_URL} ({type(exc).__name__}); these tests run in CI")
    yield engine
    engine.dispose()


@contextmanager
def fresh_postgres_database(admin_engine) -> Iterator[str]:
    from sqlalchemy import text

    name = f"govreports_test_{uuid.uuid4().hex[:12]}"
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    with fresh_postgres_database(postgres_server) as url:
        yield url


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request) -> str:
    """Each test using this runs against a SQLite file and against Postgres."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(request, tmp_path_factory) -> Iterator[str]:
    """Like ``db_url``, shared by the tests of one module (for one expensive crawl, many asserts)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'govreports.db'}"
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture(scope="session")
def demo_web():
    """The demo sites on 127.0.0.1: yields (sites, bases)."""
    from govreports.demo.server import serve
    from govreports.demo.site import build_sites

    sites = build_sites()
    with serve(sites) as bases:
        yield sites, bases


@pytest.fixture(scope="session")
def demo_sources(demo_web, tmp_path_factory):
    from govreports.demo.server import sources_toml

    sites, bases = demo_web
    path = tmp_path_factory.mktemp("demo") / "sources.toml"
    path.write_text(sources_toml(sites, bases, delay=0.0), encoding="utf-8")
    return path
