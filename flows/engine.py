"""The crawl engine: host lanes fetch, worker processes parse, one writer loads.

- **Lanes, by host.** Sources are grouped by the host of their first start URL; a lane crawls its
  sources one after another (discover, then fetch each candidate and its attachments), so sources
  that share a portal never hold two slots while they wait on the one host. ``concurrency`` lanes
  are in flight at once, each a thread that spends its life waiting on its host's gate (the
  fetcher's, which spaces requests by the source's delay): threads, not asyncio, because the fetcher,
  its gate and the discovery walkers are synchronous, and at the measured scale (bench/fetch_models.py)
  a waiting thread costs no CPU and ~8 MB of address space, not of RSS.
- **Streaming.** A page goes to a worker process as soon as it and its attachments are in hand; the
  lane goes on to its next request meanwhile. Pages in flight are bounded (``_PAGES_PER_WORKER``)
  so that a slow parse holds the lanes back instead of piling bodies up in memory.
- **CPU on every core.** ``flows.pipeline.build_page`` (decode → extract → normalize → parse) runs
  in a process pool over plain data; the dedupe keys and the load stay with the writer, which is
  the flow's own thread: one writer for the database, every document in its own transaction.
- **Nothing done twice.** A page whose bytes (and its attachments' bytes) are those of copies
  parsed by this parser version (a 304 brings the stored bytes back) is not parsed again: its
  copies are touched as seen (``unchanged``).
"""
from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing import get_context

from prefect.futures import PrefectFuture
from sqlalchemy.exc import OperationalError

from core.errors import FetchError, SiteRefused, SourceFailed, SourceRegressed
from core.policy import SourceStatus, status_of, status_of_crawled
from core.sources import Source
from core.urls import host_of
from extraction.attachments import AttachmentLimits, attachment_links
from fetching.client import Fetcher, PageRequest
from fetching.decode import decode_html
from flows.pipeline import FetchedAttachment, FetchedDoc, PageBuilt, PageWork, build_page, content_of_copy, document_kind
from flows.runtime import run_logger
from scrapers.discover import Discovery
from storage.loading import LoadFailure, load_isolated
from storage.reports import LoadOutcome
from storage.store import Store

# Pages handed to workers and not yet loaded, per worker: enough that a worker never waits for
# work while the writer loads, few enough that bodies in flight stay a few MB.
_PAGES_PER_WORKER = 8
# Workers per core. A worker reading an attachment waits for its bounded child process
# (extraction/attachments.py), which does the CPU work: with one worker per core, the 200 × 10
# web's 400 PDFs ran two at a time, the workers idle (2 s of CPU each in 160 s) and the lanes held
# back. Four per core keep the cores busy through those waits; pure parsing oversubscribed costs
# only context switches.
_WORKERS_PER_CORE = 4
# A database that was briefly unavailable: the load of a document is tried again this often,
# this long apart (what the process task's Prefect retries did), before its source fails.
LOAD_RETRIES = 2
LOAD_RETRY_DELAY_S = 5.0


@dataclass
class CrawlContext:
    """What every lane of one run shares (threads of one process; workers get plain data only)."""

    store: Store
    fetcher: Fetcher
    run_id: int
    years: tuple[int, int] | None
    resume_runs: list[int]


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


@dataclass(frozen=True)
class Lane:
    """The sources whose first start URL is on ``host``: crawled one after another."""

    host: str
    sources: tuple[Source, ...]


def lanes_of(sources: list[Source]) -> list[Lane]:
    """Sources grouped by host, the lanes with the most sources first (they take longest)."""
    by_host: dict[str, list[Source]] = {}
    for source in sources:
        by_host.setdefault(host_of(source.start_urls[0]), []).append(source)
    return sorted((Lane(host, tuple(group)) for host, group in by_host.items()), key=lambda lane: -len(lane.sources))


# --- what lanes tell the writer (through one queue, in the order they happen) ---

@dataclass(frozen=True)
class _Page:
    source_id: str
    fetched: FetchedDoc
    built: Future | None  # None: seen before, nothing to parse
    seen: tuple[tuple[str, str], ...] = ()  # (URL, snapshot hash) of the page and its attachments


@dataclass(frozen=True)
class _SourceFetched:
    """The lane is done with a source: ``pages`` pages were handed on for it."""

    source_id: str
    found: Discovery
    failures: Counter
    fetched: int
    resumed: int
    pages: int


