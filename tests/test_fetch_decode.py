"""Bytes → text: BOM → strict UTF-8 → declared charset (GB family as gb18030) → detection → gb18030."""
from __future__ import annotations

from pathlib import Path

import pytest

from fetching.decode import decode_html, normalize_charset

FIXTURES = Path(__file__).parent / "fixtures" / "html"
GBK_ONLY = "朱镕基 陶喆 王堃"  # characters outside GB2312: a strict gb2312 decoder fails on them


def page(charset_meta: str, body: str) -> str:
    return f'<html><head>{charset_meta}<title>政府信息公开工作年度报告</title></head><body><p>{body}</p></body></html>'


def test_gbk_declared_only_in_meta_http_equiv():
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=gbk">', "广州市公安局" * 20).encode("gbk")
    decoded = decode_html(raw, "text/html")
    assert (decoded.method, decoded.encoding) == ("meta", "gb18030")
    assert "广州市公安局" in decoded.text


def test_gb2312_declared_page_with_gbk_only_characters():
    raw = page('<meta charset="gb2312">', GBK_ONLY).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")
    decoded = decode_html(raw, None)
    assert GBK_ONLY in decoded.text
    assert decoded.encoding == "gb18030"


def test_header_charset_is_used_before_meta():
    raw = page('<meta charset="big5">', "杭州市公安局").encode("gb18030")
    assert decode_html(raw, "text/html; charset=GB2312").method == "header"


def test_meta_gb2312_but_utf8_bytes_real_page():
    raw = (FIXTURES / "detail_youth_cn_trs_meta_gb2312_but_utf8_bytes.html").read_bytes()
    assert b"gb2312" in raw[:2000].lower()
    decoded = decode_html(raw, "text/html")
    assert decoded.method == "utf-8"
    assert "\ufffd" not in decoded.text


def test_no_declaration_at_all_real_gb18030_page():
    raw = (FIXTURES / "encoding_edge_gb18030_no_charset_meta_sina_saved.html").read_bytes()
    decoded = decode_html(raw, "text/html")
    assert decoded.method in ("detected", "fallback")
    assert decoded.text == raw.decode("gb18030")


def test_real_gb2312_page_with_conflicting_declarations():
    raw = (FIXTURES / "detail_he_xinhuanet_news_gb2312.html").read_bytes()
    decoded = decode_html(raw, "text/html")
    assert decoded.encoding == "gb18030"
    assert "\ufffd" not in decoded.text


def test_bom_wins():
    raw = "\ufeff<html><body>年报</body></html>".encode("utf-8")
    assert decode_html(raw, "text/html; charset=gbk").method == "bom"


def test_undecodable_bytes_fall_back_to_gb18030_with_replacement():
    raw = b"<html><body>" + "年报".encode("gbk") + b"\xff\xff\xff" + b"</body></html>"
    decoded = decode_html(raw, None)
    assert "年报" in decoded.text


@pytest.mark.parametrize("declared", ["gb2312", "GBK", "x-gbk", "GB_2312-80", "cp936", "gb18030"])
def test_gb_family_maps_to_gb18030(declared):
    assert normalize_charset(declared) == "gb18030"
