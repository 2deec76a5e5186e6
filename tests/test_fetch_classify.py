"""2xx bodies: document, soft 404, blocked (瑞数 / captcha), or binary junk."""
from __future__ import annotations

import pytest

from fetching.classify import classify_html, looks_binary, sniff_binary

REPORT = "<html><body>" + "<p>一、总体情况 本机关认真贯彻落实政府信息公开条例。</p>" * 100 + "</body></html>"


@pytest.mark.parametrize("page", [
    "<html><head><title>404</title></head><body>您访问的页面不存在</body></html>",
    "<html><body><h1>页面不存在</h1><a href='/'>返回首页</a></body></html>",
    "<html><body>404 Not Found</body></html>",
])
def test_soft_404(page):
    assert classify_html(page) == "soft_404"


@pytest.mark.parametrize("page", [
    "<html><head><meta http-equiv='refresh'><script>$_ts=window['$_ts'];$_ts.nsd=1234;</script></head><body></body></html>",
    "<html><body><p>请输入验证码</p><img src='/captcha.jpg'></body></html>",
    "<html><body>访问过于频繁，请稍后再试</body></html>",
])
def test_block_pages(page):
    assert classify_html(page) == "blocked"


def test_a_long_report_that_mentions_404_is_a_document():
    assert classify_html(REPORT.replace("</body>", "<p>404</p><p>验证码</p></body>")) == "ok"


def test_short_real_page_is_ok():
    assert classify_html("<html><body><p>2019年政府信息公开工作年度报告</p></body></html>") == "ok"


@pytest.mark.parametrize("body,kind", [(b"%PDF-1.7 ...", "pdf"), (b"PK\x03\x04rest", "zip"),
                                       (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "ole"), (b"<html>", None)])
def test_sniff_binary(body, kind):
    assert sniff_binary(body) == kind


def test_binary_junk():
    assert looks_binary(bytes(range(256)) * 4)
    assert not looks_binary("<html>年报</html>".encode("utf-8"))
