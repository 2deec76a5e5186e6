"""The fetcher against a misbehaving web: real sockets on 127.0.0.1 (tests/fault_server.py), a real
Store on a SQLite file as the ledger. Waits go through an injected clock and sleep, so the tests
assert outcomes, ledger rows and what reached the server, never timings."""
from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from fault_server import FaultServer, Reply, Reset, Stream, page, report_page
from fetching.client import NOT_SENT, Fetcher
from fetching.settings import FetchSettings
from core.errors import PermanentFetchError, TransientFetchError
from storage.store import Store

TEST_UA = "govreports-test/0 (+https://example.invalid/govreports; test suite)"
REPORT = report_page("2019年政府信息公开工作年度报告")


class FakeTime:
    """A clock that only moves when the fetcher sleeps; every sleep is logged."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_fetcher(store, fake_time):
    fetchers: list[Fetcher] = []

    def make(**overrides) -> Fetcher:
        base = dict(user_agent=TEST_UA, connect_timeout=2.0, read_timeout=2.0, total_timeout=20.0)
        settings = FetchSettings(**{**base, **overrides})
        fetcher = Fetcher(store, run_id=store.start_run("crawl", {"test": True}), settings=settings,
                          clock=fake_time.clock, sleep=fake_time.sleep)
        fetchers.append(fetcher)
        return fetcher

    yield make
    for fetcher in fetchers:
        fetcher.close()


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv


def get(fetcher: Fetcher, srv: FaultServer, path: str, **kwargs):
    kwargs.setdefault("allowed_hosts", frozenset({srv.host}))
    return fetcher.fetch(srv.url(path), source_id="test", purpose="detail", delay=0.0, **kwargs)


def ledger(store: Store, fetcher: Fetcher, purpose: str = "detail") -> list[tuple]:
    """(url path, attempt, status, outcome) of the run's rows for ``purpose``."""
    return [(row.url.split("/", 3)[3], row.attempt, row.status, row.outcome)
            for row in store.fetch_rows(fetcher.run_id) if row.purpose == purpose]


# -- retried: 5xx, 429, timeouts, resets ----------------------------------------------------------

def test_503_then_200_is_ok_after_one_retry_and_both_attempts_are_in_the_ledger(store, make_fetcher, server):
    server.route("/r.html", Reply(503), Reply(200, REPORT, headers=(("ETag", '"v1"'),)))
    fetcher = make_fetcher()
    fetched = get(fetcher, server, "/r.html")
    assert (fetched.outcome, fetched.attempts) == ("ok", 2)
    assert ledger(store, fetcher) == [("r.html", 1, 503, "http_error"), ("r.html", 2, 200, "ok")]
    ok_row = store.fetch_rows(fetcher.run_id)[-1]
    assert (ok_row.bytes, ok_row.etag, ok_row.final_url) == (len(REPORT), '"v1"', server.url("/r.html"))
    assert store.load_snapshot(ok_row.content_hash) == REPORT
    assert {hit.headers["User-Agent"] for hit in server.hits} == {TEST_UA}


def test_429_retry_after_is_waited_out_before_the_next_attempt(store, make_fetcher, server, fake_time):
    server.route("/r.html", Reply(429, b"slow down", headers=(("Retry-After", "7"),)), Reply(200, REPORT))
    fetcher = make_fetcher()
    assert get(fetcher, server, "/r.html").outcome == "ok"
    assert ledger(store, fetcher) == [("r.html", 1, 429, "http_error"), ("r.html", 2, 200, "ok")]
    assert max(fake_time.sleeps) >= 7.0  # the host's slot was pushed back by Retry-After, and waited for


def test_retry_after_beyond_the_cap_gives_up_on_the_url_for_this_run(store, make_fetcher, server):
    server.route("/r.html", Reply(503, headers=(("Retry-After", "86400"),)))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError):
        get(fetcher, server, "/r.html")
    assert len(server.requests_to("/r.html")) == 1


def test_a_response_hanging_past_the_read_timeout_is_retried(store, make_fetcher, server):
    server.route("/r.html", Reply(200, REPORT, hang=1.5), Reply(200, REPORT))
    fetcher = make_fetcher(read_timeout=0.3)
    assert get(fetcher, server, "/r.html").outcome == "ok"
    assert ledger(store, fetcher) == [("r.html", 1, None, "timeout"), ("r.html", 2, 200, "ok")]