@dataclass(frozen=True)
class _SourceFailed:
    source_id: str
    error: BaseException
    pages: int  # handed on before it failed: the writer still waits for them


@dataclass(frozen=True)
class _LaneDone:
    lane: Lane
    error: BaseException | None


@dataclass
class _Tally:
    """A source in the writer's hands: what it has loaded so far, and how it ends."""

    result: SourceResult
    pages_done: int = 0
    pages: int | None = None  # known once its lane is done with it
    error: BaseException | None = None

    def complete(self) -> bool:
        return self.pages is not None and self.pages_done >= self.pages


class _InProcess(Executor):
    """Build pages in the lane's own thread (``in_process``): what the per-stage CPU clock measures,
    since it can only see this process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def worker_pool() -> ProcessPoolExecutor:
    """The process-wide pool of page builders, a few per core, started once and kept (a worker's
    imports take a second or two: a crawl pays them once per process, not once per run). The
    forkserver forks workers from a clean process that has imported the pipeline already: no
    fork of this threaded process, and no import per worker."""
    global _pool
    with _pool_lock:
        if _pool is None:
            context = get_context("forkserver")
            context.set_forkserver_preload(["flows.pipeline"])
            _pool = ProcessPoolExecutor(max_workers=_workers(), mp_context=context)
            atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
        return _pool


def _workers() -> int:
    return _WORKERS_PER_CORE * (os.cpu_count() or 1)


def _drop_broken_pool(pool: Executor) -> None:
    """A worker died (killed, out of memory): the next submit starts a fresh pool."""
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None


class Engine:
    """One crawl run's lanes, workers and writer. ``run`` is the writer: call it from the flow's
    thread; ``run_lane`` is each lane's body, on whatever runs lanes (Prefect's task runner, a thread
    pool)."""

    def __init__(self, ctx: CrawlContext, sources: list[Source], discover: Callable[[Source, CrawlContext], Discovery],
                 in_process: bool = False) -> None:
        self.ctx = ctx
        self.sources = sources
        self.discover = discover
        self.executor: Executor = _InProcess() if in_process else worker_pool()
        slots = _PAGES_PER_WORKER * (1 if in_process else _workers())
        self.slots = threading.BoundedSemaphore(slots)
        self.limits = AttachmentLimits.from_env()
        self.parsed = ctx.store.parsed_snapshots([s.id for s in sources])
        self.inbox: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.pages_built = 0  # pages parsed this run (a re-crawl of an unchanged web builds none)
        self.worker_cpu_s = 0.0  # CPU spent building pages in worker processes

    # --- lanes (many threads) ---

    def run_lane(self, lane: Lane) -> int:
        """Crawl the lane's sources, handing each page on as soon as it is fetched; returns how many
        sources it went through. Every source ends with a message to the writer, whatever happens."""
        for source in lane.sources:
            if self.stopping.is_set():
                break
            self._run_source(source)
        return len(lane.sources)

    def _run_source(self, source: Source) -> None:
        pages = 0
        try:
            found = self.discover(source, self.ctx)
            failures: Counter = Counter()
            fetched = resumed = 0
            for candidate in found.candidates:
                if self.stopping.is_set():
                    break
                try:
                    got = _fetch_or_resume(self.ctx, source, candidate.url, "detail")
                except FetchError as exc:
                    failures[exc.outcome] += 1
                    run_logger("flows.crawl").warning("%s: %s", source.id, exc)
                    continue
                fetched += 1
                resumed += got.resumed
                page = FetchedDoc(candidate.url, got.final_url, got.content_hash, got.content_type,
                                  candidate.link_text, candidate.listing_url, candidate.list_date)
                body = got.body if got.body is not None else self.ctx.store.load_snapshot(got.content_hash)
                page, bodies = _with_attachments(source, page, body, self.ctx, self.limits, failures)
                self._hand_on(source, page, body, bodies)
                pages += 1
        except Exception as exc:  # typed per source: a refused site, a database gone away, a bug
            self.inbox.put(_SourceFailed(source.id, exc, pages))
            return
        self.inbox.put(_SourceFetched(source.id, found, failures, fetched, resumed, pages))

    def _hand_on(self, source: Source, page: FetchedDoc, body: bytes, bodies: dict[str, bytes]) -> None:
        seen = ((page.url, page.snapshot_hash), *((a.url, a.snapshot_hash) for a in page.attachments))
        if all(key in self.parsed for key in seen):
            self.inbox.put(_Page(source.id, page, None, seen))
            return
        self.slots.acquire()  # released by the writer once the page is loaded
        work = PageWork(source, page, body, bodies, self.ctx.years, self.limits)
        executor = self.executor
        try:
            built = executor.submit(build_page, work)
        except BrokenProcessPool:
            _drop_broken_pool(executor)
            self.executor = executor = worker_pool()
            built = executor.submit(build_page, work)
        built.add_done_callback(lambda _: self.inbox.put(_Page(source.id, page, built)))

    # --- the writer (the flow's thread) ---

    def run(self, start_lane: Callable[[Lane], object], concurrency: int,
            source_finished: Callable[[str, SourceResult | SourceFailure], None]) -> tuple[dict, dict]:
        """Keep ``concurrency`` lanes in flight (``start_lane`` schedules ``run_lane`` and returns a
        future) and load what they hand on until every source has ended; returns the sources'
        results and failures."""
        waiting = lanes_of(self.sources)
        waiting.reverse()  # popped from the end: the longest lanes first
        tallies: dict[str, _Tally] = {}
        results: dict[str, SourceResult] = {}
        failed: dict[str, SourceFailure] = {}
        lanes_in_flight = 0
        try:
            while waiting or lanes_in_flight or len(results) + len(failed) < len(self.sources):
                while waiting and lanes_in_flight < max(1, concurrency):
                    self._start(start_lane, waiting.pop())
                    lanes_in_flight += 1
                message = self.inbox.get()
                if isinstance(message, _LaneDone):
                    lanes_in_flight -= 1
                    self._lane_done(message, tallies, results, failed)
                    continue
                tally = tallies.setdefault(message.source_id, _Tally(SourceResult(message.source_id)))
                self._take(message, tally)
                if tally.complete() and message.source_id not in results and message.source_id not in failed:
                    self._finish(message.source_id, tally, results, failed, source_finished)
        finally:
            self.stopping.set()  # an interrupted writer: lanes stop at their next request
        return results, failed

    def _start(self, start_lane: Callable[[Lane], object], lane: Lane) -> None:
        future = start_lane(lane)
        future.add_done_callback(lambda done: self.inbox.put(_LaneDone(lane, _error_of(done))))

    def _lane_done(self, message: _LaneDone, tallies: dict, results: dict, failed: dict) -> None:
        """A lane that ended without a word about some of its sources (it crashed, or the run is
        stopping): they fail with its error, so the writer never waits for them."""
        for source in message.lane.sources:
            tally = tallies.get(source.id)
            if source.id in results or source.id in failed or (tally and tally.pages is not None):
                continue
            error = message.error or RuntimeError(f"lane {message.lane.host} ended before source {source.id}")
            failed[source.id] = SourceFailure.of(error)

    def _take(self, message, tally: _Tally) -> None:
        if isinstance(message, _Page):
            self._load_page(message, tally)
            tally.pages_done += 1
        elif isinstance(message, _SourceFetched):
            found = message.found
            result = tally.result
            result.listing_pages, result.candidates = found.listing_pages, len(found.candidates)
            result.fetched, result.resumed = message.fetched, message.resumed
            result.rejected, result.platforms, result.notes = found.rejected, sorted(found.platforms), dict(found.notes)
            result.failures.update(found.failures)
            result.failures.update(message.failures)
            tally.pages = message.pages
        elif isinstance(message, _SourceFailed):
            tally.error = tally.error or message.error
            tally.pages = message.pages

    def _load_page(self, message: _Page, tally: _Tally) -> None:
        result, logger = tally.result, run_logger("flows.crawl")
        if message.built is None:
            result.outcomes[LoadOutcome.UNCHANGED.value] += self.ctx.store.touch_copies(list(message.seen),
                                                                                       self.ctx.run_id)
            return
        self.slots.release()
        try:
            built: PageBuilt = message.built.result()
        except Exception as exc:  # a parser bug: the source fails with it, typed, as it did in-process
            if isinstance(exc, BrokenProcessPool):
                _drop_broken_pool(self.executor)
            tally.error = tally.error or exc
            return
        self.pages_built += 1
        self.worker_cpu_s += built.cpu_s
        if built.refused:
            failure, why = built.refused
            if failure == "not_report":
                result.not_reports += 1
                logger.info("%s: not a report: %s", result.source_id, why)
            else:
                result.failures[failure] += 1
                logger.warning("%s: %s", result.source_id, why)
            return
        for url, outcome, why in built.attachment_failures:
            result.failures[f"attachment_{outcome}"] += 1
            logger.warning("%s: attachment %s: %s", result.source_id, url, why)
        page_outcome = None
        for document in built.documents:  # the report first: its attachments load as its copies
            outcome = self._load(document, tally)
            if outcome is None:
                continue
            if page_outcome is LoadOutcome.NEW and outcome is LoadOutcome.CHANGED:
                outcome = LoadOutcome.COPY_ADDED  # the document behind a new stub page: one new report, not a change
            page_outcome = page_outcome or outcome
            result.outcomes[outcome.value] += 1

    def _load(self, document, tally: _Tally) -> LoadOutcome | None:
        """Load one document in its own transaction (``storage.loading.load_isolated``). A database
        briefly unavailable is waited for; still unavailable, the source fails. Any other error rolls
        back this document alone: it is counted (``load_failed``), named, and the source's other
        documents load."""
        store = self.ctx.store
        for attempt in range(LOAD_RETRIES + 1):
            try:
                outcome = load_isolated(store, document, self.ctx.run_id,
                                        lambda copy, year=document.year: content_of_copy(store, copy, year))
            except OperationalError as exc:
                if attempt == LOAD_RETRIES:
                    tally.error = tally.error or exc
                    return None
                time.sleep(LOAD_RETRY_DELAY_S)
                continue
            if isinstance(outcome, LoadFailure):
                tally.result.failures[outcome.failure_class] += 1
                tally.result.not_loaded.append(outcome)
                run_logger("flows.crawl").warning("%s: %s", tally.result.source_id, outcome)
                return None
            return outcome
        return None

    def _finish(self, source_id: str, tally: _Tally, results: dict, failed: dict,
                source_finished: Callable[[str, SourceResult | SourceFailure], None]) -> None:
        result = tally.result
        error = tally.error
        if error is None and sum(result.outcomes.values()) == 0 and self.ctx.years is None:
            before = self.ctx.store.reports_found_before(source_id, self.ctx.run_id)
            if before:
                error = SourceRegressed(
                    f"source {source_id} yielded no reports this run, but {before} copies in earlier runs "
                    f"(failures: {dict(result.failures) or 'none'}): the site or its markup changed")
        if error is None:
            results[source_id] = result
            run_logger("flows.crawl").info("%s: %s", source_id, dict(result.outcomes) or "no reports")
            source_finished(source_id, result)
        else:
            failed[source_id] = failure = SourceFailure.of(error)
            source_finished(source_id, failure)


def _error_of(future) -> BaseException | None:
    """The exception a lane's future ended with (a Prefect future or a plain one), if any."""
    try:
        value = future.result(raise_on_failure=False) if isinstance(future, PrefectFuture) else future.result()
    except BaseException as exc:
        return exc
    return value if isinstance(value, BaseException) else None


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


