"""Blocked, parked and robots.txt state shared by every worker that uses one Postgres database.

Same contract as ``fetching.host_state.HostState``, over one row per host in ``host_state``
(``storage.models.HostStateRow``). A host that blocked one worker is refused by all of them; a
failure streak counts every worker's requests; robots.txt is fetched by one worker and read from
the table by the others.

Scope: blocked and parked carry an expiry, not a run id, because N shards are N runs that must share
them. ``blocked_for`` (12 h) outlasts one crawl (hours) and is far shorter than the gap between
scheduled crawls (the monthly recheck; the annual shards a year apart), so a host that blocked last
year's crawl is tried again this year. ``parked_for`` (1 h): a parked host is down, not refusing us;
after the hour one request probes it (the streak is still long, so one more failure parks it again,
a success clears it). robots.txt is kept ``robots_ttl`` (24 h, RFC 9309 §2.4: a cached copy SHOULD
NOT be used longer); an unreadable one (5xx, unreachable: everything disallowed) only
``robots_unavailable_for`` (1 h), so an outage does not lock a host out for a day.

How robots.txt is fetched once: the worker that finds no fresh copy claims the row (``SELECT … FOR
UPDATE``, then ``robots_holder`` and a lease expiry), commits, fetches outside any transaction, and
writes the copy; the others poll the row until the copy is there or the lease has expired (a worker
killed mid-fetch delays the host's robots.txt by a lease, never blocks it). A short lease row, not
an advisory lock: an advisory lock would hold a pooled connection for the whole fetch, one per host
being read, and hundreds of hosts are read at once. Each worker keeps the copy it read in memory
until it expires, so the table is read once per host per worker, not per request.

All times are the database's clock (``clock_timestamp()``), as in ``fetching.postgres_gate``.
Chosen by ``host_state_for``: a Postgres database shares the state, anything else keeps it in the
process.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from typing import Callable

from protego import Protego
from sqlalchemy import text
from sqlalchemy.engine import Engine

from fetching.host_state import HostState, HostStatus, LocalHostState, Refusal, RobotsFile
from fetching.postgres_gate import DEFAULT_LEASE_SECONDS, DEFAULT_POLL_SECONDS
from fetching.settings import FetchSettings
from core.errors import ConfigError

_ENSURE = text("INSERT INTO host_state (host) VALUES (:host) ON CONFLICT (host) DO NOTHING")
_REFUSAL = text("""
    SELECT clock_timestamp() AS now, blocked_reason, blocked_at, blocked_until, parked_until, consecutive_failures
    FROM host_state WHERE host = :host
""")
_BLOCK = text("""
    INSERT INTO host_state (host, blocked_reason, blocked_at, blocked_until)
    VALUES (:host, :reason, clock_timestamp(), clock_timestamp() + make_interval(secs => :seconds))
    ON CONFLICT (host) DO UPDATE SET blocked_reason = excluded.blocked_reason, blocked_at = excluded.blocked_at,
        blocked_until = excluded.blocked_until
""")
# One more failure in a row; a host whose streak reaches park_after is parked, unless it already is.
_FAIL = text("""
    INSERT INTO host_state (host, consecutive_failures, parked_until)
    VALUES (:host, 1, CASE WHEN 1 >= :park_after THEN clock_timestamp() + make_interval(secs => :seconds) END)
    ON CONFLICT (host) DO UPDATE SET
        consecutive_failures = host_state.consecutive_failures + 1,
        parked_until = CASE
            WHEN host_state.consecutive_failures + 1 >= :park_after
                 AND (host_state.parked_until IS NULL OR host_state.parked_until <= clock_timestamp())
            THEN clock_timestamp() + make_interval(secs => :seconds)
            ELSE host_state.parked_until END
    RETURNING consecutive_failures, coalesce(parked_until > clock_timestamp(), false) AS parked
""")
_SUCCEED = text("UPDATE host_state SET consecutive_failures = 0 WHERE host = :host AND consecutive_failures > 0")
_ROBOTS_CLAIM = text("""
    SELECT clock_timestamp() AS now, robots_status, robots_body, robots_unavailable, robots_fetched_at, robots_until,
        robots_holder, robots_held_until
    FROM host_state WHERE host = :host FOR UPDATE
""")
_ROBOTS_TAKE = text("UPDATE host_state SET robots_holder = :holder, "
                    "robots_held_until = clock_timestamp() + make_interval(secs => :lease) WHERE host = :host")
_ROBOTS_STORE = text("""
    UPDATE host_state SET robots_status = :status, robots_body = :body, robots_unavailable = :unavailable,
        robots_crawl_delay = :crawl_delay, robots_fetched_at = clock_timestamp(),
        robots_until = clock_timestamp() + make_interval(secs => :ttl), robots_holder = NULL, robots_held_until = NULL
    WHERE host = :host
""")
_ROBOTS_GIVE_UP = text("UPDATE host_state SET robots_holder = NULL, robots_held_until = NULL "
                       "WHERE host = :host AND robots_holder = :holder")
_STATUS = text("""
    SELECT host, coalesce(blocked_until > clock_timestamp(), false) AS blocked,
        coalesce(parked_until > clock_timestamp(), false) AS parked, consecutive_failures
    FROM host_state WHERE host = ANY(:hosts)
