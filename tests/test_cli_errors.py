"""Every bad input a person can type, through the real CLI in a subprocess: exit code 2, one line on
stderr that says what is wrong, no traceback, and nothing created or written (checked by listing
the working directory, which also holds the subprocess's PREFECT_HOME: a Prefect server started
before the check would have left its database there)."""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from cli_helpers import assert_one_line_error, govreports, tree

SOURCES = """
[[source]]
id = "never-fetched"
name = "甲市公安局"
start_urls = ["http://127.0.0.1:9/index.html"]
"""


@pytest.fixture
def place(tmp_path):
    """A working directory with a sources file, a real (empty) govreports database and a text file,
    and a private PREFECT_HOME inside it that does not exist yet."""
    (tmp_path / "sources.toml").write_text(SOURCES, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a database\n", encoding="utf-8")
    from storage.store import Store

    Store(f"sqlite:///{tmp_path / 'good.db'}").close()
    return tmp_path


def run_in(place: Path, *args: str):
    before = tree(place)
    result = govreports(*args, cwd=place, env={"PREFECT_HOME": str(place / "prefect-home")}, timeout=120)
    assert tree(place) == before, "the command created or changed files"
    return result


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unwritable_directory(tmp_path: Path) -> Path:
    """A directory this process cannot create files in: permission bits for a normal user; root
    ignores those, but not sysfs."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked
    return Path("/sys/kernel")


USAGE = [
    (("crawl",), "Missing option '--sources'"),
    (("frobnicate",), "No such command 'frobnicate'"),
    (("runs", "--limit", "abc"), "'--limit'"),
    (("runs", "--limit", "0"), "'--limit'"),
    (("crawl", "--sources", "sources.toml", "--concurrency", "0"), "'--concurrency'"),
    (("crawl", "--sources", "sources.toml", "--no-such-option"), "--no-such-option"),
    (("runs", "show", "abc", "--db", "good.db"), "'run_id'"),
    (("crawl", "--sources", "missing.toml"), "missing.toml"),
    (("crawl", "--sources", "sources.toml", "--years", "twenty"), "--years"),
    (("crawl", "--sources", "sources.toml", "--shard", "2", "--shards", "2"), "--shard 2 must be below --shards 2"),
    (("crawl", "--sources", "sources.toml", "--shards", "0"), "'--shards'"),
    (("export", "--out", "x.xml", "--format", "xml", "--db", "good.db"), "--format must be one of jsonl, csv, parquet"),
]


@pytest.mark.parametrize("args,says", USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_usage_errors_exit_2_with_one_line(place, args, says):
    assert_one_line_error(run_in(place, *args), 2, says)


def test_no_arguments_prints_the_help(place):
    result = run_in(place)
    assert result.returncode == 2 and "crawl" in result.stdout and "Traceback" not in result.stderr


DATABASES = [
    (("--db", "missing-dir/x.db"), "the directory missing-dir does not exist"),
    (("--db", "notes.txt"), "notes.txt is not a SQLite database"),
    (("--db", "."), "is a directory"),
    (("--db", "mysql://user@127.0.0.1/db"), "unsupported database 'mysql'"),
    (("--db", "postgresql+psycopg2://postgres@127.0.0.1/test"), "no driver for postgresql+psycopg2"),
]


@pytest.mark.parametrize("db,says", DATABASES, ids=[d[1] for d, _ in DATABASES])
def test_crawl_checks_the_database_before_anything_else(place, db, says):
    assert_one_line_error(run_in(place, "crawl", "--sources", "sources.toml", *db), 2, says)


def test_crawl_into_a_closed_postgres_port(place):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/govreports"
    assert_one_line_error(run_in(place, "crawl", "--sources", "sources.toml", "--db", url), 2, "connection refused")


@pytest.mark.postgres
def test_crawl_into_a_postgres_database_that_does_not_exist(place, postgres_server):
    name = f"govreports_missing_{uuid.uuid4().hex[:8]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"  # plain postgresql://: psycopg 3 is used
    assert_one_line_error(run_in(place, "crawl", "--sources", "sources.toml", "--db", url), 2,
                          f"no Postgres database '{name}'", "createdb")


@pytest.mark.postgres
def test_a_plain_postgresql_url_is_read_with_psycopg_3(place, postgres_url):
    from storage.store import Store

    Store(postgres_url).close()  # a govreports database with no runs yet
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    result = run_in(place, "runs", "--db", plain)
    assert result.returncode == 0 and "started (Beijing)" in result.stdout, result.stderr


@pytest.mark.postgres
def test_reading_an_empty_postgres_database_says_so(place, postgres_url):
    result = run_in(place, "runs", "--db", postgres_url)
    assert_one_line_error(result, 2, "holds no govreports data")


READERS = [
    ("runs",),
    ("runs", "show", "1"),
    ("reports",),
    ("reports", "show", "rabc"),
    ("export", "--out", "out.jsonl"),
    ("export", "--out", "out.csv", "--format", "csv"),
    ("export", "--out", "out-dir", "--format", "parquet"),
    ("coverage", "--sources", "sources.toml", "--years", "2019"),
    ("reparse",),
]


@pytest.mark.parametrize("args", READERS, ids=[" ".join(a) for a in READERS])
def test_read_commands_never_create_a_database(place, args):
    assert_one_line_error(run_in(place, *args, "--db", "nothing-here.db"), 2, "no database at nothing-here.db")


@pytest.mark.parametrize("args", READERS[:3], ids=[" ".join(a) for a in READERS[:3]])
def test_read_commands_on_the_default_database_create_nothing(place, args):
    assert_one_line_error(run_in(place, *args), 2, "no database at govreports.db")


def test_reading_a_sqlite_file_that_is_not_ours(place):
    import sqlite3

    with sqlite3.connect(place / "other.db") as connection:
        connection.execute("CREATE TABLE t (x)")
    assert_one_line_error(run_in(place, "reports", "--db", "other.db"), 2, "holds no govreports data")


def out_cases(tmp_path: Path) -> list[tuple[tuple[str, ...], str]]:
    unwritable = unwritable_directory(tmp_path)
    return [
        (("export", "--out", "missing-dir/out.jsonl"), "the directory missing-dir does not exist"),
        (("export", "--out", "."), "is a directory"),
        (("export", "--out", str(unwritable / "out.jsonl")), "cannot write in"),
        (("export", "--out", "missing-dir/out.csv", "--format", "csv"), "does not exist"),
        (("export", "--out", "notes.txt", "--format", "parquet"), "is a file"),
        (("export", "--out", "missing-dir/pq", "--format", "parquet"), "does not exist"),
        (("export", "--out", str(unwritable / "pq"), "--format", "parquet"), "cannot write in"),
        (("coverage", "--sources", "sources.toml", "--years", "2019", "--out", "missing-dir/c.csv"), "does not exist"),
        (("coverage", "--sources", "sources.toml", "--years", "2019", "--out", "."), "is a directory"),
        (("coverage", "--sources", "sources.toml", "--years", "2019", "--out", str(unwritable / "c.csv")),
         "cannot write in"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_an_unwritable_out_is_refused_before_any_work(place, tmp_path, case):
    args, says = out_cases(tmp_path)[case]
    result = run_in(place, *args, "--db", "good.db")
    assert_one_line_error(result, 2, says)
    assert result.stdout == ""  # coverage no longer prints the whole ledger first


def test_debug_adds_the_traceback(place):
    result = run_in(place, "--debug", "runs", "--db", "nothing-here.db")
    assert result.returncode == 2 and "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: no database at")


def test_plain_postgresql_urls_mean_psycopg_3():
    from storage.db import resolve_db_url

    assert resolve_db_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_db_url("postgres://u@h:5433/db") == "postgresql+psycopg://u@h:5433/db"
    assert resolve_db_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_db_url("x/y.db") == "sqlite:///x/y.db"


def test_an_unreachable_prefect_api_is_bad_input_before_the_crawl(place):
    api = f"http://127.0.0.1:{closed_port()}/api"
    result = govreports("crawl", "--sources", "sources.toml", "--db", "new.db", cwd=place,
                        env={"PREFECT_HOME": str(place / "prefect-home"), "PREFECT_API_URL": api}, timeout=120)
    assert_one_line_error(result, 2, f"the Prefect API at {api} (PREFECT_API_URL) does not answer")
    assert not (place / "new.db").exists()


def test_a_temporary_prefect_server_too_slow_to_start_is_one_line_that_says_what_to_do():
    from govreports.cli import EXIT_FAILED, exit_for

    code, message = exit_for(RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server."))
    assert code == EXIT_FAILED
    assert "PREFECT_API_URL" in message and "a bug" not in message and "\n" not in message


def test_the_temporary_server_gets_two_minutes_to_start_unless_the_user_says_otherwise(monkeypatch):
    from govreports.cli import EPHEMERAL_STARTUP_SECONDS, _prefect_defaults

    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", raising=False)
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # restored after the test
    _prefect_defaults()
    assert os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == str(EPHEMERAL_STARTUP_SECONDS)
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "7")
    _prefect_defaults()
    assert os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "7"
