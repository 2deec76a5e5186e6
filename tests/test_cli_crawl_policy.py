"""`govreports crawl` against a web with dead, blocked and gone sources among live ones (real HTTP
servers on 127.0.0.1, the real CLI in a subprocess): the summary is printed, the live sources are
loaded, and the exit code follows the run policy (README "Exit codes and the run policy")."""
from __future__ import annotations

import socket
import sqlite3

import pytest

from cli_helpers import govreports
from fault_server import FaultServer, Reply

pytestmark = pytest.mark.slow

CHALLENGE = b"<html><head><script>var _$ts=1;</script></head><body></body></html>"  # a 412 JS challenge


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def entry(source_id: str, url: str) -> str:
    return f'\n[[source]]\nid = "{source_id}"\nname = "{source_id}市公安局"\nstart_urls = ["{url}"]\ndelay = 0.0\n'


@pytest.fixture(scope="module")
def failing_web():
    """Three sources whose sites refuse us: nothing listening, a 412 challenge, a list page gone."""
    with FaultServer() as blocked, FaultServer() as gone:
        blocked.route("/xxgk/index.html", Reply(412, CHALLENGE))
        yield (entry("dead", f"http://127.0.0.1:{closed_port()}/xxgk/index.html")
               + entry("blocked", blocked.url("/xxgk/index.html"))
               + entry("gone", gone.url("/xxgk/nb/index.html")))


@pytest.fixture(scope="module")
def api(prefect_harness):
    """The session's Prefect API for the CLI subprocesses (a temporary server each would cost ~15 s;
    tests/test_cli.py runs one crawl the way a user does, with its own)."""
    from prefect.settings import PREFECT_API_URL

    return {"PREFECT_API_URL": PREFECT_API_URL.value()}


def crawl(tmp_path, sources_text: str, api: dict, *extra: str):
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_text, encoding="utf-8")
    db = tmp_path / "crawl.db"
    return govreports("crawl", "--sources", str(sources), "--db", str(db), *extra, env=api), db


def reports_in(db) -> set[tuple[str, int]]:
    with sqlite3.connect(db) as connection:
        return set(connection.execute("SELECT agency, year FROM reports"))


@pytest.fixture(scope="module")
def mixed(demo_web, failing_web, api, tmp_path_factory):
    from govreports.demo.server import sources_toml

    sites, bases = demo_web
    return crawl(tmp_path_factory.mktemp("mixed"), sources_toml(sites, bases, delay=0.0) + failing_web, api)


def source_row(stdout: str, source_id: str) -> list[str]:
    return next(line.split() for line in stdout.splitlines() if line.split()[:1] == [source_id])


def test_refusals_among_live_sources_complete_the_run(mixed):
    result, _ = mixed
    assert result.returncode == 0, result.stdout + result.stderr
    assert "completed (exit 0); 3 refused by their sites" in result.stdout


def test_the_live_sources_are_loaded(mixed):
    from govreports.demo.site import EXPECTED_REPORTS

    _, db = mixed
    assert reports_in(db) == EXPECTED_REPORTS


@pytest.mark.parametrize("source_id,failure", [("dead", "robots_disallowed=1"), ("blocked", "blocked=1"),
                                               ("gone", "not_found=1")])
def test_each_refused_source_is_reported_with_its_outcome_class(mixed, source_id, failure):
    result, _ = mixed
    row = source_row(result.stdout, source_id)
    assert row[1] == "refused" and failure in row


def test_no_traceback_and_nothing_on_stderr(mixed):
    result, _ = mixed
    assert "Traceback" not in result.stdout and result.stderr == ""


def test_the_run_is_recorded_completed(mixed):
    _, db = mixed
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT state FROM crawl_runs").fetchall() == [("completed",)]


def test_every_source_failing_fails_the_run(failing_web, api, tmp_path):
    result, db = crawl(tmp_path, failing_web, api)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED (exit 1): every source failed (3 of 3)" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr and result.stderr == ""
    assert source_row(result.stdout, "blocked")[1] == "refused"


def test_a_regressed_source_fails_the_run(demo_web, api, tmp_path):
    from govreports.demo.server import sources_toml

    sites, bases = demo_web
    text = sources_toml(sites, bases, delay=0.0)
    first, _ = crawl(tmp_path, text, api, "--source", "hz-gaj")
    assert first.returncode == 0, first.stdout + first.stderr
    start = f'{bases["hz-gaj"]}{next(s for s in sites if s.id == "hz-gaj").start_path}'
    moved, _ = crawl(tmp_path, text.replace(start, f'{bases["hz-gaj"]}/robots.txt'), api, "--source", "hz-gaj")
    assert moved.returncode == 1, moved.stdout + moved.stderr
    assert source_row(moved.stdout, "hz-gaj")[1] == "regressed"
    assert "FAILED (exit 1): 1 source regressed" in moved.stdout


def test_ctrl_c_exits_130_with_one_line_and_the_run_recorded_failed(demo_web, api, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from cli_helpers import ENV
    from govreports.demo.server import sources_toml

    sites, bases = demo_web
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(sites, bases, delay=2.0), encoding="utf-8")  # slow: a run of ~10 s
    db = tmp_path / "crawl.db"
    process = subprocess.Popen([sys.executable, "-m", "govreports", "crawl", "--sources", str(sources), "--db",
                                str(db)], env={**ENV, **api}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _ledger_rows(db) < 3:  # mid-crawl, not while starting
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert err.splitlines() == ["error: interrupted"] and "Traceback" not in out
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT state FROM crawl_runs").fetchall() == [("failed",)]
    assert os.path.exists(db)


def _ledger_rows(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute("SELECT count(*) FROM fetches").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created or not migrated yet


def test_verbose_shows_prefects_log_lines_without_tracebacks_of_site_outcomes(failing_web, api, tmp_path):
    result, _ = crawl(tmp_path, failing_web, api, "--verbose")
    assert result.returncode == 1
    assert "| INFO    | Flow run" in result.stderr and "Task run failed with exception: SiteRefused" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout  # the UI keeps it; the console has the line
