"""Discovery on listings shaped like the real web's hard cases, through the real fetcher and loopback
servers: a city's gkmlpt catalogue (walk only the annual-report category its tree names), a
catalogue with no such category (walk category 0, and say so), a catalogue API answering 404 or HTML
(a failed source, not an empty one), and 共9999页 lists whose further pages repeat the same items."""
from __future__ import annotations

from pathlib import Path

import pytest

from catalogue_server import HTML, JSON, CatalogueServer, repeating_list, whole_catalogue
from fetching.client import Fetcher
from fetching.settings import FetchSettings
from core.errors import SourceFailed
from core.sources import Source
from scrapers.discover import discover
from storage.store import Store

CITY = Path(__file__).parent / "fixtures" / "sites" / "gkmlpt_city"
SID = "763001"


def city_routes(shell: Path = CITY / "index.html") -> dict[str, tuple[Path, str]]:
    routes = {"/gkmlpt/index": (shell, HTML)}
    for category, pages in (("50103", 3), ("5010301", 1)):
        for n in range(1, pages + 1):
            routes[f"/gkmlpt/api/all/{category}?page={n}&sid={SID}"] = (CITY / f"api_{category}_page{n}.json", JSON)
    return routes


def run_discovery(store, start: str, max_pages: int = 50):
    source = Source(id="site", name="清远市人民政府", start_urls=(start,), delay=0.0, max_pages=max_pages)
    with Fetcher(store, run_id=store.start_run("crawl", {}), settings=FetchSettings(), sleep=lambda s: None) as fetcher:
        return discover(source, fetcher)


@pytest.fixture(scope="module")
def module_store(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('realweb') / 'govreports.db'}")
    yield store
    store.close()


# gkmlpt: the annual-report category of the tree, not the whole catalogue --------------------------

@pytest.fixture(scope="module")
def city(module_store):
    reports = {410: "清远市人民政府2016年政府信息公开工作年度报告"}
    with CatalogueServer(city_routes(), {"/gkmlpt/api/all/0": whole_catalogue(reports_at=reports)}) as server:
        found = run_discovery(module_store, server.base + "/gkmlpt/index")
        yield server, found


def test_city_catalogue_walks_only_the_annual_report_category_and_its_year_folder(city):
    server, _ = city
    assert server.requests_to("/gkmlpt/api/") == [
        f"/gkmlpt/api/all/50103?page=1&sid={SID}", f"/gkmlpt/api/all/5010301?page=1&sid={SID}",
        f"/gkmlpt/api/all/50103?page=2&sid={SID}", f"/gkmlpt/api/all/50103?page=3&sid={SID}"]


def test_city_catalogue_never_touches_category_zero(city):
    server, _ = city
    assert server.requests_to("/gkmlpt/api/all/0") == []


def test_city_catalogue_finds_every_report_of_the_category(city):
    _, found = city
    assert sorted(c.year for c in found.candidates) == [2017, 2021, 2022, 2023]


def test_city_catalogue_keeps_the_listing_dates(city):
    _, found = city
    assert {c.year: c.list_date for c in found.candidates}[2023] == "2024-01-30"


def test_city_catalogue_takes_no_fallback(city):
    _, found = city
    assert found.notes == {} and found.failures == {}


# gkmlpt: no annual-report category → category 0, said in the counts --------------------------------

NO_REPORT_TREE = (CITY / "index.html").read_text(encoding="utf-8").replace("政府信息公开年报", "工作动态").replace(
    "往年年报", "往年动态")


@pytest.fixture(scope="module")
def fallback(module_store, tmp_path_factory):
    shell = tmp_path_factory.mktemp("fallback") / "index.html"
    shell.write_bytes(NO_REPORT_TREE.encode("utf-8"))
    reports = {2: "清远市人民政府2023年政府信息公开工作年度报告", 30: "清远市人民政府2019年政府信息公开工作年度报告"}
    with CatalogueServer({"/gkmlpt/index": (shell, HTML)},
                         {"/gkmlpt/api/all/0": whole_catalogue(reports_at=reports)}) as server:
        found = run_discovery(module_store, server.base + "/gkmlpt/index", max_pages=40)
        yield server, found


def test_without_an_annual_report_category_the_whole_catalogue_is_walked(fallback):
    server, found = fallback
    assert server.requests_to("/gkmlpt/api/all/0?page=1")
    assert sorted(c.year for c in found.candidates) == [2019, 2023]


def test_the_fallback_is_said_in_the_counts(fallback):
    _, found = fallback
    assert found.notes == {"gkmlpt_whole_catalogue": 1}


