"""What a crawl tells whoever is watching it in this process: a few plain events, emitted to the
listeners registered with ``listening`` (the CLI's progress display is one). The crawl does not know
who listens; with no listener (a worker, a test) emitting costs a lookup.

Events come from the flow's threads: listeners must be thread-safe and quick, and an exception in a
listener is logged and never reaches the crawl.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Union

from fetching.client import NOT_SENT, FetchRecord, Validators

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    sources: int  # sources this run will crawl


@dataclass(frozen=True)
class PageFetched:
    """One ledger row: a request sent (``sent``) or declined, with its outcome class."""

    source_id: str | None
    purpose: str  # robots | listing | detail | attachment
    outcome: str
    sent: bool


@dataclass(frozen=True)
class SourceFinished:
    source_id: str
    status: str  # core.policy.SourceStatus
    new: int = 0
    changed: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # outcome class -> documents
    message: str = ""  # why it did not end ok


@dataclass(frozen=True)
class RunFinished:
    summary: dict


Event = Union[RunStarted, PageFetched, SourceFinished, RunFinished]
Listener = Callable[[Event], None]

_listeners: list[Listener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send this process's crawl events to ``listener`` while the block runs."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def emit(event: Event) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # a display must never break a crawl
            log.warning("crawl event listener %r failed on %r", listener, event, exc_info=True)


class ObservedSink:
    """The store as the fetcher's sink, telling listeners about every ledger row it records (so the
    fetcher and the crawl loop need no hooks of their own)."""

    def __init__(self, store) -> None:
        self.store = store

    def save_snapshot(self, content_hash: str, body: bytes, content_type: str | None) -> None:
        self.store.save_snapshot(content_hash, body, content_type)

    def load_snapshot(self, content_hash: str) -> bytes:
        return self.store.load_snapshot(content_hash)

    def validators_for(self, url: str) -> Validators | None:
        return self.store.validators_for(url)

    def record_fetch(self, record: FetchRecord) -> None:
        self.store.record_fetch(record)
        emit(PageFetched(record.source_id, record.purpose, record.outcome, record.attempt != NOT_SENT))
