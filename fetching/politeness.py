"""Per-host politeness gates: at most one request in flight per host, and a minimum spacing between
the end of one request and the start of the next.

``LocalHostGate`` holds for the threads of one process. A gate shared by workers on several machines
implements the same ``HostGate`` protocol over a shared store (see DEVELOPERS notes / README).
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Iterator, Protocol


class HostGate(Protocol):
    def turn(self, host: str, spacing: float) -> ContextManager[None]:
        """Wait for the host's slot, hold it for one request, then keep it closed for ``spacing`` s."""
        ...

    def push_back(self, host: str, seconds: float) -> None:
        """Keep the host closed for at least ``seconds`` from now (Retry-After), also for a thread
        already waiting for its turn."""
        ...


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)  # held for a whole turn: wait + request
    next_time: float = 0.0  # when the next request may start; only ever moved later, under the gate's time lock


class LocalHostGate:
    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._slots: dict[str, _Slot] = {}
        self._slots_lock = threading.Lock()
        self._times_lock = threading.Lock()  # push_back comes from any thread, while a turn holds the slot

    def _slot(self, host: str) -> _Slot:
        with self._slots_lock:
            return self._slots.setdefault(host, _Slot())

    @contextmanager
    def turn(self, host: str, spacing: float) -> Iterator[None]:
        slot = self._slot(host)
        with slot.lock:
            self._wait_until_open(slot)
            try:
                yield
            finally:
                self._hold_until(slot, self._clock() + spacing)

    def push_back(self, host: str, seconds: float) -> None:
        self._hold_until(self._slot(host), self._clock() + seconds)

    def _wait_until_open(self, slot: _Slot) -> None:
        """Sleep until the host's next start time has passed, reading it again after every sleep: a
        Retry-After pushed back while we slept moves it later. (Sleeping once for the wait computed
        before the sleep let a thread send 0.1 s after a 429 that said "Retry-After: 1".)"""
        while (wait := slot.next_time - self._clock()) > 0:
            self._sleep(wait)

    def _hold_until(self, slot: _Slot, moment: float) -> None:
        with self._times_lock:  # max of read-and-write: a later time is never overwritten by an earlier one
            slot.next_time = max(slot.next_time, moment)
