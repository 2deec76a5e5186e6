"""gkmlpt adapter: the shell page becomes an API request; the JSON becomes links and the next page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fetching.client import PageRequest
from scrapers.base import ListingPage
from scrapers.gkmlpt import GkmlptPlatform

SITE = Path(__file__).parent / "fixtures" / "sites" / "gkmlpt"
SHELL = "http://gdga.example.gov.cn/gkmlpt/annualreport#2629"
API1 = "http://gdga.example.gov.cn/gkmlpt/api/all/2629?page=1&sid=200"


def api_page(name: str, url: str) -> ListingPage:
    return ListingPage(PageRequest(url), url, (SITE / name).read_bytes().decode("utf-8"), "application/json")


@pytest.fixture(scope="module")
def shell():
    text = (SITE / "annualreport.html").read_bytes().decode("utf-8")
    return ListingPage(PageRequest(SHELL), SHELL.split("#")[0], text)


def test_detects_shell(shell):
    assert GkmlptPlatform().detect(shell)


def test_detects_api_json():
    assert GkmlptPlatform().detect(api_page("api_2629_page1.json", API1))


def test_shell_becomes_the_api_request_for_its_category(shell):
    assert [r.url for r in GkmlptPlatform().parse_listing(shell).next_requests] == [API1]


def test_shell_without_category_asks_the_whole_catalogue(shell):
    bare = ListingPage(PageRequest(SHELL.split("#")[0]), SHELL.split("#")[0], shell.text)
    assert GkmlptPlatform().parse_listing(bare).next_requests[0].url.startswith(
        "http://gdga.example.gov.cn/gkmlpt/api/all/0?page=1")


def test_nested_site_keeps_its_path_prefix():
    url = "http://www.example.gov.cn/lhqkjj/gkmlpt/index#35"
    page = ListingPage(PageRequest(url), url.split("#")[0], "<script>window._CONFIG = {SID: '755325'}</script>")
    assert GkmlptPlatform().parse_listing(page).next_requests[0].url == \
        "http://www.example.gov.cn/lhqkjj/gkmlpt/api/all/35?page=1&sid=755325"


def test_api_articles_are_links():
    parsed = GkmlptPlatform().parse_listing(api_page("api_2629_page1.json", API1))
    assert parsed.links[0].url == "http://gdga.example.gov.cn/gkmlpt/content/1/2221/post_2221779.html"


def test_api_publication_date_in_beijing_time():
    parsed = GkmlptPlatform().parse_listing(api_page("api_2629_page1.json", API1))
    assert parsed.links[0].list_date == "2019-01-31"


def test_api_next_page_while_short_of_total():
    parsed = GkmlptPlatform().parse_listing(api_page("api_2629_page1.json", API1))
    assert [r.url for r in parsed.next_requests] == [API1.replace("page=1", "page=2")]


def test_api_empty_page_ends_the_walk():
    url = API1.replace("page=1", "page=3")
    assert GkmlptPlatform().parse_listing(api_page("api_2629_page3.json", url)).next_requests == []


def test_api_claiming_9999_pages_still_asks_one_page_at_a_time():
    articles = [{"title": f"t{i}", "url": f"/gkmlpt/content/1/1/post_{i}.html", "first_publish_time": 1} for i in range(2)]
    page = ListingPage(PageRequest(API1), API1, json.dumps({"total": 19998, "articles": articles}))
    parsed = GkmlptPlatform().parse_listing(page)
    assert parsed.claimed_pages == 9999 and len(parsed.next_requests) == 1


def test_error_page_instead_of_json_yields_nothing():
    page = ListingPage(PageRequest(API1), API1, "<html>系统繁忙</html>")
    parsed = GkmlptPlatform().parse_listing(page)
    assert parsed.links == [] and parsed.next_requests == []
