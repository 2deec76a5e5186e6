"""Hanweb jcms adapter: datastore records on the column page, the dataproxy.jsp POST for the rest."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from fetching.client import PageRequest
from scrapers.base import ListingPage
from scrapers.hanweb import HanwebPlatform

SITE = Path(__file__).parent / "fixtures" / "sites" / "hanweb"
COLUMN = "http://www.example.gov.cn/col/col1229/index.html"


@pytest.fixture(scope="module")
def column():
    text = (SITE / "col1229_index.html").read_bytes().decode("utf-8")
    return HanwebPlatform().parse_listing(ListingPage(PageRequest(COLUMN), COLUMN, text))


@pytest.fixture(scope="module")
def proxy_request(column):
    return column.next_requests[0]


def test_datastore_records_are_items(column):
    assert "http://www.example.gov.cn/art/2020/1/19/art_1229_5501.html" in {link.url for link in column.links}


def test_proxy_request_is_a_post(proxy_request):
    assert proxy_request.method == "POST" and urlsplit(proxy_request.url).path == "/module/web/jpage/dataproxy.jsp"


def test_proxy_window_follows_the_records_shown(proxy_request):
    assert dict(parse_qsl(urlsplit(proxy_request.url).query)) == {"startrecord": "4", "endrecord": "6", "perpage": "3"}


def test_proxy_form_names_the_column_from_the_script(proxy_request):
    form = dict(proxy_request.form)
    assert (form["columnid"], form["unitid"], form["webid"], form["webname"]) == ("1229", "4892867", "149", "杭州市人民政府")


def test_claimed_pages_from_total_record(column):
    assert column.claimed_pages == 2


def test_proxy_answer_records_are_items(proxy_request):
    text = (SITE / "dataproxy_4_6.xml").read_bytes().decode("utf-8")
    parsed = HanwebPlatform().parse_listing(ListingPage(proxy_request, proxy_request.url, text))
    assert [link.text for link in parsed.links] == ["2019年度政府信息公开工作年度报告（市交通运输局）", "杭州市2020年政务公开工作要点"]


def test_proxy_answer_reaching_the_total_asks_nothing_more(proxy_request):
    text = (SITE / "dataproxy_4_6.xml").read_bytes().decode("utf-8")
    assert HanwebPlatform().parse_listing(ListingPage(proxy_request, proxy_request.url, text)).next_requests == []


def test_proxy_answer_short_of_the_total_asks_the_next_window():
    request = PageRequest("http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15",
                          method="POST", form=(("columnid", "7"), ("unitid", "8")))
    text = "<datastore><totalrecord>9999</totalrecord><recordset><record><![CDATA[<li><a href='/art/2020/1/1/art_7_1.html'>x</a></li>]]></record></recordset></datastore>"
    parsed = HanwebPlatform().parse_listing(ListingPage(request, request.url, text))
    nxt = parsed.next_requests[0]
    assert dict(parse_qsl(urlsplit(nxt.url).query))["startrecord"] == "91" and nxt.form == request.form


def test_empty_proxy_answer_ends_the_walk_whatever_the_total():
    request = PageRequest("http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15",
                          method="POST", form=(("columnid", "7"), ("unitid", "8")))
    text = "<datastore><totalrecord>9999</totalrecord><recordset></recordset></datastore>"
    assert HanwebPlatform().parse_listing(ListingPage(request, request.url, text)).next_requests == []


def test_page_without_a_column_in_its_script_asks_no_proxy():
    text = "<script type='text/xml'><datastore><recordset></recordset></datastore></script><script>$('#1').jpage({ajaxParam: {webid: 1}})</script>"
    assert HanwebPlatform().parse_listing(ListingPage(PageRequest(COLUMN), COLUMN, text)).next_requests == []
