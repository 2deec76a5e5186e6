"""What the fetcher knows about a host beyond its spacing: blocked, parked, and its robots.txt.

``HostState`` is the contract; ``LocalHostState`` keeps it in the process (a SQLite run: one
machine, one process, so the process is the run and the state lasts as long as it). The shared
implementation over Postgres, for N workers on one database, is ``fetching.postgres_host_state``.

- *Blocked:* a host answered 403/412 or a captcha page. Nothing more is sent to it.
- *Parked:* ``park_after`` transient failures in a row (any request, any worker). Nothing more is
  sent to it; a success anywhere resets the streak.
- *robots.txt:* read once (by one worker) and reused; what could not be read is "unavailable" and
  disallows the host (RFC 9309 §2.3.1.4).

Refusals are decided here; the fetcher records them in the ledger (attempt 0) and raises.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Protocol


@dataclass(frozen=True)
class Refusal:
    """Why no request may go to a host now: the ledger outcome ('blocked' | 'parked') and a reason."""

    outcome: str
    why: str


@dataclass(frozen=True)
class RobotsFile:
    """A host's robots.txt as it was read: the status and text, or why it could not be read."""

    status: int | None
    body: str | None = None  # the text of a 2xx answer; None otherwise (4xx: no rules)
    unavailable: str | None = None  # 5xx, timeout, connection error: everything is disallowed
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class HostStatus:
    """What ``host_report`` shows of a host."""

    blocked: bool = False
    parked: bool = False
    consecutive_failures: int = 0


class HostState(Protocol):
    def refusal(self, host: str) -> Refusal | None:
        """Why nothing may be sent to ``host`` now (blocked or parked, by any worker), or None."""
        ...

    def block(self, host: str, reason: str) -> None:
        """The host refused us (``reason``: e.g. 'HTTP 412'): leave it alone."""
        ...

    def failed(self, host: str, park_after: int) -> bool:
        """One more transient failure in a row; True when the host is now parked."""
        ...

    def succeeded(self, host: str) -> None:
        """A request got an answer that is not a transient failure: the streak ends."""
        ...

    def robots(self, host: str, fetch: Callable[[], RobotsFile]) -> RobotsFile:
        """The host's robots.txt: a copy already read, or ``fetch()`` it (once, whoever asks)."""
        ...

    def status(self, hosts: list[str]) -> dict[str, HostStatus]:
        """Blocked / parked / failure streak of each of ``hosts``."""
        ...


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)  # the counters and flags below
    robots_lock: threading.Lock = field(default_factory=threading.Lock)  # one robots.txt fetch per process
    blocked: str | None = None  # why
    parked: bool = False
    consecutive_failures: int = 0
    robots: RobotsFile | None = None


class LocalHostState:
    """The state of one process, for the whole of its run (no expiry: the next run is a new process)."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _entry(self, host: str) -> _Entry:
        with self._lock:
            return self._entries.setdefault(host, _Entry())

    def refusal(self, host: str) -> Refusal | None:
        entry = self._entry(host)
        if entry.blocked:
            return Refusal("blocked", f"host blocked us earlier in this run ({entry.blocked})")
        if entry.parked:
            return Refusal("parked", "host parked after repeated failures")
        return None

    def block(self, host: str, reason: str) -> None:
        self._entry(host).blocked = reason

    def failed(self, host: str, park_after: int) -> bool:
        entry = self._entry(host)
        with entry.lock:
            entry.consecutive_failures += 1
            entry.parked = entry.parked or entry.consecutive_failures >= park_after
            return entry.parked

    def succeeded(self, host: str) -> None:
        entry = self._entry(host)
        with entry.lock:
            entry.consecutive_failures = 0

    def robots(self, host: str, fetch: Callable[[], RobotsFile]) -> RobotsFile:
        entry = self._entry(host)
        with entry.robots_lock:
            if entry.robots is None:
                entry.robots = fetch()
            return entry.robots

    def status(self, hosts: list[str]) -> dict[str, HostStatus]:
        entries = {host: self._entry(host) for host in hosts}
        return {host: HostStatus(e.blocked is not None, e.parked, e.consecutive_failures)
                for host, e in entries.items()}