def test_a_connection_reset_is_retried(store, make_fetcher, server):
    server.route("/r.html", Reset(), Reply(200, REPORT))
    fetcher = make_fetcher()
    assert get(fetcher, server, "/r.html").outcome == "ok"
    assert ledger(store, fetcher) == [("r.html", 1, None, "error"), ("r.html", 2, 200, "ok")]


def test_a_url_that_always_resets_fails_transiently_after_max_attempts(store, make_fetcher, server, fake_time):
    server.route("/r.html", Reset())
    fetcher = make_fetcher()
    with pytest.raises(TransientFetchError) as raised:
        get(fetcher, server, "/r.html")
    assert raised.value.outcome == "error"
    assert [row[1] for row in ledger(store, fetcher)] == [1, 2, 3]
    assert len(fake_time.sleeps) == 2  # a backoff before each retry


# -- not retried: 404, 410, 403, 412, soft 404 -----------------------------------------------------

@pytest.mark.parametrize(("status", "outcome"), [(404, "not_found"), (410, "gone"), (400, "http_error"),
                                                 (401, "http_error")])
def test_client_errors_are_not_retried(store, make_fetcher, server, status, outcome):
    server.route("/r.html", Reply(status, b"<html>no</html>"))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/r.html")
    assert raised.value.outcome == outcome
    assert ledger(store, fetcher) == [("r.html", 1, status, outcome)]
    assert len(server.requests_to("/r.html")) == 1


def test_soft_404_never_becomes_a_document(store, make_fetcher, server):
    server.route("/r.html", Reply(200, page("提示信息", "对不起，您访问的页面不存在或已被删除！")))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/r.html")
    assert raised.value.outcome == "soft_404"
    [row] = store.fetch_rows(fetcher.run_id)[1:]  # after the robots.txt row
    assert (row.outcome, row.status, row.content_hash) == ("soft_404", 200, None)


RUISHU_CHALLENGE = (b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                    b'<script>$_ts=window["$_ts"];if(!$_ts)$_ts={};$_ts.nsd=12345;$_ts.cd="qEr";</script>'
                    b'<script src="/4QbVtADbnLVIc/c.FxJzG50F.js" r="m"></script></head><body></body></html>')


@pytest.mark.parametrize("blocking_reply", [
    Reply(412, RUISHU_CHALLENGE),
    Reply(403, b"<html><body>Forbidden</body></html>"),
    Reply(200, page("安全验证", "访问过于频繁，请输入验证码后继续访问")),
], ids=["412-ruishu", "403", "200-captcha"])
def test_a_blocked_host_is_left_alone_for_the_rest_of_the_run(store, make_fetcher, server, blocking_reply):
    server.route("/a.html", blocking_reply).route("/b.html", Reply(200, REPORT))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as first:
        get(fetcher, server, "/a.html")
    with pytest.raises(PermanentFetchError) as second:
        get(fetcher, server, "/b.html")
    assert (first.value.outcome, second.value.outcome) == ("blocked", "blocked")
    assert server.requests_to("/b.html") == []  # never sent
    assert ledger(store, fetcher) == [("a.html", 1, blocking_reply.status, "blocked"),
                                      ("b.html", NOT_SENT, None, "blocked")]
    assert fetcher.host_report()[server.host]["blocked"] is True


# -- redirects -----------------------------------------------------------------------------------

def test_a_two_hop_redirect_records_the_final_url_and_the_hops(store, make_fetcher, server):
    server.route("/a", Reply(302, headers=(("Location", "/b"),)))
    server.route("/b", Reply(301, headers=(("Location", server.url("/c.html")),)))
    server.route("/c.html", Reply(200, REPORT))
    fetcher = make_fetcher()
    fetched = get(fetcher, server, "/a")
    assert fetched.final_url == server.url("/c.html")
    row = store.fetch_rows(fetcher.run_id)[-1]
    assert (row.outcome, row.status, row.final_url) == ("ok", 200, server.url("/c.html"))
    assert row.redirects == [server.url("/b"), server.url("/c.html")]


def test_a_redirect_loop_is_detected_and_not_retried(store, make_fetcher, server):
    server.route("/x", Reply(302, headers=(("Location", "/y"),)))
    server.route("/y", Reply(302, headers=(("Location", "/x"),)))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/x")
    assert raised.value.outcome == "redirect_loop"
    assert ledger(store, fetcher) == [("x", 1, 302, "redirect_loop")]
    assert [hit.path for hit in server.hits if hit.path != "/robots.txt"] == ["/x", "/y"]


