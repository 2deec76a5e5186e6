"""Blocked, parked and robots.txt state shared by every worker on one Postgres database.

Two Fetchers, each with its own Store and engine on one Postgres database, stand for two workers
(two shards, two machines). The hosts are real HTTP servers on 127.0.0.1 (tests/fault_server.py);
what a worker did *not* send is asserted on the server's request log. The end-to-end test runs two
`govreports crawl --shard i --shards 2` processes against one database."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import text

from fault_server import FaultServer, Reply, report_page
from fetching.client import NOT_SENT, Fetcher
from fetching.host_state import LocalHostState
from fetching.politeness import LocalHostGate
from fetching.postgres_host_state import PostgresHostState, host_state_for, host_state_rows
from fetching.settings import FetchSettings
from core.errors import FetchError

TEST_UA = "govreports-test/0 (+https://example.invalid/govreports; test suite)"
REPORT = report_page("2019年政府信息公开工作年度报告")
CHALLENGE = b"<html><head><script>var _$ts=1;</script></head><body></body></html>"  # a 412 JS challenge


def _settings(**overrides) -> FetchSettings:
    base = dict(user_agent=TEST_UA, connect_timeout=2.0, read_timeout=2.0, total_timeout=20.0, backoff_base=0.01,
                backoff_max=0.05)
    return FetchSettings(**{**base, **overrides})


class Worker:
    """One worker: its own Store (engine, connection pool) and Fetcher, as on another machine."""

    def __init__(self, db_url: str, gate=None, **settings) -> None:
        from storage.store import Store

        self.store = Store(db_url)
        self.run_id = self.store.start_run("crawl", {"test": True})
        self.fetcher = Fetcher(self.store, run_id=self.run_id, settings=_settings(**settings), gate=gate,
                               host_state=host_state_for(db_url, self.store.engine))

    def get(self, server: FaultServer, path: str):
        return self.fetcher.fetch(server.url(path), source_id="test", purpose="detail",
                                  allowed_hosts=frozenset({server.host}), delay=0.0)

    def refused(self, server: FaultServer, path: str) -> str:
        with pytest.raises(FetchError) as raised:
            self.get(server, path)
        return raised.value.outcome

    def ledger(self, purpose: str = "detail") -> list[tuple]:
        return [(row.url.split("/", 3)[3], row.attempt, row.status, row.outcome)
                for row in self.store.fetch_rows(self.run_id) if row.purpose == purpose]

    def close(self) -> None:
        self.fetcher.close()
        self.store.close()


@pytest.fixture
def workers(postgres_url):
    made: list[Worker] = []

    def make(gate=None, **settings) -> Worker:
        made.append(Worker(postgres_url, gate, **settings))
        return made[-1]

    yield make
    for worker in made:
        worker.close()


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv


pg = pytest.mark.postgres


@pg
def test_a_host_that_blocked_one_worker_is_refused_by_the_other_without_a_request(workers, server):
    server.route("/a.html", Reply(412, CHALLENGE)).route("/b.html", Reply(200, REPORT))
    a, b = workers(), workers()
    assert a.refused(server, "/a.html") == "blocked"
    assert b.refused(server, "/b.html") == "blocked"
    assert server.requests_to("/b.html") == []  # worker B never sent it
    assert b.ledger() == [("b.html", NOT_SENT, None, "blocked")]
    assert b.fetcher.host_report()[server.host]["blocked"] is True


@pg
def test_robots_txt_is_fetched_once_for_two_workers_and_obeyed_by_both(workers, server):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain"))
    server.route("/a.html", Reply(200, REPORT)).route("/b.html", Reply(200, REPORT))
    a, b = workers(), workers()
    assert a.get(server, "/a.html").outcome == "ok"
    assert b.get(server, "/b.html").outcome == "ok"
    assert b.refused(server, "/private/x.html") == "robots_disallowed"
    assert len(server.requests_to("/robots.txt")) == 1
    assert server.requests_to("/private/x.html") == []
    assert (a.ledger("robots"), b.ledger("robots")) == ([("robots.txt", 1, 200, "ok")], [])


@pg
def test_robots_txt_is_fetched_once_when_two_workers_start_on_a_host_together(workers, server):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n", "text/plain", hang=0.3))
    server.route("/a.html", Reply(200, REPORT))
    pair = [workers(), workers()]
    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda w=w: outcomes.append(w.get(server, "/a.html").outcome)) for w in pair]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["ok", "ok"]
    assert len(server.requests_to("/robots.txt")) == 1  # the second worker waited for the first's copy


@pg
def test_an_unreachable_robots_txt_disallows_the_host_for_every_worker(workers, server):
    server.route("/robots.txt", Reply(500, b"oops"))
    a, b = workers(), workers()
    assert a.refused(server, "/a.html") == "robots_disallowed"
    assert b.refused(server, "/a.html") == "robots_disallowed"
    assert [hit.path for hit in server.hits] == ["/robots.txt"]


@pg
def test_a_host_parked_by_one_worker_is_refused_by_the_other(workers, server):
    server.route("/1.html", Reply(503)).route("/2.html", Reply(200, REPORT))
    a, b = workers(park_after=3), workers(park_after=3)
    with pytest.raises(FetchError):
        a.get(server, "/1.html")  # three attempts, three failures in a row: parked
    assert b.refused(server, "/2.html") == "parked"
    assert server.requests_to("/2.html") == []
    assert b.ledger() == [("2.html", NOT_SENT, None, "parked")]
    report = b.fetcher.host_report()[server.host]
    assert (report["parked"], report["consecutive_failures"]) == (True, 3)


@pg
def test_the_failure_streak_is_shared_and_a_success_resets_it(workers, server):
    server.route("/1.html", Reply(503)).route("/2.html", Reply(503))
    server.route("/3.html", Reply(200, REPORT)).route("/4.html", Reply(503))
    a, b = workers(park_after=4, max_attempts=2), workers(park_after=4, max_attempts=2)
    with pytest.raises(FetchError):
        a.get(server, "/1.html")  # two failures
    assert b.get(server, "/3.html").outcome == "ok"  # resets the host's streak for both
    with pytest.raises(FetchError):
        a.get(server, "/2.html")  # two more: 2 in a row, not 4
    with pytest.raises(FetchError):
        b.get(server, "/4.html")  # and two more from the other worker: 4 in a row, parked
    assert a.refused(server, "/3.html") == "parked"
    assert len(server.requests_to("/3.html")) == 1


@pg
def test_a_block_from_an_earlier_crawl_has_expired_for_the_next_one(workers, server, postgres_url):
    server.route("/a.html", Reply(412, CHALLENGE), Reply(200, REPORT))
    server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n", "text/plain"))
    last_year = workers()
    assert last_year.refused(server, "/a.html") == "blocked"
    [row] = host_state_rows(last_year.store.engine)
    assert row["blocked_reason"] == "HTTP 412" and row["blocked_until"] > row["blocked_at"]
    with last_year.store.engine.begin() as connection:  # a year passes
        connection.execute(text("UPDATE host_state SET blocked_at = blocked_at - interval '1 year', "
                                "blocked_until = blocked_until - interval '1 year', "
                                "robots_fetched_at = robots_fetched_at - interval '1 year', "
                                "robots_until = robots_until - interval '1 year'"))
    this_year = workers()
    assert this_year.get(server, "/a.html").outcome == "ok"
    assert len(server.requests_to("/robots.txt")) == 2  # the year-old copy is past its 24 h
    assert this_year.fetcher.host_report()[server.host]["blocked"] is False


class GateWithCompany(LocalHostGate):
    """A real per-host gate during whose wait another worker acts once (``meanwhile``): what
    happens when a request queues behind another worker's request to the same host."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: list = []

    @contextmanager
    def turn(self, host: str, spacing: float) -> Iterator[None]:
        while self.meanwhile:
            self.meanwhile.pop()()
        with super().turn(host, spacing):
            yield


