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


# The date beside a link, in the list layouts real CMSs print (issue 13, class 3) ------------------

LIST_LAYOUTS = {
    "li, date after": '<ul><li><a href="/a.html">A</a><span>2021-01-19</span></li><li><a href="/b.html">B</a><span>2020-01-20</span></li></ul>',
    "li, date first": '<ul><li><span>[2021-01-19]</span><a href="/a.html">A</a></li><li><span>[2020-01-20]</span><a href="/b.html">B</a></li></ul>',
    "dl dt/dd": '<dl><dt><a href="/a.html">A</a></dt><dd>2021-01-19</dd><dt><a href="/b.html">B</a></dt><dd>2020-01-20</dd></dl>',
    "div items": ('<div class="list"><div class="item"><div class="t"><a href="/a.html">A</a></div><div class="d">2021年1月19日</div>'
                  '</div><div class="item"><div class="t"><a href="/b.html">B</a></div><div class="d">2020年1月20日</div></div></div>'),
    "br runs": '<div><a href="/a.html">A</a> 2021-01-19<br><a href="/b.html">B</a> 2020-01-20<br></div>',
    "table rows": ('<table><tr><td><a href="/a.html">A</a></td><td>2021/01/19</td></tr>'
                   '<tr><td><a href="/b.html">B</a></td><td>2020/01/20</td></tr></table>'),
}


@pytest.mark.parametrize("layout", sorted(LIST_LAYOUTS))
def test_list_date_in_every_layout(layout):
    from scrapers.generic import item_links

    links = item_links(BeautifulSoup(LIST_LAYOUTS[layout], "lxml"), "http://x.gov.cn/col/")
    assert [(link.url, link.list_date) for link in links] == [
        ("http://x.gov.cn/a.html", "2021-01-19"), ("http://x.gov.cn/b.html", "2020-01-20")]


def test_an_item_without_a_date_does_not_take_the_next_items():
    html = '<ul><li><a href="/a.html">A</a></li><li><span>2020-01-20</span><a href="/b.html">B</a></li></ul>'
    from scrapers.generic import item_links

    assert [link.list_date for link in item_links(BeautifulSoup(html, "lxml"), "http://x.gov.cn/")] == [None, "2020-01-20"]


@pytest.mark.parametrize("text, url, pager", [
    ("下一页", "http://x.gov.cn/col/index_2.html", True), ("7", "http://x.gov.cn/col/?page=7", True),
    ("尾页", "http://x.gov.cn/col/index_99.html", True),
    ("某县2019年政府信息公开工作年度报告", "http://x.gov.cn/art/2020/1/15/12.html", False),  # an item, whatever its URL
])
def test_pager_links_are_not_items(text, url, pager):
    from scrapers.base import Link
    from scrapers.generic import is_pager_link

    assert is_pager_link(Link(url, text, "http://x.gov.cn/col/")) is pager
