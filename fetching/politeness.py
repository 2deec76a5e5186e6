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
        """Keep the host closed for at least ``seconds`` from now (Retry-After)."""
        ...


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_time: float = 0.0


class LocalHostGate:
    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._slots: dict[str, _Slot] = {}
        self._slots_lock = threading.Lock()

    def _slot(self, host: str) -> _Slot:
        with self._slots_lock:
            return self._slots.setdefault(host, _Slot())

    @contextmanager
    def turn(self, host: str, spacing: float) -> Iterator[None]:
        slot = self._slot(host)
        with slot.lock:
            wait = slot.next_time - self._clock()
            if wait > 0:
                self._sleep(wait)
            try:
                yield
            finally:
                slot.next_time = max(slot.next_time, self._clock() + spacing)

    def push_back(self, host: str, seconds: float) -> None:
        slot = self._slot(host)
        slot.next_time = max(slot.next_time, self._clock() + seconds)