@pg
def test_a_host_blocked_by_another_worker_while_this_one_waited_for_its_turn_is_not_sent_to(workers, server):
    """The refusal is asked again inside the host's turn: a block written while this worker waited
    stops it, though the host was not blocked when its fetch began."""
    server.route("/a.html", Reply(200, REPORT))
    gate = GateWithCompany()
    a, b = workers(gate=gate), workers()
    gate.meanwhile.append(lambda: b.fetcher.host_state.block(server.host, "HTTP 412"))
    assert a.refused(server, "/a.html") == "blocked"
    assert server.hits == []  # neither robots.txt nor the page
    assert a.ledger() == [("a.html", NOT_SENT, None, "blocked")]


def test_host_state_choice(postgres_url, sqlite_url):
    from storage.db import make_engine

    pg_engine, sqlite_engine = make_engine(postgres_url), make_engine(sqlite_url)
    try:
        assert isinstance(host_state_for(postgres_url, pg_engine), PostgresHostState)
        assert isinstance(host_state_for(sqlite_url, sqlite_engine), LocalHostState)
    finally:
        pg_engine.dispose()
        sqlite_engine.dispose()


def test_on_sqlite_a_block_stays_in_the_process(sqlite_url, server):
    """SQLite is one machine, one process per run: the state is the process's, as before."""
    server.route("/a.html", Reply(412, CHALLENGE)).route("/b.html", Reply(200, REPORT))
    a, b = Worker(sqlite_url), Worker(sqlite_url)
    try:
        assert a.refused(server, "/a.html") == "blocked"
        assert a.refused(server, "/b.html") == "blocked"
        assert b.get(server, "/b.html").outcome == "ok"  # another process's fetcher starts afresh
    finally:
        a.close()
        b.close()