def test_more_redirects_than_the_limit(store, make_fetcher, server):
    for n in range(5):
        server.route(f"/{n}", Reply(302, headers=(("Location", f"/{n + 1}"),)))
    fetcher = make_fetcher(max_redirects=3)
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/0")
    assert raised.value.outcome == "too_many_redirects"
    assert len([hit for hit in server.hits if hit.path != "/robots.txt"]) == 4  # the first request + 3 hops


def test_a_redirect_to_another_host_is_refused_and_never_followed(store, make_fetcher, server):
    with FaultServer() as elsewhere:
        elsewhere.route("/r.html", Reply(200, REPORT))
        server.route("/r.html", Reply(302, headers=(("Location", elsewhere.url("/r.html")),)))
        fetcher = make_fetcher()
        with pytest.raises(PermanentFetchError) as raised:
            get(fetcher, server, "/r.html")
        assert raised.value.outcome == "off_host"
        assert elsewhere.hits == []


def test_a_url_off_the_allowed_hosts_is_not_requested(store, make_fetcher, server):
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/r.html", allowed_hosts=frozenset({"127.0.0.1:1"}))
    assert raised.value.outcome == "off_host"
    assert server.hits == []
    assert ledger(store, fetcher) == [("r.html", NOT_SENT, None, "off_host")]


# -- robots.txt ----------------------------------------------------------------------------------

def test_robots_disallowing_a_report_path_means_no_request_is_sent(store, make_fetcher, server):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain"))
    server.route("/private/2019.html", Reply(200, REPORT)).route("/public/2019.html", Reply(200, REPORT))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/private/2019.html")
    assert raised.value.outcome == "robots_disallowed"
    assert get(fetcher, server, "/public/2019.html").outcome == "ok"
    assert server.requests_to("/private/2019.html") == []
    assert len(server.requests_to("/robots.txt")) == 1  # fetched once per host per run, then cached
    assert ledger(store, fetcher) == [("private/2019.html", NOT_SENT, None, "robots_disallowed"),
                                      ("public/2019.html", 1, 200, "ok")]
    assert ledger(store, fetcher, "robots") == [("robots.txt", 1, 200, "ok")]


def test_robots_5xx_disallows_the_whole_host_for_the_run(store, make_fetcher, server):
    server.route("/robots.txt", Reply(500, b"oops"))
    server.route("/a.html", Reply(200, REPORT)).route("/b.html", Reply(200, REPORT))
    fetcher = make_fetcher()
    for path in ("/a.html", "/b.html"):
        with pytest.raises(PermanentFetchError) as raised:
            get(fetcher, server, path)
        assert raised.value.outcome == "robots_disallowed"
    assert [hit.path for hit in server.hits] == ["/robots.txt"]


def test_robots_404_allows_everything(store, make_fetcher, server):
    server.route("/a.html", Reply(200, REPORT))  # /robots.txt has no route: the server answers 404
    fetcher = make_fetcher()
    assert get(fetcher, server, "/a.html").outcome == "ok"
    assert ledger(store, fetcher, "robots") == [("robots.txt", 1, 404, "not_found")]


def test_a_short_robots_txt_mentioning_404_is_still_read_as_rules(store, make_fetcher, server):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /404.html\nDisallow: /admin/\n", "text/plain"))
    server.route("/admin/r.html", Reply(200, REPORT))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError):
        get(fetcher, server, "/admin/r.html")
    assert server.requests_to("/admin/r.html") == []


# -- limits --------------------------------------------------------------------------------------

SIXTY_MB = 60 * 1024 * 1024


def test_a_60mb_body_is_aborted_while_streaming(store, make_fetcher, server):
    server.route("/big.html", Stream(SIXTY_MB))  # no Content-Length: only streaming can tell
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/big.html")
    assert raised.value.outcome == "too_large"
    stream = server.streams["/big.html"]
    assert stream.finished.wait(10)
    # The client hung up after the 20 MB cap: the server never had to send the rest.
    assert stream.sent < SIXTY_MB // 2
    row = store.fetch_rows(fetcher.run_id)[-1]
    assert (row.outcome, row.status, row.content_hash, row.bytes) == ("too_large", 200, None, 0)