def _with_attachments(source: Source, page: FetchedDoc, body: bytes, ctx: CrawlContext,
                      limits: AttachmentLimits, failures: Counter) -> tuple[FetchedDoc, dict[str, bytes]]:
    """Fetch the attachments an HTML detail page links to, on the source's hosts, politely; a failed
    one is counted by its outcome class (``attachment_<outcome>``) and the page goes on without it.
    Returns the page with its attachments, and their bytes by snapshot hash (for the worker)."""
    if document_kind(body, page.content_type, page.final_url) != "html":
        return page, {}  # the listing linked straight to a document: it has no attachments of its own
    links = attachment_links(decode_html(body, page.content_type).text, page.final_url)
    cap = limits.max_attachments_per_page
    if len(links) > cap:
        failures["attachment_over_cap"] += len(links) - cap
        links = links[:cap]
    hosts = source.hosts()
    fetched_attachments = []
    bodies: dict[str, bytes] = {}
    for link in links:
        if host_of(link.url) not in hosts:  # another host needs the source's explicit allowed_hosts
            failures["attachment_off_host"] += 1
            continue
        try:
            got = _fetch_or_resume(ctx, source, link.url, "attachment")
        except FetchError as exc:
            failures[f"attachment_{exc.outcome}"] += 1
            run_logger("flows.crawl").warning("%s: attachment of %s: %s", source.id, page.url, exc)
            continue
        fetched_attachments.append(FetchedAttachment(link.url, got.final_url, got.content_hash, got.content_type,
                                                     link.text))
        bodies[got.content_hash] = got.body if got.body is not None else ctx.store.load_snapshot(got.content_hash)
    return replace(page, attachments=tuple(fetched_attachments)), bodies
