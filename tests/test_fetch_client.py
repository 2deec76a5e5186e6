"""The fetcher's contract beyond faults: conditional GETs and snapshots, the ledger's fields, the
retry policy's pieces, settings, and one request in flight per host. Real servers on 127.0.0.1 and a
real Store on a SQLite file."""
from __future__ import annotations

import threading
import time
from email.utils import formatdate

import pytest

from fault_server import FaultServer, Reply, report_page
from fetching.client import Fetcher, PageRequest, Validators, _retry_after_seconds
from fetching.outcomes import OUTCOMES, RETRYABLE_STATUSES, is_transient
from fetching.politeness import LocalHostGate
from fetching.settings import DEFAULT_USER_AGENT, FetchSettings
from core import PROJECT_URL
from core.errors import ConfigError, PermanentFetchError
from storage.store import Store

REPORT = report_page("2020年政府信息公开工作年度报告")
LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv


def new_fetcher(store: Store, **settings) -> Fetcher:
    return Fetcher(store, run_id=store.start_run("crawl", {}), settings=FetchSettings(**settings),
                   sleep=lambda seconds: None)


def get(fetcher: Fetcher, srv: FaultServer, path: str, **kwargs):
    return fetcher.fetch(srv.url(path), source_id="test", purpose="detail", allowed_hosts=frozenset({srv.host}),
                         delay=0.0, **kwargs)


# -- conditional GETs and snapshots --------------------------------------------------------------

def test_validators_are_sent_and_a_304_returns_the_stored_snapshot(store, server):
    server.route("/r.html", Reply(200, REPORT, headers=(("ETag", '"v1"'), ("Last-Modified", LAST_MODIFIED))),
                 Reply(304, content_type=None, headers=(("ETag", '"v1"'),)))
    with new_fetcher(store) as first:
        fresh = get(first, server, "/r.html")
    validators = store.validators_for(server.url("/r.html"))
    assert validators == Validators(fresh.content_hash, '"v1"', LAST_MODIFIED, "text/html; charset=utf-8")
    with new_fetcher(store) as second:
        again = get(second, server, "/r.html", validators=validators)
    sent = server.requests_to("/r.html")[1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"v1"', LAST_MODIFIED)
    assert (again.outcome, again.status, again.body, again.content_hash) == ("not_modified", 304, REPORT,
                                                                              fresh.content_hash)
    assert again.text == fresh.text
    [row] = [r for r in store.fetch_rows(second.run_id) if r.purpose == "detail"]
    assert (row.outcome, row.status, row.content_hash, row.bytes, row.etag) == (
        "not_modified", 304, fresh.content_hash, 0, '"v1"')


def test_without_explicit_validators_the_store_supplies_them(store, server):
    """Listing pages (fetched by discovery without validators) are conditional on later runs too."""
    server.route("/list.html", Reply(200, REPORT, headers=(("ETag", '"L1"'),)),
                 Reply(304, content_type=None))
    with new_fetcher(store) as first:
        get(first, server, "/list.html")
    with new_fetcher(store) as second:
        assert get(second, server, "/list.html").outcome == "not_modified"
    assert server.requests_to("/list.html")[1].headers["If-None-Match"] == '"L1"'


def test_conditional_gets_can_be_turned_off(store, server):
    server.route("/list.html", Reply(200, REPORT, headers=(("ETag", '"L1"'),)))
    with new_fetcher(store) as first:
        get(first, server, "/list.html")
    with new_fetcher(store, conditional_get=False) as second:
        assert get(second, server, "/list.html").outcome == "ok"
    assert "If-None-Match" not in server.requests_to("/list.html")[1].headers


def test_a_304_keeps_the_charset_the_original_response_declared_in_its_header(store, server):
    title = "广州市公安局2013年政府信息公开工作年度报告"
    gbk_no_meta = f"<html><head><title>{title}</title></head><body>{'一、总体情况' * 300}</body></html>".encode("gbk")
    server.route("/gz.html", Reply(200, gbk_no_meta, "text/html; charset=GBK", headers=(("ETag", '"g"'),)),
                 Reply(304, content_type=None))
    with new_fetcher(store) as first:
        get(first, server, "/gz.html")
    with new_fetcher(store) as second:
        again = get(second, server, "/gz.html")
    assert again.outcome == "not_modified"
    assert (again.decoded.method, again.content_type) == ("header", "text/html; charset=GBK")
    assert title in again.text


def test_a_304_nobody_asked_for_is_an_error(store, server):
    server.route("/r.html", Reply(304, content_type=None))
    with new_fetcher(store) as fetcher, pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/r.html")
    assert raised.value.outcome == "http_error"


def test_identical_bodies_are_stored_once(store, server):
    server.route("/a.html", Reply(200, REPORT)).route("/b.html", Reply(200, REPORT))
    with new_fetcher(store) as fetcher:
        a, b = get(fetcher, server, "/a.html"), get(fetcher, server, "/b.html")
    assert a.content_hash == b.content_hash
    from sqlalchemy import text

    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM snapshots")).scalar() == 1


def test_post_forms_are_ledger_keys_of_their_own_and_never_conditional(store, server):
    server.route("/dataproxy.jsp", Reply(200, b"<datastore><recordset></recordset></datastore>", "text/xml"))
    request = PageRequest(server.url("/dataproxy.jsp"), "POST", (("page", "2"), ("columnid", "1229")))
    with new_fetcher(store) as fetcher:
        fetcher.fetch(request, source_id="t", purpose="listing", allowed_hosts=frozenset({server.host}), delay=0)
        fetcher.fetch(request, source_id="t", purpose="listing", allowed_hosts=frozenset({server.host}), delay=0)
    rows = [r for r in store.fetch_rows(fetcher.run_id) if r.purpose == "listing"]
    assert {r.url for r in rows} == {server.url("/dataproxy.jsp") + "#POST:page=2&columnid=1229"}
    assert all("If-None-Match" not in hit.headers for hit in server.requests_to("/dataproxy.jsp"))
    assert server.requests_to("/dataproxy.jsp")[0].method == "POST"


# -- politeness ----------------------------------------------------------------------------------

def test_the_default_user_agent_is_honest_and_names_the_project():
    assert PROJECT_URL in DEFAULT_USER_AGENT
    assert "Mozilla" not in DEFAULT_USER_AGENT


def test_one_request_in_flight_per_host_while_threads_share_the_fetcher(store, server):
    for n in range(6):
        server.route(f"/{n}.html", Reply(200, REPORT, hang=0.05))
    with new_fetcher(store) as fetcher:
        threads = [threading.Thread(target=get, args=(fetcher, server, f"/{n}.html")) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    spans = sorted((hit.started, hit.ended) for hit in server.hits)
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:]))  # never overlapping