def test_a_declared_60mb_body_is_refused_from_its_headers(store, make_fetcher, server):
    server.route("/big.pdf", Stream(SIXTY_MB, declare=True, content_type="application/pdf"))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/big.pdf")
    assert raised.value.outcome == "too_large"
    assert server.streams["/big.pdf"].finished.wait(10)
    assert server.streams["/big.pdf"].sent < SIXTY_MB // 4


def test_a_body_still_streaming_at_the_total_deadline_is_a_timeout(store, server):
    class RacingClock(FakeTime):
        def clock(self) -> float:  # every look at the clock costs a second: the deadline comes mid-body
            self.now += 1.0
            return self.now

    server.route("/slow.html", Stream(4 * 1024 * 1024, chunk=64 * 1024))
    racing = RacingClock()
    fetcher = Fetcher(store, run_id=store.start_run("crawl", {}), clock=racing.clock, sleep=racing.sleep,
                      settings=FetchSettings(total_timeout=5.0, max_attempts=1))
    with fetcher, pytest.raises(TransientFetchError) as raised:
        get(fetcher, server, "/slow.html")
    assert raised.value.outcome == "timeout"
    row = store.fetch_rows(fetcher.run_id)[-1]
    assert (row.outcome, row.status) == ("timeout", None)
    assert "5.0s" in row.error


def test_binary_junk_is_not_a_document(store, make_fetcher, server):
    server.route("/r.html", Reply(200, bytes(range(256)) * 8, "application/octet-stream"))
    fetcher = make_fetcher()
    with pytest.raises(PermanentFetchError) as raised:
        get(fetcher, server, "/r.html")
    assert raised.value.outcome == "not_document"


# -- parking -------------------------------------------------------------------------------------

def test_a_host_failing_five_times_in_a_row_is_parked_and_reported(store, make_fetcher, server):
    for path in ("/1.html", "/2.html", "/3.html"):
        server.route(path, Reply(503))
    fetcher = make_fetcher()
    for path in ("/1.html", "/2.html", "/3.html"):
        with pytest.raises((TransientFetchError, PermanentFetchError)):
            get(fetcher, server, path)
    # 3 attempts at /1, then 2 at /2 make five failures in a row: the host is parked, /3 is not sent.
    assert [(row[0], row[1]) for row in ledger(store, fetcher)] == [
        ("1.html", 1), ("1.html", 2), ("1.html", 3), ("2.html", 1), ("2.html", 2), ("3.html", NOT_SENT)]
    assert server.requests_to("/3.html") == []
    report = fetcher.host_report()[server.host]
    assert (report["parked"], report["consecutive_failures"], report["requests"]) == (True, 5, 6)  # 5 + robots


def test_a_success_resets_the_failure_streak(store, make_fetcher, server):
    server.route("/1.html", Reply(503), Reply(503), Reply(200, REPORT))
    server.route("/2.html", Reply(503), Reply(503), Reply(200, REPORT))
    fetcher = make_fetcher()
    assert get(fetcher, server, "/1.html").outcome == "ok"
    assert get(fetcher, server, "/2.html").outcome == "ok"
    assert fetcher.host_report()[server.host]["parked"] is False


# -- encodings end to end ------------------------------------------------------------------------

def test_gbk_page_declared_only_in_meta_arrives_as_text(store, make_fetcher, server):
    title = "广州市公安局2013年政府信息公开工作年度报告"
    server.route("/gz.html", Reply(200, report_page(title, "gbk"), "text/html"))  # no charset in the header
    fetched = get(make_fetcher(), server, "/gz.html")
    assert (fetched.decoded.method, fetched.decoded.encoding) == ("meta", "gb18030")
    assert title in fetched.text


def test_gb2312_declared_page_with_gbk_only_characters(store, make_fetcher, server):
    body = page("2019年政府信息公开工作年度报告", "朱镕基 陶喆 王堃 " * 200, "gb2312")
    server.route("/r.html", Reply(200, body, "text/html; charset=gb2312"))
    fetched = get(make_fetcher(), server, "/r.html")
    assert "朱镕基 陶喆 王堃" in fetched.text
    assert "\ufffd" not in fetched.text


# -- the demo web, faulty, crawled by the real flow ------------------------------------------------

def _is_listing(path: str) -> bool:
    return "index" in path or path.startswith("/list")


