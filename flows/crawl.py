"""The crawl flow: host lanes discover and fetch, worker processes parse, this flow's thread loads.

The engine is flows/engine.py: sources grouped into one lane per host (a Prefect task each, with
a task per source's discovery inside it), ``concurrency`` lanes in flight, pages streamed to a
process pool as they are fetched, and one writer. One failing site never fails the others: each
source ends with its own typed outcome. Retries of network I/O are per request, inside the
fetcher (see fetching/client.py for why), so the tasks have no Prefect retries; a load that meets
a briefly unavailable database is tried again by the writer.
"""
from __future__ import annotations

import hashlib
from collections import Counter

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner

from fetching.client import Fetcher
from fetching.postgres_gate import gate_for
from fetching.postgres_host_state import host_state_for
from fetching.settings import FetchSettings
from flows.artifacts import RunProgress, publish_run_artifacts
from flows.engine import CrawlContext, Engine, Lane, SourceFailure, SourceResult
from flows.events import ObservedSink, RunFinished, RunStarted, SourceFinished, emit
from flows.runtime import prefect_run_id, run_logger
from analysis.coverage import coverage_ledger, default_years
from core.errors import ConfigError
from core.policy import SourceStatus, decide, statuses_of
from core.selection import parse_years, select_sources
from core.sources import Source, load_sources
from scrapers.registry import platform_names
from scrapers.discover import Discovery, discover
from storage.db import resolve_db_url
from storage.runs import heartbeat_every, run_heartbeat
from storage.store import Store

# Host lanes in flight: each is a thread waiting on its host's gate nearly all the time, so the
# number is bounded by memory and file descriptors, not by cores (bench/fetch_models.py).
DEFAULT_CONCURRENCY = 64


@task(name="discover", cache_policy=NO_CACHE, task_run_name="discover-{source.id}")
def discover_task(source: Source, ctx: CrawlContext) -> Discovery:
    found = discover(source, ctx.fetcher, ctx.years)
    run_logger("flows.crawl").info("%s: %d listing pages, %d candidate links (%s)", source.id, found.listing_pages,
                   len(found.candidates), found.stop_reason)
    for note, count in found.notes.items():
        run_logger("flows.crawl").warning("%s: %s (%d)", source.id, note, count)
    return found


@task(name="host", cache_policy=NO_CACHE, task_run_name="host-{lane.host}")
def lane_task(lane: Lane, engine: Engine) -> int:
    """One host's lane: its sources' discovery (a task each) and fetches, one request at a time;
    pages go on to the workers as they arrive. Never fails for a source: each source's own
    failure reaches the writer, typed."""
    return engine.run_lane(lane)


