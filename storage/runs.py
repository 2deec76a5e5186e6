"""Runs and the fetch ledger: what each crawl did, request by request.

A run row is written when a flow starts and finished when it ends; a kill -9 leaves it ``running``,
and the next run marks it ``crashed`` (same host: the pid is gone; any host: no heartbeat for
``stale_after()``, 15 minutes unless ``GOVREPORTS_RUN_STALE_SECONDS`` says otherwise) and may reuse
the pages it fetched (``resumable_fetch``).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Iterator, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from core.errors import ConfigError
from fetching.client import FetchRecord, Validators
from storage.base import StoreBase, aware, utcnow
from storage.models import CrawlRun, FetchRow

# A running run whose heartbeat is older than this is taken for dead (another machine's worker
# killed hard). Same-host runs are checked by pid at once.
STALE_AFTER = timedelta(minutes=15)
STALE_ENV = "GOVREPORTS_RUN_STALE_SECONDS"
# A live run beats this often, whatever it is doing (one source can take longer than STALE_AFTER).
HEARTBEAT_EVERY = 60.0
HEARTBEAT_ENV = "GOVREPORTS_HEARTBEAT_SECONDS"
# The threshold must stay well above the beat: a beat or two delayed (a busy database, a paused VM)
# must not make a live run look dead.
BEATS_PER_THRESHOLD = 3

_log = logging.getLogger(__name__)


def stale_after(environ: Mapping[str, str] | None = None) -> timedelta:
    """How old a running run's heartbeat may be before another process takes the run for dead."""
    return timedelta(seconds=_positive_seconds(STALE_ENV, STALE_AFTER.total_seconds(), environ))