def test_the_gate_spaces_requests_by_at_least_the_delay():
    now = [0.0]
    waits: list[float] = []
    gate = LocalHostGate(clock=lambda: now[0], sleep=lambda s: (waits.append(s), now.__setitem__(0, now[0] + s)))
    for _ in range(3):
        with gate.turn("h", spacing=2.0):
            now[0] += 0.5  # the request takes half a second
    assert waits == [2.0, 2.0]
    gate.push_back("h", 30.0)
    with gate.turn("h", spacing=2.0):
        pass
    assert waits[-1] == 30.0



def test_a_push_back_from_another_thread_holds_a_thread_already_waiting_for_the_host():
    """A waiter sleeping out the host's spacing when another thread pushes the host back (its own
    429 on the host) must wait for the push-back too: it re-reads the host's time after sleeping."""
    sleeping = threading.Event()

    def sleep(seconds: float) -> None:
        sleeping.set()
        time.sleep(seconds)

    gate = LocalHostGate(sleep=sleep)
    with gate.turn("h", spacing=0.2):
        pass  # the host's last request just ended: the next one waits 0.2 s
    started: list[float] = []

    def take_turn() -> None:
        with gate.turn("h", 0.0):
            started.append(time.monotonic())  # the request would be sent now

    waiter = threading.Thread(target=take_turn)
    waiter.start()
    sleeping.wait(5)
    pushed = time.monotonic()
    gate.push_back("h", 1.0)
    waiter.join(10)
    assert started and started[0] - pushed >= 1.0


# A Retry-After the test can afford to wait out, and a per-host delay well under it: a thread that
# queued behind the refused request must wait for the Retry-After, not only for the delay.
RETRY_AFTER = 1
DELAY = 0.1


