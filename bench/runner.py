"""Two ways to run one crawl over the same code, and a per-stage CPU clock (benchmark helpers).

- ``run_prefect``: the real crawl flow (``flows.crawl.crawl``), tasks on Prefect's thread pool.
- ``run_direct``: the same engine (``flows.engine``: host lanes, workers, one writer) with its lanes
  on a plain ``ThreadPoolExecutor`` and ``discover_task.fn``, with the flow's own prologue and
  summary, so the two differ only by orchestration.
- ``StageClock``/``instrumented``: wraps the stage functions (the real ones, called as usual) to add
  up each stage's *exclusive* CPU time per thread (``time.thread_time``: time spent waiting for
  the GIL or the network is not counted), so nested stages (a fetch inside discovery, a dedupe
  inside a load) are counted once, in the innermost stage.
"""
from __future__ import annotations

import atexit
import functools
import os
import resource
import shutil
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

STAGES = ("fetch_listing", "discover", "fetch", "read_snapshot", "extract", "normalize", "parse", "dedupe",
          "load", "process_other")


def prefect_env() -> str:
    """A private Prefect home (its own ephemeral API database), never any telemetry; call before
    Prefect is imported. The home is removed at exit, after Prefect's own exit hooks (registered
    later, so run earlier) have flushed their logs and stopped the ephemeral server."""
    home = tempfile.mkdtemp(prefix="govreports-bench-prefect-")
    atexit.register(shutil.rmtree, home, True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ["PREFECT_HOME"] = home
    return home


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


class StageClock:
    """Exclusive CPU seconds and call counts per stage, summed over threads."""

    def __init__(self) -> None:
        self.cpu: Counter = Counter()
        self.calls: Counter = Counter()
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, stage: str | Callable[[tuple, dict], str], function: Callable) -> Callable:
        @functools.wraps(function)
        def timed(*args, **kwargs):
            name = stage(args, kwargs) if callable(stage) else stage
            stack = self._local.__dict__.setdefault("stack", [])
            stack.append(0.0)  # CPU time of nested stages, to subtract from this one
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.thread_time() - started
                nested = stack.pop()
                if stack:
                    stack[-1] += elapsed
                with self._lock:
                    self.cpu[name] += elapsed - nested
                    self.calls[name] += 1

        return timed


def _fetch_stage(args: tuple, kwargs: dict) -> str:
    return "fetch_listing" if kwargs.get("purpose") in ("listing", "robots") else "fetch"


@contextmanager
def instrumented(clock: StageClock) -> Iterator[StageClock]:
    """Time the pipeline's stage functions where their callers look them up; restore them after."""
    import flows.crawl
    import flows.engine
    import flows.pipeline
    import storage.reports
    from fetching.client import Fetcher
    from storage.store import Store

    targets = [
        (Fetcher, "fetch", _fetch_stage),
        (flows.crawl, "discover", "discover"),
        (flows.engine, "decode_html", "extract"),
        (flows.engine, "attachment_links", "extract"),
        (flows.engine, "build_page", "process_other"),
        (flows.engine.Engine, "_load_page", "process_other"),
        (flows.pipeline, "decode_html", "extract"),
        (flows.pipeline, "html_tree", "extract"),
        (flows.pipeline, "extract_html", "extract"),
        (flows.pipeline, "to_simplified", "normalize"),
        (flows.pipeline, "parse_metadata", "parse"),
        (flows.pipeline, "parse_content", "parse"),
        (storage.reports, "exact_key", "dedupe"),
        (storage.reports, "place_copy", "dedupe"),
        (storage.reports, "near_keys", "dedupe"),
        (Store, "load", "load"),
        (Store, "load_snapshot", "read_snapshot"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
    try:
        for (owner, name, stage), (_, _, original) in zip(targets, originals):
            setattr(owner, name, clock.wrap(stage, original))
        yield clock
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def warm_up_prefect() -> None:
    """Start Prefect's ephemeral API once, before anything is timed: a one-off cost of a process,
    not of a crawl (a deployment talks to a server that is already up)."""
    from prefect import flow

    @flow(name="bench-warm-up")
    def warm_up() -> int:
        return 1

    warm_up()


def run_prefect(sources_file: str, db_url: str, concurrency: int) -> dict:
    from flows.crawl import crawl
    from flows.runtime import summary_of

    state = crawl(sources_file=sources_file, db=db_url, concurrency=concurrency, return_state=True)
    return summary_of(state)  # the summary, or the flow's exception re-raised


def run_direct(sources_file: str, db_url: str, concurrency: int, clock: StageClock | None = None) -> dict:
    """The crawl flow's body without Prefect: same prologue, same engine (lanes on a plain thread
    pool, the same writer), same summary. With ``clock`` the pages are built in this process
    (``in_process``): the clock can only see this process's threads."""
    from fetching.client import Fetcher
    from fetching.settings import FetchSettings
    from core.policy import decide, statuses_of
    from core.sources import load_sources
    from flows.crawl import _summary, discover_task
    from flows.engine import CrawlContext, Engine
    from scrapers.registry import platform_names
    from storage.store import Store

    sources = load_sources(sources_file, platform_names())
    store = Store(db_url)
    store.mark_crashed_runs()
    resume_runs = store.resumable_runs()
    run_id = store.start_run("crawl", {"sources_file": sources_file, "concurrency": concurrency, "runner": "direct"})
    store.upsert_sources(sources, run_id)
    fetcher = Fetcher(store, run_id=run_id, settings=FetchSettings.from_env())
    ctx = CrawlContext(store, fetcher, run_id, None, resume_runs)
    engine = Engine(ctx, sources, discover_task.fn, in_process=clock is not None)
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            results, errors = engine.run(lambda lane: pool.submit(engine.run_lane, lane), concurrency,
                                         lambda source_id, outcome: None)
        summary = _summary(results, errors, ctx, engine.pages_built)
    finally:
        fetcher.close()
    store.finish_run(run_id, decide(statuses_of(summary)).state, summary["counts"], summary["errors"])
    store.close()
    return summary


def worker_cpu_seconds() -> float:
    """CPU seconds used so far by the crawl's page-building worker processes (user + system, from
    /proc: they are not this process's children to wait for, the pool keeps them alive)."""
    import flows.engine

    pool = flows.engine._pool
    if pool is None:
        return 0.0
    total = 0
    for pid in list(pool._processes or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker that has exited since
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def requests_per_host(db_url: str, run_id: int) -> Counter:
    """HTTP requests each host received in a run, from the fetch ledger (robots.txt included)."""
    from core.urls import host_of
    from storage.store import Store

    store = Store(db_url, create=False)
    try:
        return Counter(host_of(row.url) for row in store.fetch_rows(run_id) if row.outcome != "robots_disallowed")
    finally:
        store.close()


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
