"""Agency attribution in parsing.metadata: own title first, short names resolved, no default for mirrors."""
from __future__ import annotations

import pytest

from parsing.metadata import parse_metadata, resolve_short_name

BODY = "一、总体情况\n本年度主动公开政府信息若干条。" * 5


def agency_of(html: str, default: str | None = None, link_text: str | None = None):
    m = parse_metadata(html, BODY, url="http://x.gov.cn/art/2020/1/1/art_1_1.html", link_text=link_text,
                       default_agency=default)
    return m.agency, m.agency_from


def block(title: str, publisher: str) -> str:
    return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1><table><tr><td>发布机构：</td>"
            f"<td>{publisher}</td></tr></table></body></html>")


def test_portal_report_gets_the_agency_of_its_own_title():
    assert agency_of(block("杭州市民政局2019年政府信息公开工作年度报告", "杭州市民政局"), "杭州市人民政府")[0] == "杭州市民政局"


def test_short_publisher_resolved_from_the_source_place():
    agency, where = agency_of(block("2019年度政府信息公开工作年度报告", "市交通运输局"), "杭州市人民政府")
    assert (agency, "source name" in where) == ("杭州市交通运输局", True)


def test_short_publisher_resolved_from_the_title():
    agency, where = agency_of(block("杭州市2019年度公安机关政府信息公开工作年度报告", "市公安局"), None)
    assert (agency, "title" in where) == ("杭州市公安局", True)


def test_short_publisher_equal_to_source_suffix():
    assert agency_of(block("2019年度政府信息公开工作年度报告", "市公安局"), "杭州市公安局")[0] == "杭州市公安局"


def test_mirror_without_default_uses_the_title():
    assert agency_of(block("廣東省公安廳政府信息公開工作年度報告（2017年度）", "本站"), None)[0] == "广东省公安厅"


def test_mirror_without_default_and_no_agency_anywhere_has_none():
    assert agency_of(block("2017年度政府信息公开工作年度报告", "本站编辑"), None)[0] is None


@pytest.mark.parametrize("short,fuller,expected", [
    ("市公安局", "杭州市人民政府", "杭州市公安局"),
    ("区公安分局", "杭州市西湖区人民政府", "杭州市西湖区公安分局"),
    ("市公安局", "浙江省公安厅", None),
    ("本局", "杭州市公安局", "杭州市公安局"),  # "this bureau" on the bureau's own source
    ("县民政局", "某某市人民政府", None),
])
def test_resolve_short_name(short, fuller, expected):
    assert resolve_short_name(short, fuller) == expected


def test_publication_date_is_not_the_year():
    m = parse_metadata("<html><body><h1>市公安局政府信息公开工作年度报告</h1>发布日期：2020-01-18</body></html>", BODY,
                       url="http://x.gov.cn/xxgknb/202001/t20200118_1.html")
    assert m.year is None and m.published == "2020-01-18"