# -- end to end: two shards, two processes, one database --------------------------------------------

def _entry(source_id: str, url: str) -> str:
    return f'\n[[source]]\nid = "{source_id}"\nname = "{source_id}市公安局"\nstart_urls = ["{url}"]\ndelay = 0.0\n'


def _one_per_shard(prefix: str) -> list[str]:
    """Source ids, the first in shard 0 of 2 and the second in shard 1."""
    from flows.crawl import in_shard

    ids = [f"{prefix}{n}" for n in range(50)]
    return [next(i for i in ids if in_shard(i, 0, 2)), next(i for i in ids if in_shard(i, 1, 2))]


@pytest.fixture
def api(prefect_harness):
    from prefect.settings import PREFECT_API_URL

    return {"PREFECT_API_URL": PREFECT_API_URL.value()}


@pg
@pytest.mark.slow
def test_two_shards_on_one_database_leave_a_host_alone_once_it_blocked_either(demo_web, api, postgres_url,
                                                                              tmp_path):
    import subprocess
    import sys

    from cli_helpers import ENV
    from govreports.demo.server import sources_toml

    sites, bases = demo_web
    with FaultServer() as blocking:
        blocking.route("/robots.txt", Reply(404))
        for path in ("/xxgk/index.html", "/zwgk/index.html"):
            blocking.route(path, Reply(412, CHALLENGE))
        first, second = _one_per_shard("wall")  # one source on the blocking host in each shard
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(sites, bases, delay=0.0) + _entry(first, blocking.url("/xxgk/index.html"))
                           + _entry(second, blocking.url("/zwgk/index.html")), encoding="utf-8")
        env = {**ENV, **api, "GOVREPORTS_HOST_GATE": "postgres"}
        shards = [subprocess.Popen([sys.executable, "-m", "govreports", "crawl", "--sources", str(sources),
                                    "--db", postgres_url, "--shard", str(i), "--shards", "2"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for i in range(2)]
        outputs = [shard.communicate(timeout=600) for shard in shards]
    for shard, (stdout, stderr) in zip(shards, outputs):
        assert "Traceback" not in stdout + stderr, stdout + stderr
        assert shard.returncode == 0, stdout + stderr
    pages = [hit for hit in blocking.hits if hit.path != "/robots.txt"]
    blocked_at = min(hit.ended for hit in pages)  # when the first 412 left the server
    assert len(pages) == 1, [hit.path for hit in pages]  # the other shard sent nothing to the host
    assert [hit for hit in blocking.hits if hit.started > blocked_at] == []
    assert len(blocking.requests_to("/robots.txt")) == 1  # read once, for both shards
    from storage.store import Store

    store = Store(postgres_url)
    try:
        with store.engine.connect() as connection:
            refusals = connection.execute(text(
                "SELECT source_id, attempt, outcome FROM fetches WHERE url LIKE :host AND purpose != 'robots'"),
                {"host": f"%{blocking.host}%"}).all()
    finally:
        store.close()
    assert sorted(r.attempt for r in refusals) == [NOT_SENT, 1]
    assert {r.outcome for r in refusals} == {"blocked"}
    assert {r.source_id for r in refusals} == {first, second}