""")


class PostgresHostState:
    def __init__(self, engine: Engine, settings: FetchSettings | None = None, *,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, poll_seconds: float = DEFAULT_POLL_SECONDS,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        if engine.dialect.name != "postgresql":
            raise ConfigError(f"the shared host state needs Postgres, not {engine.dialect.name}")
        self.engine = engine
        self.settings = settings or FetchSettings()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._sleep = sleep
        self._clock = clock
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._streaks: dict[str, int] = {}  # last failure streak seen per host: a success writes only after failures
        self._robots: dict[str, tuple[RobotsFile, float]] = {}  # the copy read, and when (our clock) it expires
        self._robots_locks: dict[str, threading.Lock] = {}  # threads of this process read a host's robots.txt once
        self._lock = threading.Lock()

    def refusal(self, host: str) -> Refusal | None:
        with self.engine.connect() as connection:
            row = connection.execute(_REFUSAL, {"host": host}).one_or_none()
        if row is None:
            return None
        self._streaks[host] = row.consecutive_failures
        if row.blocked_until is not None and row.blocked_until > row.now:
            return Refusal("blocked", f"host blocked us ({row.blocked_reason}) at {row.blocked_at:%Y-%m-%d %H:%M:%S} "
                                      f"UTC, left alone by every worker until {row.blocked_until:%Y-%m-%d %H:%M:%S}")
        if row.parked_until is not None and row.parked_until > row.now:
            return Refusal("parked", f"host parked after {row.consecutive_failures} failures in a row, "
                                     f"by every worker until {row.parked_until:%Y-%m-%d %H:%M:%S}")
        return None

    def block(self, host: str, reason: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(_BLOCK, {"host": host, "reason": reason, "seconds": self.settings.blocked_for})

    def failed(self, host: str, park_after: int) -> bool:
        with self.engine.begin() as connection:
            row = connection.execute(_FAIL, {"host": host, "park_after": park_after,
                                             "seconds": self.settings.parked_for}).one()
        self._streaks[host] = row.consecutive_failures
        return row.parked

    def succeeded(self, host: str) -> None:
        if not self._streaks.get(host):
            return  # no failure seen since the last read: nothing to reset (a write per request saved)
        with self.engine.begin() as connection:
            connection.execute(_SUCCEED, {"host": host})
        self._streaks[host] = 0

    def robots(self, host: str, fetch: Callable[[], RobotsFile]) -> RobotsFile:
        with self._robots_lock(host):
            cached = self._robots.get(host)
            if cached is not None and cached[1] > self._clock():
                return cached[0]
            robots, expires_in = self._shared_robots(host, fetch)
            self._robots[host] = (robots, self._clock() + expires_in)
            return robots

    def status(self, hosts: list[str]) -> dict[str, HostStatus]:
        with self.engine.connect() as connection:
            rows = {r.host: r for r in connection.execute(_STATUS, {"hosts": list(hosts)})}
        return {host: HostStatus(rows[host].blocked, rows[host].parked, rows[host].consecutive_failures)
                if host in rows else HostStatus() for host in hosts}

    def _robots_lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._robots_locks.setdefault(host, threading.Lock())

    def _shared_robots(self, host: str, fetch: Callable[[], RobotsFile]) -> tuple[RobotsFile, float]:
        """A fresh copy from the table and its seconds to live, or fetch it ourselves under the claim."""
        with self.engine.begin() as connection:
            connection.execute(_ENSURE, {"host": host})
        holder = f"{self._worker}:{threading.get_ident()}"
        while True:
            found = self._read_or_claim(host, holder)
            if isinstance(found, tuple):
                return found
            if found is None:
                return self._fetch_and_store(host, holder, fetch)
            self._sleep(found)

    def _read_or_claim(self, host: str, holder: str) -> tuple[RobotsFile, float] | float | None:
        """The stored copy (with its seconds to live), or seconds to wait for another worker's
        fetch, or None: the claim is ours, fetch it."""
        with self.engine.begin() as connection:
            row = connection.execute(_ROBOTS_CLAIM, {"host": host}).one()
            if row.robots_until is not None and row.robots_until > row.now:
                robots = RobotsFile(row.robots_status, row.robots_body, row.robots_unavailable, row.robots_fetched_at)
                return robots, _seconds(row.robots_until - row.now)
            if row.robots_holder is not None and row.robots_held_until > row.now:
                return min(self.poll_seconds, _seconds(row.robots_held_until - row.now))
            connection.execute(_ROBOTS_TAKE, {"host": host, "holder": holder, "lease": self.lease_seconds})
            return None

    def _fetch_and_store(self, host: str, holder: str, fetch: Callable[[], RobotsFile]) -> tuple[RobotsFile, float]:
        try:
            robots = fetch()
        except BaseException:
            with self.engine.begin() as connection:  # let another worker (or a later turn) try at once
                connection.execute(_ROBOTS_GIVE_UP, {"host": host, "holder": holder})
            raise
        ttl = self.settings.robots_unavailable_for if robots.unavailable else self.settings.robots_ttl
        with self.engine.begin() as connection:
            connection.execute(_ROBOTS_STORE, {
                "host": host, "status": robots.status, "body": robots.body, "unavailable": robots.unavailable,
                "crawl_delay": _crawl_delay(robots, self.settings.user_agent), "ttl": ttl})
        return robots, ttl


def _crawl_delay(robots: RobotsFile, user_agent: str) -> float | None:
    """Kept in the table for people asking "why is this host slow?"; workers parse the body."""
    if robots.body is None:
        return None
    delay = Protego.parse(robots.body).crawl_delay(user_agent)
    return float(delay) if delay else None


def _seconds(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.001)


def host_state_for(db_url: str, engine: Engine, settings: FetchSettings | None = None) -> HostState:
    """Shared through the database on Postgres (every worker of a deployment writes there); kept in
    the process otherwise (SQLite: one machine, one process per run)."""
    if db_url.startswith("postgresql"):
        return PostgresHostState(engine, settings)
    return LocalHostState()


def host_state_rows(engine: Engine) -> list[dict[str, object]]:
    """The host_state table as dicts (for "why is this host left alone?" and for tests)."""
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text("SELECT * FROM host_state ORDER BY host"))]
