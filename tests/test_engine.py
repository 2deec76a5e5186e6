"""The crawl engine (flows/engine.py) as the hosts see it: many hosts served at once, never two
requests at once to one host, and an unchanged web crawled again without parsing a page.

The web is bench/synthetic_web.py's, served in this process by one threaded HTTP server per host
that counts, server-side, the requests in flight: per host and hosts at once. No timing asserts.
"""
from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
LISTING_PATH = "/xxgk/ndbg/index.html"  # bench.synthetic_web's


@pytest.fixture
def Web(monkeypatch):  # noqa: N802 (it is the class)
    """bench.synthetic_web.Web (the bench package lives beside the installed packages)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent))
    from bench.synthetic_web import LISTING_PATH as listing, Web

    assert listing == LISTING_PATH
    return Web


class CountingWeb:
    """``web``'s hosts on 127.0.0.1, each on its own port; every answer waits ``hang`` seconds
    while counted as in flight. ``peak_hosts``: most hosts with a request in flight at once;
    ``peak_per_host``: most requests in flight at once to any one host."""

    def __init__(self, web, hang: float) -> None:
        self.web, self.hang = web, hang
        self.lock = threading.Lock()
        self.in_flight: dict[int, int] = {}
        self.peak_hosts = 0
        self.peak_per_host = 0
        self.servers = [ThreadingHTTPServer(("127.0.0.1", 0), self._handler(host)) for host in range(web.hosts)]
        for server in self.servers:
            server.daemon_threads = True

    @property
    def ports(self) -> list[int]:
        return [server.server_address[1] for server in self.servers]

    def __enter__(self) -> "CountingWeb":
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def _enter(self, host: int) -> None:
        with self.lock:
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.peak_per_host = max(self.peak_per_host, self.in_flight[host])
            self.peak_hosts = max(self.peak_hosts, sum(1 for n in self.in_flight.values() if n))

    def _leave(self, host: int) -> None:
        with self.lock:
            self.in_flight[host] -= 1

    def _handler(self, host: int) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                outer._enter(host)
                try:
                    time.sleep(outer.hang)  # a slow site: its request stays in flight meanwhile
                    page = outer.web.page(host, self.path)
                    body = page.body if page else b"not found"
                    etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
                    status = 200 if page else 404
                    if page and self.headers.get("If-None-Match") == etag:
                        status, body = 304, b""
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("ETag", etag)
                    if status != 304:
                        self.send_header("Content-Type", page.content_type if page else "text/html")
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    outer._leave(host)

            def log_message(self, *args) -> None:
                pass

        return Handler


def sources_file(tmp_path, ports: list[int], sources_per_host: int = 1):
    """One portal source per host, or several sharing each host (the same listing, other ids)."""
    entries = [f'[[source]]\nid = "h{host:02d}s{k}"\nkind = "portal"\n'
               f'start_urls = ["http://127.0.0.1:{port}{LISTING_PATH}"]\ndelay = 0.0\n'
               for host, port in enumerate(ports) for k in range(sources_per_host)]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def crawl(sources, db: str, **kwargs) -> dict:
    from flows.crawl import crawl as crawl_flow

    state = crawl_flow(sources_file=str(sources), db=db, return_state=True, **kwargs)
    assert state.is_completed(), state.message
    return state.result()


def test_twenty_slow_hosts_are_served_at_once_not_eight(prefect_harness, Web, tmp_path):
    """The old engine ran 8 sources at once, so 8 hosts at most: the lanes keep every host busy."""
    # each host answers in 1 s, so each lane is busy ~5 s: long enough to overlap the others even
    # when a loaded machine starts the lanes' tasks seconds apart (0.3 s saw 13 at load 18)
    with CountingWeb(Web(20, 2), hang=1.0) as web:
        summary = crawl(sources_file(tmp_path, web.ports), f"sqlite:///{tmp_path / 'c.db'}")
    assert summary["counts"]["sources_failed"] == 0 and summary["counts"]["reports_new"] > 0
    assert web.peak_hosts >= 16, web.peak_hosts


def test_sources_sharing_a_host_never_send_two_requests_to_it_at_once(prefect_harness, Web, tmp_path):
    with CountingWeb(Web(3, 2), hang=0.05) as web:
        summary = crawl(sources_file(tmp_path, web.ports, sources_per_host=3), f"sqlite:///{tmp_path / 'c.db'}")
    assert summary["counts"]["sources"] == 9 and summary["counts"]["sources_failed"] == 0
    assert web.peak_per_host == 1


def test_an_unchanged_web_crawled_again_parses_no_page(prefect_harness, Web, tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    with CountingWeb(Web(4, 6), hang=0.0) as web:
        sources = sources_file(tmp_path, web.ports)
        first = crawl(sources, db)
        again = crawl(sources, db)
    assert first["counts"]["pages_parsed"] > 0
    assert again["counts"]["pages_parsed"] == 0
    loads = sum(first["counts"][k] for k in ("reports_new", "copies_added", "reports_changed", "copies_unchanged"))
    assert again["counts"]["copies_unchanged"] == loads  # every load of the first run: recorded as seen
    assert again["counts"]["reports_new"] == again["counts"]["sources_failed"] == 0
