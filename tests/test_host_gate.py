"""The Postgres host gate: two gates on separate engines stand for two workers on two machines; one
request in flight per host and the spacing hold across them; Retry-After pushes back for both."""
from __future__ import annotations

import threading
import time

import pytest

from fetching.postgres_gate import PostgresHostGate, gate_for, lease_rows
from core.errors import ConfigError

pytestmark = pytest.mark.postgres

SPACING = 0.15


@pytest.fixture
def two_workers(postgres_url):
    from storage.db import make_engine, migrate

    engines = [make_engine(postgres_url) for _ in range(2)]
    migrate(engines[0])
    yield [PostgresHostGate(e, poll_seconds=0.02) for e in engines]
    for engine in engines:
        engine.dispose()


def _hammer(gate, host, spans, lock, turns):
    for _ in range(turns):
        with gate.turn(host, SPACING):
            start = time.monotonic()
            time.sleep(0.02)  # the request
            with lock:
                spans.append((start, time.monotonic()))


def test_one_request_in_flight_and_spacing_across_workers(two_workers):
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=_hammer, args=(gate, "gov.example:80", spans, lock, 3))
               for gate in two_workers for _ in range(2)]  # two threads in each of two workers
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    spans.sort()
    assert len(spans) == 12
    gaps = [later[0] - earlier[1] for earlier, later in zip(spans, spans[1:])]
    assert min(gaps) >= SPACING - 0.01, gaps  # never overlapping, always spaced (clock tick slack)


def test_other_hosts_are_not_held_up(two_workers):
    first, second = two_workers
    with first.turn("a.example", 5.0):
        pass
    started = time.monotonic()
    with second.turn("b.example", 5.0):
        waited = time.monotonic() - started
    assert waited < 1.0  # b was never waiting for a's 5 s spacing
    assert {r["host"] for r in lease_rows(first.engine)} == {"a.example", "b.example"}


def test_push_back_holds_for_every_worker(two_workers):
    first, second = two_workers
    first.push_back("c.example", 0.5)
    started = time.monotonic()
    with second.turn("c.example", 0.0):
        assert time.monotonic() - started >= 0.45


def test_a_dead_holders_lease_expires(two_workers, postgres_url):
    from sqlalchemy import text

    first, second = two_workers
    with first.engine.begin() as connection:  # a worker killed mid-request leaves its lease behind
        connection.execute(text("INSERT INTO host_leases (host, next_at, holder, held_until) VALUES "
                                "('d.example', clock_timestamp(), 'dead:1', clock_timestamp() + interval '0.3 s')"))
    started = time.monotonic()
    with second.turn("d.example", 0.0):
        assert 0.2 <= time.monotonic() - started < 5


def test_gate_setting(postgres_url, sqlite_url):
    from storage.db import make_engine

    pg = make_engine(postgres_url)
    try:
        assert gate_for(postgres_url, pg, {}) is None  # off unless asked for
        assert isinstance(gate_for(postgres_url, pg, {"GOVREPORTS_HOST_GATE": "postgres"}), PostgresHostGate)
        with pytest.raises(ConfigError, match="needs a Postgres database"):
            gate_for(sqlite_url, make_engine(sqlite_url), {"GOVREPORTS_HOST_GATE": "postgres"})
        with pytest.raises(ConfigError, match="use local or postgres"):
            gate_for(postgres_url, pg, {"GOVREPORTS_HOST_GATE": "redis"})
    finally:
        pg.dispose()
