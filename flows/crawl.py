"""The crawl flow: per source, discover → fetch → process (extract, normalize, parse, dedupe, load).

Each source is its own chain of three tasks, so one failing site never fails the others; sources
run concurrently on a thread pool while the fetcher keeps every host polite. Network I/O lives in
the discover and fetch tasks; their retries are per request, inside the fetcher (see
fetching/client.py for why), so those tasks have no Prefect retries. The process task retries only
what can succeed next time: a database that was briefly unavailable.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy.exc import OperationalError

from extraction.attachments import AttachmentError, AttachmentLimits, attachment_links
from fetching.client import Fetcher, PageRequest
from fetching.decode import decode_html
from fetching.postgres_gate import gate_for
from fetching.postgres_host_state import host_state_for
from fetching.settings import FetchSettings
from flows.artifacts import RunProgress, publish_run_artifacts
from flows.events import ObservedSink, RunFinished, RunStarted, SourceFinished, emit
from flows.runtime import prefect_run_id, run_logger
from analysis.coverage import coverage_ledger, default_years
from core.errors import (
    ConfigError, ExtractionError, FetchError, NotAReportError, SiteRefused, SourceFailed, SourceRegressed,
)
from core.policy import SourceStatus, decide, status_of, status_of_crawled, statuses_of
from core.selection import parse_years, select_sources
from flows.pipeline import FetchedAttachment, FetchedDoc, build_documents, content_of_copy, document_kind
from core.sources import Source, load_sources
from scrapers.registry import platform_names
from core.urls import host_of
from scrapers.discover import Discovery, discover
from storage.db import resolve_db_url
from storage.loading import LoadFailure, load_isolated
from storage.reports import LoadOutcome
from storage.runs import heartbeat_every, run_heartbeat
from storage.store import Store

DEFAULT_CONCURRENCY = 8


@dataclass
class CrawlContext:
    """What every task of one run shares (in-process: threads, not workers)."""

    store: Store
    fetcher: Fetcher
    run_id: int
    years: tuple[int, int] | None
    resume_runs: list[int]


@dataclass
class FetchStage:
    docs: list[FetchedDoc] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    resumed: int = 0


@dataclass
class SourceResult:
    source_id: str
    listing_pages: int = 0
    candidates: int = 0
    fetched: int = 0
    resumed: int = 0
    outcomes: Counter = field(default_factory=Counter)  # load outcomes: new / changed / copy_added / unchanged
    not_reports: int = 0
    failures: Counter = field(default_factory=Counter)  # failure class -> count
    rejected: dict = field(default_factory=dict)
    platforms: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)  # what discovery must say: fallbacks taken (gkmlpt_whole_catalogue)
    not_loaded: list = field(default_factory=list)  # LoadFailure: documents that could not be stored

    @property
    def status(self) -> SourceStatus:
        return status_of_crawled(self.failures)

    def message(self) -> str:
        """Why the source is not ok, when it is not (documents it could not store, named)."""
        if not self.not_loaded:
            return ""
        shown = "; ".join(map(str, self.not_loaded[:3])) + (f"; and {len(self.not_loaded) - 3} more"
                                                            if len(self.not_loaded) > 3 else "")
        return f"{len(self.not_loaded)} of its documents could not be stored, the others were: {shown}"


def _db_is_transient(task, task_run, state) -> bool:
    """Retry the process task only when the database was briefly unavailable."""
    try:
        state.result()
    except OperationalError:
        return True
    except Exception:
        return False
    return False


@task(name="discover", cache_policy=NO_CACHE, task_run_name="discover-{source.id}")
def discover_task(source: Source, ctx: CrawlContext) -> Discovery:
    found = discover(source, ctx.fetcher, ctx.years)
    run_logger("flows.crawl").info("%s: %d listing pages, %d candidate links (%s)", source.id, found.listing_pages,
                   len(found.candidates), found.stop_reason)
    for note, count in found.notes.items():
        run_logger("flows.crawl").warning("%s: %s (%d)", source.id, note, count)
    return found


@dataclass(frozen=True)
class _Got:
    """A document in hand: fetched now, or reused from a crashed run being resumed."""

    final_url: str
    content_hash: str
    content_type: str | None
    body: bytes | None  # None when resumed: the snapshot is read when needed
    resumed: bool


def _fetch_or_resume(ctx: CrawlContext, source: Source, url: str, purpose: str) -> _Got:
    """The document at ``url``: from a crashed run we are resuming (no request), else fetched
    politely (a conditional GET when the store has validators); raises ``FetchError``."""
    resumed = ctx.store.resumable_fetch(url, ctx.resume_runs)
    if resumed is not None:
        return _Got(resumed.final_url or url, resumed.content_hash, resumed.content_type, None, True)
    fetched = ctx.fetcher.fetch(PageRequest(url), source_id=source.id, purpose=purpose,
                                allowed_hosts=source.hosts(), delay=source.delay)
    return _Got(fetched.final_url, fetched.content_hash, fetched.content_type, fetched.body, False)


@task(name="fetch", cache_policy=NO_CACHE, task_run_name="fetch-{source.id}")
def fetch_task(source: Source, found: Discovery, ctx: CrawlContext) -> FetchStage:
    stage = FetchStage()
    for candidate in found.candidates:
        try:
            got = _fetch_or_resume(ctx, source, candidate.url, "detail")
        except FetchError as exc:
            stage.failures[exc.outcome] += 1
            run_logger("flows.crawl").warning("%s: %s", source.id, exc)
            continue
        stage.resumed += got.resumed
        page = FetchedDoc(candidate.url, got.final_url, got.content_hash, got.content_type, candidate.link_text,
                          candidate.listing_url, candidate.list_date)
        body = got.body if got.body is not None else ctx.store.load_snapshot(got.content_hash)
        stage.docs.append(_with_attachments(source, page, body, ctx, stage))
    return stage


def _with_attachments(source: Source, page: FetchedDoc, body: bytes, ctx: CrawlContext,
                      stage: FetchStage) -> FetchedDoc:
    """Fetch the attachments an HTML detail page links to, on the source's hosts, politely; a failed
    one is counted by its outcome class (``attachment_<outcome>``) and the page goes on without it."""
    if document_kind(body, page.content_type, page.final_url) != "html":
        return page  # the listing linked straight to a document: it has no attachments of its own
    links = attachment_links(decode_html(body, page.content_type).text, page.final_url)
    cap = AttachmentLimits.from_env().max_attachments_per_page
    if len(links) > cap:
        stage.failures["attachment_over_cap"] += len(links) - cap
        links = links[:cap]
    hosts = source.hosts()
    fetched_attachments = []
    for link in links:
        if host_of(link.url) not in hosts:  # another host needs the source's explicit allowed_hosts
            stage.failures["attachment_off_host"] += 1
            continue
        try:
            got = _fetch_or_resume(ctx, source, link.url, "attachment")
        except FetchError as exc:
            stage.failures[f"attachment_{exc.outcome}"] += 1
            run_logger("flows.crawl").warning("%s: attachment of %s: %s", source.id, page.url, exc)
            continue
        fetched_attachments.append(FetchedAttachment(link.url, got.final_url, got.content_hash, got.content_type,
                                                     link.text))
    return replace(page, attachments=tuple(fetched_attachments))


@task(name="process", cache_policy=NO_CACHE, task_run_name="process-{source.id}", retries=2,
      retry_delay_seconds=5, retry_condition_fn=_db_is_transient)
def process_task(source: Source, found: Discovery, stage: FetchStage, ctx: CrawlContext) -> SourceResult:
    logger = run_logger("flows.crawl")
    result = SourceResult(source.id, listing_pages=found.listing_pages, candidates=len(found.candidates),
                          fetched=len(stage.docs), resumed=stage.resumed, rejected=found.rejected,
                          platforms=sorted(found.platforms), notes=dict(found.notes))
    result.failures.update(found.failures)
    result.failures.update(stage.failures)
    for doc in stage.docs:
        body = ctx.store.load_snapshot(doc.snapshot_hash)
        try:
            built = build_documents(source, doc, body, ctx.years, ctx.store.load_snapshot)
        except NotAReportError as exc:
            result.not_reports += 1
            logger.info("%s: not a report: %s", source.id, exc)
            continue
        except AttachmentError as exc:  # an attachment-only report whose document could not be read
            result.failures[f"attachment_{exc.outcome}"] += 1
            logger.warning("%s: %s: %s", source.id, doc.url, exc)
            continue
        except ExtractionError as exc:
            result.failures["extraction_failed"] += 1
            logger.warning("%s: %s", source.id, exc)
            continue
        for url, error in built.attachment_failures:
            result.failures[f"attachment_{error.outcome}"] += 1
            logger.warning("%s: attachment %s: %s", source.id, url, error)
        page_outcome = None
        for document in built.documents:  # the report first: its attachments load as its copies
            outcome = load_isolated(ctx.store, document, ctx.run_id,
                                    lambda copy, year=document.year: content_of_copy(ctx.store, copy, year))
            if isinstance(outcome, LoadFailure):  # rolled back; the source's other documents still load
                result.failures[outcome.failure_class] += 1
                result.not_loaded.append(outcome)
                logger.warning("%s: %s", source.id, outcome)
                continue
            if page_outcome is LoadOutcome.NEW and outcome is LoadOutcome.CHANGED:
                outcome = LoadOutcome.COPY_ADDED  # the document behind a new stub page: one new report, not a change
            page_outcome = page_outcome or outcome
            result.outcomes[outcome.value] += 1
    reports_here = sum(result.outcomes.values())
    if reports_here == 0 and ctx.years is None:
        before = ctx.store.reports_found_before(source.id, ctx.run_id)
        if before:
            raise SourceRegressed(f"source {source.id} yielded no reports this run, but {before} copies in earlier "
                                  f"runs (failures: {dict(result.failures) or 'none'}): the site or its markup changed")
    logger.info("%s: %s", source.id, dict(result.outcomes) or "no reports")
    return result


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


# Each source in flight holds up to three pool threads: its running task, and the tasks that
# wait on it (Prefect resolves a task's upstream futures in the thread that will run it).
THREADS_PER_SOURCE = 3


def _run_sources(sources: list[Source], ctx: CrawlContext, concurrency: int, progress: RunProgress) -> dict:
    """Crawl the sources with at most ``concurrency`` of them in flight.

    A sliding window, not everything submitted at once: submitted chains would hold pool threads
    while waiting on their upstream tasks (fewer sources really running than ``concurrency``), and
    every submitted future would be kept alive until the flow ends (memory growing with sources).
    """
    window = max(1, concurrency)
    results: dict[str, SourceResult] = {}
    failed: dict[str, SourceFailure] = {}
    waiting = iter(sources)
    in_flight: dict = {}  # process future -> (source id, its discover and fetch futures)
    with ThreadPoolTaskRunner(max_workers=window * THREADS_PER_SOURCE) as runner:

        def submit_next() -> None:
            source = next(waiting, None)
            if source is None:
                return
            found = runner.submit(discover_task, {"source": source, "ctx": ctx})
            stage = runner.submit(fetch_task, {"source": source, "found": found, "ctx": ctx})
            processed = runner.submit(process_task, {"source": source, "found": found, "stage": stage, "ctx": ctx})
            in_flight[processed] = (source.id, (found, stage))

        for _ in range(window):
            submit_next()
        while in_flight:
            future = next(as_completed(list(in_flight)))  # the first source to finish
            source_id, upstream = in_flight.pop(future)
            value = _outcome(future)
            if isinstance(value, SourceResult):
                results[source_id] = value
                emit(SourceFinished(source_id, value.status, value.outcomes["new"], value.outcomes["changed"],
                                    dict(value.failures), value.message()))
            else:
                failed[source_id] = failure = SourceFailure.of(_first_error(*upstream, future))
                emit(SourceFinished(source_id, failure.status, failures=failure.failures, message=failure.message))
            ctx.store.heartbeat(ctx.run_id, {"sources_done": len(results) + len(failed)})
            progress.source_finished()
            submit_next()
    return _summary(results, failed, ctx)


def _outcome(future) -> object:
    """A task's return value, or the exception it ended with. Read from the future itself, never
    from ``future.state``: that is fetched from the API, which learns of state changes through
    events and can still say Pending for a task that has finished."""
    try:
        return future.result(raise_on_failure=False)
    except Exception as exc:  # a task that never ran because its upstream failed
        return exc


def _first_error(*chain) -> BaseException:
    """The exception of the first task of a source's chain that failed (a process task whose
    upstream failed never runs, and says nothing useful)."""
    for future in chain:
        value = _outcome(future)
        if isinstance(value, BaseException):
            return value
    return RuntimeError("the source's tasks ended without a result")


@dataclass(frozen=True)
class SourceFailure:
    """A source that did not end ok: its status under the run policy, a one-line message, and the
    outcome classes that made it so (a refused site's listing fetches)."""

    status: SourceStatus
    message: str
    failures: dict

    @classmethod
    def of(cls, error: BaseException) -> "SourceFailure":
        # our own errors keep their type (OperationalError: …); a site's or a regression's message is enough
        message = str(error) if isinstance(error, SourceFailed) else f"{type(error).__name__}: {error}"
        return cls(status_of(error), message, dict(error.failures) if isinstance(error, SiteRefused) else {})


def _summary(results: dict[str, SourceResult], failed: dict[str, SourceFailure], ctx: CrawlContext) -> dict:
    outcomes: Counter = Counter()
    failures: Counter = Counter()
    notes: Counter = Counter()
    for r in results.values():
        outcomes.update(r.outcomes)
        failures.update(r.failures)
        notes.update(r.notes)
    for f in failed.values():
        failures.update(f.failures)
    # every source that did not end ok: those whose tasks failed, and those crawled with a document
    # they could not store (these also have their per_source counts: what they did load)
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