@pytest.fixture(params=["local", pytest.param("postgres", marks=pytest.mark.postgres)])
def gate(request):
    """The in-process gate (None: the fetcher's own), or the shared one on a real Postgres."""
    if request.param == "local":
        yield None
        return
    from fetching.postgres_gate import PostgresHostGate
    from storage.db import make_engine, migrate

    engine = make_engine(request.getfixturevalue("postgres_url"))
    migrate(engine)
    yield PostgresHostGate(engine, poll_seconds=0.02)
    engine.dispose()


def test_a_retry_after_holds_back_the_thread_queued_behind_the_refused_request(store, server, gate):
    """The audit's race: a 429 with Retry-After arrives while another thread already waits for the
    host; that thread, and the retry, must wait the Retry-After out. Asserted on the server's own
    log of when each request arrived, never on how long the test took."""
    server.route("/busy.html", Reply(429, b"slow down", headers=(("Retry-After", str(RETRY_AFTER)),), hang=0.3),
                 Reply(200, REPORT))
    server.route("/other.html", Reply(200, REPORT))
    fetcher = Fetcher(store, run_id=store.start_run("crawl", {}), settings=FetchSettings(), gate=gate)

    def get_politely(path: str) -> None:
        fetcher.fetch(server.url(path), source_id="test", purpose="detail", allowed_hosts=frozenset({server.host}),
                      delay=DELAY)

    with fetcher:
        refused = threading.Thread(target=get_politely, args=("/busy.html",))
        refused.start()
        while not server.requests_to("/busy.html") and refused.is_alive():
            time.sleep(0.01)  # until the first request is in flight (its answer hangs 0.3 s)
        queued = threading.Thread(target=get_politely, args=("/other.html",))
        queued.start()  # queues for the host behind the request that will get the 429
        for thread in (refused, queued):
            thread.join(30)
    first = server.requests_to("/busy.html")[0]
    after = sorted((hit.started, hit.path) for hit in server.hits if hit.started > first.started)
    assert [path for _, path in after] in (["/other.html", "/busy.html"], ["/busy.html", "/other.html"])
    assert [round(started - first.ended, 2) for started, _ in after if started - first.ended < RETRY_AFTER] == []


# -- the retry policy's pieces -------------------------------------------------------------------

@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
def test_retryable_statuses(status):
    assert is_transient("http_error", status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 418, 451])
def test_other_4xx_are_not_retried(status):
    assert not is_transient("http_error", status)


def test_only_timeouts_errors_and_retryable_statuses_are_transient():
    retried = {name for name, (_, retried, _) in OUTCOMES.items() if retried}
    assert retried == {"timeout", "http_error", "error"}
    assert not any(is_transient(name, None) for name in OUTCOMES if name not in ("timeout", "error"))


def test_retry_after_in_seconds_and_as_an_http_date():
    import httpx

    assert _retry_after_seconds(httpx.Headers({"Retry-After": "120"})) == 120.0
    assert _retry_after_seconds(httpx.Headers({"Retry-After": formatdate(0, usegmt=True)})) == 0.0  # past: no wait
    assert _retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert _retry_after_seconds(httpx.Headers({})) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap(store):
    with new_fetcher(store, backoff_base=1.0, backoff_max=5.0) as fetcher:
        waits = [[fetcher._backoff(attempt) for attempt in (1, 2, 3, 4)] for _ in range(50)]
    for first, second, third, fourth in waits:
        assert 0.5 <= first <= 1.5 and 1.0 <= second <= 3.0 and 2.0 <= third <= 6.0 and 2.5 <= fourth <= 7.5
    assert len({round(w[0], 6) for w in waits}) > 1  # jittered


def test_settings_come_from_the_environment():
    settings = FetchSettings.from_env({"GOVREPORTS_READ_TIMEOUT": "5", "GOVREPORTS_MAX_BYTES": "1000",
                                       "GOVREPORTS_OBEY_ROBOTS": "yes", "GOVREPORTS_USER_AGENT": "x (+https://e.x)"})
    assert (settings.read_timeout, settings.max_bytes, settings.obey_robots, settings.user_agent) == (
        5.0, 1000, True, "x (+https://e.x)")
    with pytest.raises(ConfigError):
        FetchSettings.from_env({"GOVREPORTS_MAX_ATTEMPTS": "three"})
