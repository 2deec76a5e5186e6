"""End to end, one fixture site per CMS family: served on 127.0.0.1 from tests/fixtures/sites/<family>/
(raw bytes, routes in routes.toml), crawled by the real Prefect flow into a SQLite file; then we
ask the database which reports were found, with which agency and year."""
from __future__ import annotations

import socket
import threading
import tomllib
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

SITES = Path(__file__).parent / "fixtures" / "sites"
FAMILIES = ("trs", "hanweb", "gkmlpt", "generic")


def load_site(family: str) -> dict:
    return tomllib.loads((SITES / family / "routes.toml").read_text(encoding="utf-8"))


def _handler(family: str, site: dict, log: list[str]) -> type[BaseHTTPRequestHandler]:
    routes = {(r.get("method", "GET"), r["path"]): r for r in site["route"]}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            self._answer("GET", {})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
            self._answer("POST", form)

        def _answer(self, method: str, form: dict) -> None:
            log.append(f"{method} {self.path}")
            route = routes.get((method, self.path))
            if route is None or any(form.get(k) != v for k, v in route.get("form", {}).items()):
                return self._send(404, "<html><body>页面不存在 404</body></html>".encode("utf-8"), "text/html; charset=utf-8")
            body = (SITES / family / route["file"]).read_bytes()
            self._send(200, body, route.get("content_type", "text/html; charset=utf-8"))

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def serve_sites(families: tuple[str, ...]):
    """One loopback server per family; yields ({family: base_url}, {family: request log})."""
    with ExitStack() as stack:
        bases, logs = {}, {}
        for family in families:
            logs[family] = []
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(family, load_site(family), logs[family]))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            bases[family] = f"http://127.0.0.1:{server.server_address[1]}"
        yield bases, logs


def sources_toml(bases: dict[str, str], extra: str = "") -> str:
    entries = []
    for family, base in bases.items():
        site = load_site(family)
        lines = ["[[source]]", f'id = "{family}-site"', f'start_urls = ["{base}{site["start"]}"]', "delay = 0.0"]
        if site.get("name"):
            lines.append(f'name = "{site["name"]}"')
        if site.get("kind"):
            lines.append(f'kind = "{site["kind"]}"')
        entries.append("\n".join(lines))
    return "\n\n".join(entries) + "\n" + extra


def dead_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, prefect_harness):
    """All four families plus a dead source, crawled once by the real flow."""
    from flows.crawl import crawl
    from govreports.records import report_records
    from storage.store import Store

    tmp = tmp_path_factory.mktemp("discovery")
    db = f"sqlite:///{tmp / 'reports.db'}"
    dead = f'[[source]]\nid = "dead-site"\nname = "某市公安局"\nstart_urls = ["http://127.0.0.1:{dead_port()}/xxgk/xxgknb/"]\ndelay = 0.0\n'
    with serve_sites(FAMILIES) as (bases, logs):
        sources = tmp / "sources.toml"
        sources.write_text(sources_toml(bases, "\n" + dead), encoding="utf-8")
        state = crawl(sources_file=str(sources), db=db, return_state=True)
    store = Store(db)
    run = store.runs(1)[0]  # a run with a failed source ends Failed: its summary is in our run record
    summary = {"counts": run.counts, "errors": run.errors, "state": run.state}
    records = list(report_records(store))
    store.close()
    return {"summary": summary, "records": records, "logs": logs, "state": state}


def _found(crawled, source_id: str) -> set[tuple[str, int]]:
    return {(r["agency"], r["year"]) for r in crawled["records"] if f"{source_id}" in r["source_ids"]}


def test_trs_reports_found_with_agency_and_year(crawled):
    assert _found(crawled, "trs-site") == {("黄石市公安局", 2021), ("黄石市公安局", 2020)}


def test_trs_claimed_9999_pages_cost_three_listing_requests(crawled):
    listing = [line for line in crawled["logs"]["trs"] if "/xxgk/xxgknb/index" in line]
    assert listing == ["GET /xxgk/xxgknb/index.html", "GET /xxgk/xxgknb/index_1.html", "GET /xxgk/xxgknb/index_2.html"]


def test_hanweb_portal_found_records_behind_dataproxy(crawled):
    assert ("杭州市交通运输局", 2019) in _found(crawled, "hanweb-site")  # record 4, only via the POST


def test_hanweb_portal_attributes_each_department(crawled):
    assert _found(crawled, "hanweb-site") == {("杭州市公安局", 2019), ("杭州市民政局", 2019), ("杭州市交通运输局", 2019)}


def test_gkmlpt_reports_found_through_the_json_api(crawled):
    assert _found(crawled, "gkmlpt-site") == {("广东省公安厅", 2018), ("广东省公安厅", 2017)}


def test_gkmlpt_walk_ends_at_the_first_empty_page(crawled):
    # The API does not say its page size; a short last page looks like a full one, so the walk may ask
    # once past the end (page 3, empty) and stops there.
    api = [line for line in crawled["logs"]["gkmlpt"] if "/api/" in line]
    assert api == [f"GET /gkmlpt/api/all/2629?page={n}&sid=200" for n in (1, 2, 3)]


def test_generic_gbk_reports_found(crawled):
    assert _found(crawled, "generic-site") == {("武汉市公安局", 2008), ("武汉市公安局", 2009)}


def test_lookalikes_never_fetched_as_documents(crawled):
    fetched = "\n".join(line for log in crawled["logs"].values() for line in log)
    for lookalike in ("t20220210_876001", "t20200820_790011", "art_1229_5510", "art_1229_5530", "post_2221801",
                      "t20100901_31002", "t20090325_22150"):
        assert lookalike not in fetched


def test_dead_source_fails_with_a_clear_message(crawled):
    message = crawled["summary"]["errors"]["sources"]["dead-site"]
    assert "no listing page could be fetched" in message
    assert crawled["summary"]["errors"]["source_status"]["dead-site"] == "refused"


def test_dead_source_does_not_stop_the_others(crawled):
    assert crawled["summary"]["counts"]["sources_failed"] == 1
    assert crawled["summary"]["counts"]["reports_new"] == 9


def test_a_dead_site_among_live_ones_does_not_fail_the_run(crawled):
    # the run policy (govreports/policy.py): a site's refusal is reported, the run completes
    assert crawled["state"].is_completed() and crawled["summary"]["state"] == "completed"


def test_per_source_platforms_detected(crawled):
    per_source = crawled["summary"]["counts"]["per_source"]
    assert {sid: tuple(v["platforms"]) for sid, v in per_source.items()} == {
        "trs-site": ("trs",), "hanweb-site": ("hanweb",), "gkmlpt-site": ("gkmlpt",), "generic-site": ("generic",)}
