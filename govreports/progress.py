"""A crawl's progress as a person follows it: one live display on a terminal (sources done / total,
pages fetched, reports new / changed, failures by class, elapsed time and an ETA), plain lines
when stdout is a file or a pipe (one per finished source, readable in a log).

It is a listener of the crawl's events (``flows.events``): the crawl knows nothing of it.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Callable

from rich.console import Console, Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from flows.events import Event, PageFetched, RunFinished, RunStarted, SourceFinished
from govreports.summary import classes, clock, without_source_name

DOCUMENT_OUTCOMES = ("ok", "not_modified")
MESSAGE_CHARS = 160  # a failed source's message in a plain progress line (the summary has it all)


class CrawlProgress:
    """Use as a context manager around the crawl, and register it with ``flows.events.listening``."""

    def __init__(self, console: Console, clock_fn: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.live = console.is_terminal
        self._clock = clock_fn
        self._lock = threading.Lock()
        self._display = None
        self.started = clock_fn()
        self.run_started: float | None = None
        self.run_id: int | None = None
        self.total = 0
        self.done = 0
        self.pages = 0
        self.requests = 0
        self.new = 0
        self.changed = 0
        self.failures: Counter = Counter()
        self.not_ok: Counter = Counter()  # status -> sources

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> "CrawlProgress":
        if self.live:
            from rich.live import Live

            self._display = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self._display.start()
        else:
            self.console.print("starting the crawl (a temporary Prefect server first, unless PREFECT_API_URL is set)",
                               markup=False, highlight=False)
        return self

    def __exit__(self, *exc) -> None:
        if self._display is not None:
            self._display.stop()

    # -- events ------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        with self._lock:
            line = self._apply(event)
        if line is not None and not self.live:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def _apply(self, event: Event) -> str | None:
        """Update the counters; the plain line this event prints, if any."""
        if isinstance(event, PageFetched):
            self.requests += event.sent
            self.pages += event.sent and event.outcome in DOCUMENT_OUTCOMES and event.purpose != "robots"
            return None
        if isinstance(event, RunStarted):
            self.run_id, self.total, self.run_started = event.run_id, event.sources, self._clock()
            return f"run {event.run_id}: crawling {event.sources} sources"
        if isinstance(event, SourceFinished):
            self.done += 1
            self.new += event.new
            self.changed += event.changed
            self.failures.update(event.failures)
            if event.status != "ok":
                self.not_ok[event.status] += 1
            return self._source_line(event)
        if isinstance(event, RunFinished):
            return None
        return None

    def _source_line(self, event: SourceFinished) -> str:
        width = len(str(self.total))
        if event.status == "ok":
            what = f"ok, {event.new} new, {event.changed} changed" + (
                f", failures {classes(event.failures)}" if event.failures else "")
        else:
            message = without_source_name(event.source_id, event.message)
            message = message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS] + "…"
            what = f"{event.status.upper()}: {message}"
        return (f"[{self.done:>{width}}/{self.total}] {event.source_id} {what} | {self.pages} pages, "
                f"{self.new} new, {self.changed} changed | elapsed {clock(self._elapsed())}, ETA {self._eta()}")

    # -- what the live display shows ------------------------------------------------------------

    def _elapsed(self) -> float:
        return self._clock() - (self.run_started if self.run_started is not None else self.started)

    def _eta(self) -> str:
        """Remaining sources at the pace so far (sources run in parallel and differ in size: a guide)."""
        if not self.done or self.run_started is None:
            return "-"
        if self.done >= self.total:
            return "0:00:00"
        return clock(self._elapsed() / self.done * (self.total - self.done))

    def __rich__(self) -> Group:
        with self._lock:
            if self.run_id is None:
                return Group(Text(f"starting the crawl… {clock(self._clock() - self.started)} "
                                  "(a temporary Prefect server takes ~15 s unless PREFECT_API_URL is set)"))
            grid = Table.grid(padding=(0, 1))
            grid.add_row(Text(f"run {self.run_id}", style="bold"), ProgressBar(total=max(self.total, 1),
                                                                              completed=self.done, width=30),
                         Text(f"{self.done}/{self.total} sources  elapsed {clock(self._elapsed())}  ETA {self._eta()}"))
            refused = ", ".join(f"{n} {status}" for status, n in sorted(self.not_ok.items()))
            lines = [grid,
                     Text(f"pages fetched {self.pages} ({self.requests} requests) · reports {self.new} new, "
                          f"{self.changed} changed" + (f" · sources not ok: {refused}" if refused else "")),
                     Text("failures: " + (classes(dict(self.failures.most_common(8)))
                                          + (" …" if len(self.failures) > 8 else "") if self.failures else "none"))]
            return Group(*lines)
