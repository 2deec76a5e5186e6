"""A live run is never taken for dead: a real `govreports crawl` subprocess crawls one slow source
(the demo web on 127.0.0.1 with a per-host delay, so the source alone lasts several staleness
thresholds), while this process, a Store of its own, asks `mark_crashed_runs` over and over as the
next run on another machine would. The heartbeat rule applies to every asking process whatever its
host (only the pid check is same-host), so this process exercises exactly the other machine's rule.
Killed runs are still marked crashed: tests/test_resume.py kills crawls with SIGKILL."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govreports.demo.server import serve, sources_toml
from govreports.demo.site import build_sites

GOVREPORTS = Path(sys.executable).with_name("govreports")
STALE_SECONDS = "2"  # a run whose heartbeat is older than this is dead, to the asking process
HEARTBEAT_SECONDS = "0.2"  # the crawl's beat: a tenth of the threshold
SLOW_DELAY = 1.0  # per-host seconds between requests: the one source takes ~6 requests, ~6 s
RUN_DEADLINE = 120.0  # seconds: a crawl that has not ended by then is a failure


def run_of_pid(db: Path, pid: int) -> int | None:
    """The id of the run the process ``pid`` started (None until it exists)."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            row = connection.execute("SELECT id FROM crawl_runs WHERE pid = ?", (pid,)).fetchone()
    except sqlite3.OperationalError:
        return None  # schema not there yet: ask again
    return row[0] if row else None


@pytest.mark.slow
def test_a_run_busy_with_one_long_source_is_not_marked_crashed_by_another_process(prefect_harness, tmp_path,
                                                                                   monkeypatch):
    from prefect.settings import PREFECT_API_URL

    from storage.store import Store

    site = next(s for s in build_sites() if s.id == "sz-gaj")
    db = tmp_path / "live.db"
    monkeypatch.setenv("GOVREPORTS_RUN_STALE_SECONDS", STALE_SECONDS)  # for this process's mark_crashed_runs
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "GOVREPORTS_HEARTBEAT_SECONDS": HEARTBEAT_SECONDS, "GOVREPORTS_RUN_STALE_SECONDS": STALE_SECONDS}
    log = tmp_path / "crawl.log"
    marked: list[int] = []
    with serve([site]) as bases:
        sources = tmp_path / "slow.toml"
        sources.write_text(sources_toml([site], bases, delay=SLOW_DELAY), encoding="utf-8")
        process = subprocess.Popen([str(GOVREPORTS), "crawl", "--sources", str(sources), "--db", f"sqlite:///{db}"],
                                   env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + RUN_DEADLINE
            while run_of_pid(db, process.pid) is None and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            other_machine = Store(f"sqlite:///{db}")
            try:
                while process.poll() is None and time.monotonic() < deadline:
                    marked += other_machine.mark_crashed_runs()
                    time.sleep(0.1)
                runs = [(run.id, run.state) for run in other_machine.runs()]
            finally:
                other_machine.close()
            assert process.wait(10) == 0, f"see {log}"
        finally:
            if process.poll() is None:
                os.killpg(process.pid, subprocess.signal.SIGKILL)
                process.wait(10)
    assert marked == []
    assert runs == [(1, "completed")]


def test_the_heartbeat_settings():
    from core.errors import ConfigError
    from storage.runs import heartbeat_every, stale_after

    assert heartbeat_every({}) == 60.0 and stale_after({}).total_seconds() == 900.0
    assert heartbeat_every({"GOVREPORTS_HEARTBEAT_SECONDS": "0.2", "GOVREPORTS_RUN_STALE_SECONDS": "2"}) == 0.2
    with pytest.raises(ConfigError, match="too close"):  # a beat or two late would make a live run look dead
        heartbeat_every({"GOVREPORTS_HEARTBEAT_SECONDS": "400"})
    for bad in ("soon", "0", "-5"):
        with pytest.raises(ConfigError, match="GOVREPORTS_RUN_STALE_SECONDS"):
            stale_after({"GOVREPORTS_RUN_STALE_SECONDS": bad})