def test_the_whole_catalogue_is_still_bounded_by_max_pages(fallback):
    server, found = fallback
    assert len(server.log) - 1 <= 40 and found.stop_reason.startswith("max_pages")  # minus robots.txt


# gkmlpt: a dead or broken API is a failed source ------------------------------------------------

def test_api_answering_404_fails_the_source(store):
    routes = {"/gkmlpt/index": (CITY / "index.html", HTML)}
    with CatalogueServer(routes) as server:
        with pytest.raises(SourceFailed, match=r"no listing item could be read \(not_found=2\)"):
            run_discovery(store, server.base + "/gkmlpt/index")


def test_api_answering_html_fails_the_source_as_unreadable(store, tmp_path):
    busy = tmp_path / "busy.html"
    busy.write_bytes("<html><body><h1>系统繁忙，请稍后再试</h1></body></html>".encode("utf-8"))
    routes = {"/gkmlpt/index": (CITY / "index.html", HTML)}
    routes.update({f"/gkmlpt/api/all/{c}?page=1&sid={SID}": (busy, HTML) for c in ("50103", "5010301")})
    with CatalogueServer(routes) as server:
        with pytest.raises(SourceFailed, match=r"listing_unreadable=2.*not JSON"):
            run_discovery(store, server.base + "/gkmlpt/index")


def test_one_broken_category_is_counted_while_the_other_is_read(store, tmp_path):
    error = tmp_path / "error.json"
    error.write_bytes(b'{"code": 500, "msg": "error"}')
    routes = city_routes()
    routes[f"/gkmlpt/api/all/5010301?page=1&sid={SID}"] = (error, JSON)
    with CatalogueServer(routes) as server:
        found = run_discovery(store, server.base + "/gkmlpt/index")
    assert found.failures == {"listing_unreadable": 1}
    assert sorted(c.year for c in found.candidates) == [2021, 2022, 2023]


# pagination traps: a page whose items were all seen before ends its listing --------------------

REPORTS = [(f"/xxgk/ndbg/202103/t202103{10 + n:02d}_{5500 + n}.html", f"某县{2020 - n}年政府信息公开工作年度报告")
           for n in range(8)]


def test_a_9999_page_list_repeating_its_items_costs_two_requests(store):
    with CatalogueServer(dynamic={"/xxgk/ndbg/index.html": repeating_list(REPORTS)}) as server:
        found = run_discovery(store, server.base + "/xxgk/ndbg/index.html")
    # the start page, then the first pager link (首页 → ?page=1 here): it shows nothing new, and ends the list
    assert len(server.requests_to("/xxgk/ndbg/")) == 2
    assert len(found.candidates) == 8 and found.claimed_pages is None
    assert found.listings_ended_repeating == 1


def test_a_trap_ends_its_own_listing_not_the_sources_other_start_urls(store):
    other = [(f"/zwgk/nb/2019/{n}.html", f"某县卫生健康局{2019 - n}年政府信息公开工作年度报告") for n in range(3)]
    with CatalogueServer(dynamic={"/xxgk/ndbg/index.html": repeating_list(REPORTS),
                                  "/zwgk/nb/index.html": repeating_list(other, claimed_pages=1)}) as server:
        source = Source(id="site", name="某县人民政府", delay=0.0,
                        start_urls=(server.base + "/xxgk/ndbg/index.html", server.base + "/zwgk/nb/index.html"))
        with Fetcher(store, run_id=store.start_run("crawl", {}), sleep=lambda s: None) as fetcher:
            found = discover(source, fetcher)
    assert len(found.candidates) == 11


def test_a_crawl_run_counts_the_whole_catalogue_fallback(tmp_path, prefect_harness):
    """Through the real flow: the run's counts (what `govreports runs show` prints) name the fallback."""
    from flows.crawl import crawl

    shell = tmp_path / "index.html"
    shell.write_bytes(NO_REPORT_TREE.encode("utf-8"))
    with CatalogueServer({"/gkmlpt/index": (shell, HTML)}, {"/gkmlpt/api/all/0": whole_catalogue()}) as server:
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nid = "qy"\nname = "清远市人民政府"\nstart_urls = ["{server.base}/gkmlpt/index"]\n'
                           "delay = 0.0\nmax_pages = 3\n", encoding="utf-8")
        summary = crawl(sources_file=str(sources), db=f"sqlite:///{tmp_path / 'r.db'}")
    assert summary["counts"]["notes"] == {"gkmlpt_whole_catalogue": 1}
    assert summary["counts"]["per_source"]["qy"]["notes"] == {"gkmlpt_whole_catalogue": 1}