@flow(name="crawl", log_prints=True)
def crawl(sources_file: str, db: str | None = None, years: str | None = None,
          source_ids: list[str] | None = None, concurrency: int = DEFAULT_CONCURRENCY, shard: int = 0,
          shards: int = 1) -> dict:
    """Crawl the sources of ``sources_file`` into ``db``; returns the run's summary.

    ``shard``/``shards`` split the sources across concurrent flow runs (on one worker or many):
    this run crawls the sources whose stable hash falls in ``shard`` (see ``in_shard``).
    """
    sources = shard_sources(select_sources(load_sources(sources_file, platform_names()), source_ids), shard, shards)
    span = parse_years(years)
    store = Store(resolve_db_url(db))
    parameters = {"sources_file": str(sources_file), "years": years, "source_ids": source_ids,
                  "concurrency": concurrency, "shard": shard, "shards": shards}
    beat = heartbeat_every()  # a bad setting fails before the run starts
    crashed = store.mark_crashed_runs()
    resume_runs = store.resumable_runs()
    run_id = store.start_run("crawl", parameters, prefect_run_id())
    store.upsert_sources(sources, run_id)
    settings = FetchSettings.from_env()
    fetcher = Fetcher(ObservedSink(store), run_id=run_id, settings=settings, gate=gate_for(store.url, store.engine),
                      host_state=host_state_for(store.url, store.engine, settings))
    ctx = CrawlContext(store, fetcher, run_id, span, resume_runs)
    emit(RunStarted(run_id, len(sources)))
    try:
        with run_heartbeat(store, run_id, beat):  # alive while a long source runs (sources end rarely)
            summary = _run_sources(sources, ctx, concurrency, RunProgress(len(sources), shard, shards))
    except BaseException as exc:
        store.finish_run(run_id, "failed", {}, {"flow": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        fetcher.close()
    summary["crashed_runs_found"] = crashed
    summary["resumed_from_runs"] = resume_runs
    verdict = decide(statuses_of(summary))  # the same policy decides the CLI's exit code
    summary["errors"]["run"] = list(verdict.reasons)
    store.finish_run(run_id, verdict.state, summary["counts"], summary["errors"])
    _publish(summary, store, sources, span, shard, shards)
    store.close()
    emit(RunFinished(summary))
    if verdict.failed:
        return Failed(message=f"run {run_id} failed: " + "; ".join(verdict.reasons), data=summary)
    refused = len(summary["errors"]["sources"])
    return Completed(message=f"run {run_id}: {summary['counts']['reports_new']} new reports"
                             + (f"; {refused} of {len(sources)} sources refused by their sites" if refused else ""),
                     data=summary)


def in_shard(source_id: str, shard: int, shards: int) -> bool:
    """Stable across processes and machines (Python's ``hash`` is salted per process)."""
    return int(hashlib.sha256(source_id.encode()).hexdigest()[:8], 16) % shards == shard


def shard_sources(sources: list[Source], shard: int, shards: int) -> list[Source]:
    if shards < 1 or not 0 <= shard < shards:
        raise ConfigError(f"shard {shard} of {shards}: need shards >= 1 and 0 <= shard < shards")
    return [s for s in sources if in_shard(s.id, shard, shards)]


def _publish(summary: dict, store: Store, sources: list[Source], span: tuple[int, int] | None, shard: int,
             shards: int) -> None:
    """Artifacts for the Prefect UI, and the blocked / parked hosts in the run's log."""
    logger = run_logger("flows.crawl")
    for label in ("blocked_hosts", "parked_hosts"):
        if summary["errors"][label]:
            logger.warning("%s: %s", label.replace("_", " "), ", ".join(summary["errors"][label]))
    years = span or default_years(store.coverage_reports([s.id for s in sources]))
    ledger = coverage_ledger(store, sources, years) if years else None
    publish_run_artifacts(summary, ledger, shard, shards)


def _run_sources(sources: list[Source], ctx: CrawlContext, concurrency: int, progress: RunProgress) -> dict:
    """Crawl the sources with ``concurrency`` host lanes in flight, each a Prefect task on a thread
    pool; this thread is the run's one writer (see flows/engine.py)."""
    engine = Engine(ctx, sources, discover_task)

    def source_finished(source_id: str, outcome: SourceResult | SourceFailure) -> None:
        if isinstance(outcome, SourceResult):
            emit(SourceFinished(source_id, outcome.status, outcome.outcomes["new"], outcome.outcomes["changed"],
                                dict(outcome.failures), outcome.message()))
        else:
            emit(SourceFinished(source_id, outcome.status, failures=outcome.failures, message=outcome.message))
        ctx.store.heartbeat(ctx.run_id, {"sources_done": progress.done + 1})
        progress.source_finished()

    with ThreadPoolTaskRunner(max_workers=max(1, concurrency)) as runner:
        results, failed = engine.run(lambda lane: runner.submit(lane_task, {"lane": lane, "engine": engine}),
                                     concurrency, source_finished)
    return _summary(results, failed, ctx, engine.pages_built)


def _summary(results: dict[str, SourceResult], failed: dict[str, SourceFailure], ctx: CrawlContext,
             pages_parsed: int) -> dict:
    outcomes: Counter = Counter()
    failures: Counter = Counter()
    notes: Counter = Counter()
    for r in results.values():
        outcomes.update(r.outcomes)
        failures.update(r.failures)
        notes.update(r.notes)
    for f in failed.values():
        failures.update(f.failures)
    # every source that did not end ok: those that failed, and those crawled with a document they
    # could not store (these also have their per_source counts: what they did load)
    not_ok = ({sid: (r.status, r.message()) for sid, r in results.items() if r.status is not SourceStatus.OK}
              | {sid: (f.status, f.message) for sid, f in failed.items()})
    hosts = ctx.fetcher.host_report()
    counts = {
        "sources": len(results) + len(failed),
        "sources_failed": len(not_ok),
        "listing_pages": sum(r.listing_pages for r in results.values()),
        "candidates": sum(r.candidates for r in results.values()),
        "documents_fetched": sum(r.fetched for r in results.values()),
        "resumed": sum(r.resumed for r in results.values()),
        "not_reports": sum(r.not_reports for r in results.values()),
        "reports_new": outcomes["new"],
        "reports_changed": outcomes["changed"],
        "copies_added": outcomes["copy_added"],
        "copies_unchanged": outcomes["unchanged"],
        "pages_parsed": pages_parsed,  # the rest were seen before: the same bytes, parsed by this parser version
        "requests": sum(h["requests"] for h in hosts.values()),
        "notes": dict(notes),
        "per_source": {sid: {"listing_pages": r.listing_pages, "candidates": r.candidates, "fetched": r.fetched,
                             "new": r.outcomes["new"], "changed": r.outcomes["changed"],
                             "copy_added": r.outcomes["copy_added"], "unchanged": r.outcomes["unchanged"],
                             "not_reports": r.not_reports, "failures": dict(r.failures), "platforms": r.platforms,
                             "notes": r.notes}
                       for sid, r in sorted(results.items())},
    }
    errors = {
        "sources": {sid: why for sid, (_, why) in sorted(not_ok.items())},
        "source_status": {sid: str(status) for sid, (status, _) in sorted(not_ok.items())},
        "source_failures": {sid: f.failures for sid, f in sorted(failed.items()) if f.failures},
        "by_class": dict(failures),
        "blocked_hosts": [h for h, v in hosts.items() if v["blocked"]],
        "parked_hosts": [h for h, v in hosts.items() if v["parked"]],
    }
    return {"run_id": ctx.run_id, "counts": counts, "errors": errors}


