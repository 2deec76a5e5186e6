"""A per-host politeness gate shared by every worker that uses one Postgres database.

Same protocol as ``fetching.politeness.HostGate``: at most one request in flight per host, and at
least ``spacing`` seconds between the end of one request and the start of the next, now across
processes and machines.

How: one row per host in ``host_leases`` (``storage.models.HostLease``) holding the next allowed
start time and, while a request is in flight, the holder's id and a lease expiry. Taking a turn is a
short transaction (``SELECT … FOR UPDATE`` on the host's row, check, claim, commit); the request
runs outside any transaction; releasing sets ``next_at = now + spacing``. All times come from the
database clock (``clock_timestamp()``), so workers whose clocks disagree still space correctly. A
worker killed mid-request leaves a lease that expires after ``lease_seconds`` (longer than the
fetcher's total timeout), so a dead worker can delay a host, never block it forever. Inside one
process, threads queue on a local lock per host first, so only one thread per process polls the
database for a host.

Why a lease table and not Prefect global concurrency limits: a limit would have to exist per host
(tens of thousands, created ahead of time), it bounds concurrency or a decaying rate but cannot say
"``spacing`` seconds after the previous request *ended*", every acquire is a round trip to the
Prefect API (which then sits on the request path of every fetch), and its slots re-check on a slow
poll (STYLE.md §12). Postgres is already shared by every worker (the store writes there), its row
locks are exact, and the table is readable when someone asks "why is this host slow?".

Enabled by ``GOVREPORTS_HOST_GATE=postgres`` when the database is Postgres (``gate_for``); SQLite
runs are single-machine and keep ``LocalHostGate``.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from typing import Callable, Iterator

from sqlalchemy import text
from sqlalchemy.engine import Engine

from fetching.politeness import HostGate, LocalHostGate
from core.errors import ConfigError

GATE_ENV = "GOVREPORTS_HOST_GATE"
# Longer than FetchSettings.total_timeout (60 s) plus the redirects' connect time: a live holder
# never loses its lease mid-request; a dead one frees the host within two minutes.
DEFAULT_LEASE_SECONDS = 120.0
# How often a waiter re-checks a host whose request is still in flight elsewhere. Government sites
# get one request per >= 1 s, so a 0.2 s poll adds at most a fifth of a spacing.
DEFAULT_POLL_SECONDS = 0.2

_CLAIM = text("""
    SELECT clock_timestamp() AS now, next_at, holder, held_until
    FROM host_leases WHERE host = :host FOR UPDATE
""")
_ENSURE = text("INSERT INTO host_leases (host, next_at) VALUES (:host, clock_timestamp()) "
               "ON CONFLICT (host) DO NOTHING")
_TAKE = text("UPDATE host_leases SET holder = :holder, "
             "held_until = clock_timestamp() + make_interval(secs => :lease) WHERE host = :host")
_RELEASE = text("""
    UPDATE host_leases SET holder = NULL, held_until = NULL,
        next_at = GREATEST(next_at, clock_timestamp() + make_interval(secs => :spacing))
    WHERE host = :host AND holder = :holder
""")
_PUSH_BACK = text("""
    INSERT INTO host_leases (host, next_at) VALUES (:host, clock_timestamp() + make_interval(secs => :seconds))
    ON CONFLICT (host) DO UPDATE
        SET next_at = GREATEST(host_leases.next_at, clock_timestamp() + make_interval(secs => :seconds))
""")


class PostgresHostGate:
    def __init__(self, engine: Engine, *, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                 poll_seconds: float = DEFAULT_POLL_SECONDS, sleep: Callable[[float], None] = time.sleep) -> None:
        if engine.dialect.name != "postgresql":
            raise ConfigError(f"the shared host gate needs Postgres, not {engine.dialect.name}")
        self.engine = engine
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._sleep = sleep
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._local = LocalHostGate(sleep=sleep)  # threads of this process queue here, not in the DB

    @contextmanager
    def turn(self, host: str, spacing: float) -> Iterator[None]:
        with self._local.turn(host, 0.0):
            holder = f"{self._worker}:{threading.get_ident()}"
            self._acquire(host, holder)
            try:
                yield
            finally:
                with self.engine.begin() as connection:
                    connection.execute(_RELEASE, {"host": host, "holder": holder, "spacing": spacing})

    def push_back(self, host: str, seconds: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(_PUSH_BACK, {"host": host, "seconds": seconds})

    def _acquire(self, host: str, holder: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(_ENSURE, {"host": host})
        while True:
            wait = self._try_take(host, holder)
            if wait is None:
                return
            self._sleep(wait)

    def _try_take(self, host: str, holder: str) -> float | None:
        """Claim the host's lease (None) or say how long to wait before trying again."""
        with self.engine.begin() as connection:
            row = connection.execute(_CLAIM, {"host": host}).one()
            if row.holder is not None and row.held_until > row.now:
                return min(self.poll_seconds, _seconds(row.held_until - row.now))
            if row.next_at > row.now:
                return _seconds(row.next_at - row.now)
            connection.execute(_TAKE, {"host": host, "holder": holder, "lease": self.lease_seconds})
            return None


def _seconds(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.001)


def gate_for(db_url: str, engine: Engine, environ: dict[str, str] | None = None) -> HostGate | None:
    """The gate a crawl should use: None (the fetcher's in-process gate) unless the setting asks for
    the shared one, which needs Postgres."""
    environ = os.environ if environ is None else environ
    choice = environ.get(GATE_ENV, "local").strip().lower()
    if choice == "local":
        return None
    if choice != "postgres":
        raise ConfigError(f"{GATE_ENV}={choice!r}: use local or postgres")
    if not db_url.startswith("postgresql"):
        raise ConfigError(f"{GATE_ENV}=postgres needs a Postgres database, not {db_url.split(':', 1)[0]}")
    return PostgresHostGate(engine)


def lease_rows(engine: Engine) -> list[dict[str, object]]:
    """The lease table as dicts (for `why is this host slow?` and for tests)."""
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text(
            "SELECT host, next_at, holder, held_until FROM host_leases ORDER BY host"))]