class DemoFaults:
    """Demo-server fault hook: the first request to every listing page is reset, the first to every
    other page answers 503, and the first to Wuhan's report hangs past the read timeout."""

    HANGING = "/zwgk/nb/2009/1101.shtml"

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.injected: list[tuple[str, str, str]] = []

    def __call__(self, handler, site_id: str, path: str) -> bool:
        if path == "/robots.txt" or (site_id, path) in self.seen:
            return False
        self.seen.add((site_id, path))
        if path == self.HANGING:
            self.injected.append((site_id, path, "hang"))
            time.sleep(1.0)
            _reset(handler)
        elif _is_listing(path):
            self.injected.append((site_id, path, "reset"))
            _reset(handler)
        else:
            self.injected.append((site_id, path, "503"))
            handler._send(503, b"busy", "text/plain", {"Retry-After": "0"})
        return True


def _reset(handler) -> None:
    handler.close_connection = True
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


@pytest.mark.slow
def test_a_crawl_of_the_demo_web_with_faults_still_finds_every_report(prefect_harness, sqlite_url, tmp_path,
                                                                      monkeypatch):
    from flows.crawl import crawl
    from govreports.demo.server import serve, sources_toml
    from govreports.demo.site import EXPECTED_REPORTS, build_sites

    monkeypatch.setenv("GOVREPORTS_READ_TIMEOUT", "0.4")
    monkeypatch.setenv("GOVREPORTS_BACKOFF_BASE", "0.05")  # real sleeps here: keep the backoff short
    faults = DemoFaults()
    sites = build_sites()
    with serve(sites, fault=faults) as bases:
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(sites, bases, delay=0.0), encoding="utf-8")
        state = crawl(sources_file=str(sources), db=sqlite_url, return_state=True)
    assert state.is_completed(), state.message
    store = Store(sqlite_url)
    with store.engine.connect() as connection:
        found = set(connection.execute(text("SELECT agency, year FROM reports")).all())
        rows = connection.execute(text("SELECT url, attempt, outcome, status FROM fetches "
                                       "WHERE purpose != 'robots' ORDER BY id")).all()
    assert found == EXPECTED_REPORTS
    kinds = {kind for _, _, kind in faults.injected}
    assert kinds == {"hang", "reset", "503"}
    by_url: dict[str, list[str]] = {}
    for url, _attempt, outcome, _status in rows:
        by_url.setdefault(url.split("/", 3)[3], []).append(outcome)
    for _site, path, kind in faults.injected:
        expected_first = {"hang": "timeout", "reset": "error", "503": "http_error"}[kind]
        assert by_url[path.lstrip("/")][:2] == [expected_first, "ok"], path
    store.close()


REAL_PAGES = Path(__file__).parent / "fixtures" / "html"


@pytest.mark.parametrize(("fixture", "codec"), [
    ("detail_youth_cn_trs_meta_gb2312_but_utf8_bytes.html", "utf-8"),  # meta says gb2312, bytes are UTF-8
    ("encoding_edge_gb18030_no_charset_meta_sina_saved.html", "gb18030"),  # no declaration anywhere
    ("detail_he_xinhuanet_news_gb2312.html", "gb18030"),
])
def test_real_pages_arrive_as_the_text_their_bytes_hold(store, make_fetcher, server, fixture, codec):
    raw = (REAL_PAGES / fixture).read_bytes()
    server.route("/page.html", Reply(200, raw, "text/html"))
    fetched = get(make_fetcher(), server, "/page.html")
    assert fetched.text == raw.decode(codec)
    assert fetched.body == raw and store.load_snapshot(fetched.content_hash) == raw  # bytes kept as sent


def test_unreachable_robots_refusal_says_why(tmp_path):
    """A dead host's refusal names the connection failure, not a robots.txt rule."""
    from fetching.client import Fetcher
    from core.errors import PermanentFetchError
    from storage.store import Store

    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    fetcher = Fetcher(store)
    with pytest.raises(PermanentFetchError) as caught:
        fetcher.fetch("http://127.0.0.1:9/index.html", source_id="dead", purpose="listing",
                      allowed_hosts=frozenset({"127.0.0.1:9"}), delay=0)
    assert caught.value.outcome == "robots_disallowed"
    assert "robots.txt unavailable" in str(caught.value) and "Connect" in str(caught.value)
