"""TRS WCM adapter on the authored 黄石市公安局 fixture (raw bytes) and small authored pages."""
from __future__ import annotations

from pathlib import Path

import pytest

from fetching.client import PageRequest
from fetching.decode import decode_html
from scrapers.base import ListingPage
from scrapers.trs import TrsPlatform, script_pager

SITE = Path(__file__).parent / "fixtures" / "sites" / "trs"
BASE = "http://gaj.example.gov.cn/xxgk/xxgknb/"


def page(name: str, url: str) -> ListingPage:
    text = decode_html((SITE / name).read_bytes(), "text/html").text
    return ListingPage(PageRequest(url), url, text)


@pytest.fixture(scope="module")
def first():
    return TrsPlatform().parse_listing(page("index.html", BASE + "index.html"))


def test_detects_its_fixture():
    assert TrsPlatform().detect(page("index.html", BASE + "index.html"))


def test_details_in_date_folders_are_items(first):
    assert BASE + "202201/t20220126_875299.html" in {link.url for link in first.links}


def test_only_the_next_page_is_requested_of_a_9999_page_claim(first):
    assert [r.url for r in first.next_requests] == [BASE + "index_1.html"]


def test_the_claim_is_recorded(first):
    assert first.claimed_pages == 9999


def test_truncated_text_replaced_by_title_attribute():
    parsed = TrsPlatform().parse_listing(page("index_1.html", BASE + "index_1.html"))
    texts = {link.url: link.text for link in parsed.links}
    assert texts[BASE + "202101/t20210128_812345.html"] == "2020年度黄石市公安局政府信息公开工作年度报告"


def test_list_date_is_kept_as_a_date(first):
    dates = {link.url: link.list_date for link in first.links}
    assert dates[BASE + "202201/t20220126_875299.html"] == "2022-01-26"


def test_detail_page_article_pager_is_not_a_list():
    url = BASE + "202201/t20220126_875299.html"
    parsed = TrsPlatform().parse_listing(page("t20220126_875299.html", url))
    assert parsed.next_requests == [] and parsed.claimed_pages is None


@pytest.mark.parametrize("script", [
    'createPageHTML(3,0,"t20190918_693227","shtml");',  # the Shanxi detail page's own pager
    'createPageHTML(2, 1, "t20220126_875299", "html");',
])
def test_article_pager_scripts_are_not_list_pagers(script):
    assert script_pager(f"<script>{script}</script>", "http://x.gov.cn/col/index.html") is None


def test_count_page_variables_page_a_list():
    text = "<script>var currentPage = 0;//所在页从0开始\nvar countPage = 2//共多少页</script>"
    assert script_pager(text, "http://x.gov.cn/xxgknb/") == (2, 0, "index", "html")


def test_count_page_on_a_later_shtml_page():
    text = "<script>var currentPage = 3;var countPage = 7</script>"
    assert script_pager(text, "http://x.gov.cn/xxgknb/index_3.shtml") == (7, 3, "index", "shtml")


def test_last_page_requests_nothing_more():
    text = '<ul><li><a href="./202001/t20200101_1.html">x</a></li></ul><script>createPageHTML(4, 3, "index", "html");</script>'
    url = BASE + "index_3.html"
    assert TrsPlatform().parse_listing(ListingPage(PageRequest(url), url, text)).next_requests == []


def test_function_definition_alone_is_not_a_call():
    text = "<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}</script>"
    assert script_pager(text, BASE) is None
