"""Resume after SIGKILL: a real `govreports crawl` subprocess over the demo web (served here, on
127.0.0.1, with a per-host delay so a run lasts a few seconds) is killed three times at different
points (after N ledger rows or loaded copies of its run appear in the database), then re-run to completion. The
database must then hold the same reports, copies and figures as an uninterrupted crawl into another
database, nothing twice, and no page fetched by a killed run may be fetched unconditionally again.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govreports.demo.server import serve, sources_toml
from govreports.demo.site import EXPECTED_REPORTS, build_sites

GOVREPORTS = Path(sys.executable).with_name("govreports")
# Kill points, each a count of the killed run's own rows: while discovery runs (3 ledger rows), among
# the detail fetches (9), and once it has loaded (or re-touched) its first copy, mid-processing.
# An uninterrupted resumed run makes ~15-20 ledger rows and touches 6 copies.
RUN_ROWS = {
    "ledger rows": "SELECT count(*) FROM fetches WHERE run_id = :run",
    "copies loaded": "SELECT count(*) FROM copies WHERE last_seen_run = :run",
}
KILL_POINTS = (("ledger rows", 3), ("ledger rows", 9), ("copies loaded", 1))
RUN_DEADLINE = 60.0  # seconds: a run that neither reaches its kill point nor ends is a failure
SLOW_DELAY = 0.3  # per-host seconds between requests in the killed runs


def rows_of_pid(db: Path, pid: int, what: str) -> int | None:
    """``what`` rows written by the run the process ``pid`` started (None until that run exists)."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            row = connection.execute("SELECT id FROM crawl_runs WHERE pid = ? ORDER BY id DESC LIMIT 1",
                                     (pid,)).fetchone()
            if row is None:
                return None
            return connection.execute(RUN_ROWS[what], {"run": row[0]}).fetchone()[0]
    except sqlite3.OperationalError:
        return None  # schema not there yet, or a checkpoint in progress: ask again


def crawl_subprocess(sources: Path, db: Path, env: dict, log: Path) -> subprocess.Popen:
    # Its own session, so the kill reaches every process it started (it has no children of its
    # own with PREFECT_API_URL set, but a kill must never leave one behind).
    return subprocess.Popen([str(GOVREPORTS), "crawl", "--sources", str(sources), "--db", f"sqlite:///{db}"],
                            env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)


def run_and_kill(sources: Path, db: Path, env: dict, log: Path, what: str, after_rows: int) -> None:
    process = crawl_subprocess(sources, db, env, log)
    deadline = time.monotonic() + RUN_DEADLINE
    try:
        while time.monotonic() < deadline:
            rows = rows_of_pid(db, process.pid, what)
            if rows is not None and rows >= after_rows:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
                return
            if process.poll() is not None:
                pytest.fail(f"the crawl ended (rc {process.returncode}) before {after_rows} {what}; "
                            f"see {log}")
            time.sleep(0.03)
        pytest.fail(f"no kill point within {RUN_DEADLINE}s; see {log}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def run_to_completion(sources: Path, db: Path, env: dict, log: Path) -> None:
    process = crawl_subprocess(sources, db, env, log)
    try:
        assert process.wait(RUN_DEADLINE) == 0, f"see {log}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute(sql).fetchall()


# What must come out the same. Copy order within a report (seq, and so which copy is "first" and
# what it matched) follows which source finished first, which differs between any two crawls
# killed or not, so it is left out; the canonical choice is not.
REPORTS = "SELECT id, agency, year, title, url, canonical_copy_id, parse_key, text, format FROM reports"
COPIES = "SELECT id, report_id, source_id, url, final_url, kind, official, snapshot_hash, text_key, text FROM copies"
FIGURES = "SELECT report_id, key, value, method, copy_id, snapshot_hash FROM figures"
STATS = 'SELECT report_id, "table", "row", "column", value, origin FROM stats'
SECTIONS = "SELECT report_id, position, key, heading FROM sections"


@pytest.mark.slow
def test_a_crawl_killed_at_several_points_resumes_to_the_uninterrupted_result(prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    from flows.crawl import crawl

    sites = build_sites()
    with serve(sites) as bases:
        baseline_db, killed_db = tmp_path / "baseline.db", tmp_path / "killed.db"
        fast, slow = tmp_path / "fast.toml", tmp_path / "slow.toml"
        fast.write_text(sources_toml(sites, bases, delay=0.0), encoding="utf-8")
        slow.write_text(sources_toml(sites, bases, delay=SLOW_DELAY), encoding="utf-8")
        crawl(sources_file=str(fast), db=f"sqlite:///{baseline_db}", return_state=True)

        env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        log = tmp_path / "crawl.log"
        for what, after_rows in KILL_POINTS:
            run_and_kill(slow, killed_db, env, log, what, after_rows)
        run_to_completion(slow, killed_db, env, log)

    states = [state for (state,) in query(killed_db, "SELECT state FROM crawl_runs ORDER BY id")]
    assert states == ["crashed"] * len(KILL_POINTS) + ["completed"]
    [(final_counts,)] = query(killed_db, "SELECT counts FROM crawl_runs ORDER BY id DESC LIMIT 1")
    assert json.loads(final_counts)["resumed"] >= 1  # detail pages got by killed runs were taken, not re-fetched
    assert {(a, y) for a, y in query(killed_db, "SELECT agency, year FROM reports")} == EXPECTED_REPORTS
    for sql in (REPORTS, COPIES, FIGURES, STATS, SECTIONS):
        rows = query(killed_db, sql)
        assert len(rows) == len(set(rows)), f"duplicates in {sql}"
        assert sorted(rows) == sorted(query(baseline_db, sql)), sql
    assert query(killed_db, "SELECT count(*) FROM figures") != [(0,)]
    assert_no_page_fetched_unconditionally_again(killed_db)


def assert_no_page_fetched_unconditionally_again(db: Path) -> None:
    """Once a run got a page (200), later runs either reused it (no request: a resumed detail page)
    or asked conditionally and got a 304 (the demo's pages never change): never a second 200."""
    rows = query(db, "SELECT url, run_id, outcome FROM fetches WHERE purpose != 'robots' ORDER BY id")
    first_ok_run: dict[str, int] = {}
    resent = []
    for url, run_id, outcome in rows:
        if outcome != "ok":
            continue
        if url in first_ok_run and first_ok_run[url] != run_id:
            resent.append((url, first_ok_run[url], run_id))
        first_ok_run.setdefault(url, run_id)
    assert resent == []
    assert any(outcome == "not_modified" for _, _, outcome in rows)  # later runs did ask, conditionally