def heartbeat_every(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between a live run's heartbeats; at most a third of the staleness threshold."""
    every = _positive_seconds(HEARTBEAT_ENV, HEARTBEAT_EVERY, environ)
    stale = stale_after(environ).total_seconds()
    if every * BEATS_PER_THRESHOLD > stale:
        raise ConfigError(f"{HEARTBEAT_ENV}={every:g} is too close to {STALE_ENV}={stale:g}: a live run would be "
                          f"taken for dead; beat at most every {stale / BEATS_PER_THRESHOLD:g} s")
    return every


def _positive_seconds(name: str, default: float, environ: Mapping[str, str] | None) -> float:
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if not seconds > 0:
        raise ConfigError(f"{name}={raw!r}: needs a positive number of seconds")
    return seconds


class RunLog(StoreBase):
    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, flow: str, parameters: dict, prefect_flow_run_id: str | None = None) -> int:
        now = utcnow()
        with self._tx() as s:
            run = CrawlRun(flow=flow, state="running", started_at=now, heartbeat_at=now, parameters=parameters,
                           prefect_flow_run_id=prefect_flow_run_id, hostname=socket.gethostname(), pid=os.getpid())
            s.add(run)
            s.flush()
            return run.id

    def heartbeat(self, run_id: int, counts: dict | None = None) -> None:
        """The run is alive (and, given ``counts``, this far along)."""
        values = {"heartbeat_at": utcnow()} | ({"counts": counts} if counts is not None else {})
        with self._tx() as s:
            s.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**values))

    def finish_run(self, run_id: int, state: str, counts: dict, errors: dict) -> None:
        with self._tx() as s:
            s.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
                state=state, ended_at=utcnow(), heartbeat_at=utcnow(), counts=counts, errors=errors))

    def mark_crashed_runs(self) -> list[int]:
        """Runs still 'running' whose process is gone: mark them crashed; return their ids."""
        host = socket.gethostname()
        stale = stale_after()
        crashed: list[int] = []
        with self._tx() as s:
            for run in s.scalars(select(CrawlRun).where(CrawlRun.state == "running")):
                heartbeat = aware(run.heartbeat_at or run.started_at)
                dead_here = run.hostname == host and run.pid is not None and not _pid_alive(run.pid)
                if dead_here or utcnow() - heartbeat > stale:
                    run.state = "crashed"
                    run.ended_at = heartbeat
                    run.errors = {**(run.errors or {}), "crashed": "the run's process ended without finishing"}
                    crashed.append(run.id)
        return crashed

    def resumable_runs(self) -> list[int]:
        """Crashed runs since the last completed or failed crawl: their fetches can be reused."""
        with self.session() as s:
            last_done = s.scalar(select(func.max(CrawlRun.id)).where(
                CrawlRun.flow == "crawl", CrawlRun.state.in_(("completed", "failed"))))
            query = select(CrawlRun.id).where(CrawlRun.flow == "crawl", CrawlRun.state == "crashed")
            if last_done is not None:
                query = query.where(CrawlRun.id > last_done)
            return list(s.scalars(query))

    def runs(self, limit: int = 50) -> list[CrawlRun]:
        with self.session() as s:
            return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))

    def run(self, run_id: int) -> CrawlRun | None:
        with self.session() as s:
            return s.get(CrawlRun, run_id)

    # -- the fetch ledger (with ``storage.snapshots``, the fetcher's FetchSink) --------------------

    def record_fetch(self, record: FetchRecord) -> None:
        with self._tx() as s:
            s.add(FetchRow(**record.__dict__))

    def validators_for(self, url: str) -> Validators | None:
        """ETag/Last-Modified of the last good fetch of ``url``, for a conditional GET."""
        with self.session() as s:
            row = s.scalars(select(FetchRow).where(
                FetchRow.url == url, FetchRow.outcome.in_(("ok", "not_modified")), FetchRow.content_hash.is_not(None),
            ).order_by(FetchRow.id.desc()).limit(1)).first()
        if row is None:
            return None
        return Validators(row.content_hash, row.etag, row.last_modified, row.content_type)

    def resumable_fetch(self, url: str, run_ids: list[int]) -> FetchRow | None:
        """A good fetch of ``url`` made by one of the crashed runs we are resuming."""
        if not run_ids:
            return None
        with self.session() as s:
            return s.scalars(select(FetchRow).where(
                FetchRow.url == url, FetchRow.run_id.in_(run_ids), FetchRow.outcome.in_(("ok", "not_modified")),
                FetchRow.content_hash.is_not(None),
            ).order_by(FetchRow.id.desc()).limit(1)).first()

    def fetch_rows(self, run_id: int) -> list[FetchRow]:
        with self.session() as s:
            return list(s.scalars(select(FetchRow).where(FetchRow.run_id == run_id).order_by(FetchRow.id)))

    def source_looks(self, source_ids: list[str]) -> dict[str, list[tuple[int, datetime]]]:
        """Per source: the runs that fetched from it, with the time of their first fetch there."""
        with self.session() as s:
            rows = s.execute(
                select(FetchRow.source_id, FetchRow.run_id, func.min(FetchRow.fetched_at))
                .where(FetchRow.source_id.in_(source_ids), FetchRow.run_id.is_not(None))
                .group_by(FetchRow.source_id, FetchRow.run_id)
            ).all()
        looks: dict[str, list[tuple[int, datetime]]] = {}
        for source_id, run_id, first_fetch in rows:
            looks.setdefault(source_id, []).append((run_id, aware(first_fetch)))
        return looks

    def failures_by_class(self, run_id: int) -> dict[str, int]:
        """Fetch outcomes other than ok / not_modified in one run's ledger, counted per class."""
        with self.session() as s:
            rows = s.execute(select(FetchRow.outcome, func.count()).where(
                FetchRow.run_id == run_id, FetchRow.outcome.not_in(("ok", "not_modified")))
                .group_by(FetchRow.outcome)).all()
        return {outcome: count for outcome, count in sorted(rows)}


@contextmanager
def run_heartbeat(log: RunLog, run_id: int, every: float | None = None) -> Iterator[None]:
    """Beat the run's heartbeat every ``every`` seconds (``heartbeat_every()``) while the block runs.

    A timer, not progress: a run's work can go a long time without finishing anything (one big
    source), and another machine's ``mark_crashed_runs`` must not take it for dead meanwhile. A
    daemon thread, so a process that dies stops beating and is found out. A beat that fails (the
    database briefly away) is logged and tried again at the next tick: the run itself goes on."""
    every = heartbeat_every() if every is None else every
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                log.heartbeat(run_id)
            except SQLAlchemyError as exc:
                _log.warning("run %s: heartbeat not written (%s: %s); trying again in %g s", run_id,
                             type(exc).__name__, exc, every)

    thread = threading.Thread(target=beat, name=f"heartbeat-run-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
