"""Generic adapter on the GBK fixture (bytes declared gb2312 only in <meta>), and pager shapes."""
from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from fetching.client import PageRequest
from fetching.decode import decode_html
from scrapers.base import ListingPage
from scrapers.generic import GenericPlatform, pagination_requests

SITE = Path(__file__).parent / "fixtures" / "sites" / "generic"
URL = "http://gaj.example.gov.cn/zwgk/ndbg/index.shtml"


@pytest.fixture(scope="module")
def parsed():
    text = decode_html((SITE / "index.shtml").read_bytes(), "text/html").text
    return GenericPlatform().parse_listing(ListingPage(PageRequest(URL), URL, text))


def test_gbk_titles_decoded(parsed):
    assert "武汉市公安局2008年度政府信息公开工作报告" in {link.text for link in parsed.links}


def test_next_and_last_links_followed(parsed):
    assert "http://gaj.example.gov.cn/zwgk/ndbg/index_2.shtml" in {r.url for r in parsed.next_requests}


def test_bracketed_list_date_read(parsed):
    dates = {link.text: link.list_date for link in parsed.links}
    assert dates["武汉市公安局2008年度政府信息公开工作报告"] == "2009-03-20"


@pytest.mark.parametrize("href,text", [
    ("?page=3", "3"), ("list_4.shtml", "下一页"), ("/col/5.html", "5"), ("index_9.html", "尾页"),
])
def test_pager_shapes(href, text):
    soup = BeautifulSoup(f'<a href="{href}">{text}</a>', "lxml")
    assert len(pagination_requests(soup, "http://x.gov.cn/col/index.html")) == 1


def test_off_host_pager_not_followed():
    soup = BeautifulSoup('<a href="http://other.gov.cn/index_2.html">下一页</a>', "lxml")
    assert pagination_requests(soup, "http://x.gov.cn/col/index.html") == []
