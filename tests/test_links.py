"""Which listing links are annual reports, and of which year (link text only, no fetching)."""
from __future__ import annotations

import pytest

from core.years import year_in_text, year_in_url
from scrapers.links import classify_link

REPORTS = [
    ("2012年深圳市公安局政府信息公开年报", 2012),
    ("广东省公安厅政府信息公开工作年度报告(2017年度)", 2017),
    ("廣東省公安廳政府信息公開工作年度報告（2017年度）", 2017),  # traditional script, full-width brackets
    ("杭州市公安局2019年度政府信息公开工作年度报告", 2019),
    ("2013 年广州市公安局政府 信息公开年度报告", 2013),
    ("武汉市公安局2008年度政府信息公开工作报告", 2008),
    ("二〇一二年深圳市政府信息公开工作年度报告", 2012),
    ("市新闻出版广电局2018年政府信息公开工作年度报告", 2018),  # 新闻 in an agency name is not "news"
]
LOOKALIKES = [
    "深圳市公安局2012年政府信息公开年报解读",
    "一图读懂2019年政府信息公开工作年度报告",
    "2019年政务公开工作要点",
    "杭州市公安局政府信息公开指南",
    "政府信息公开目录",
    "武汉市公安局2019年部门决算",
    "2019年度法治政府建设年度报告",
    "2019年度部门整体支出绩效自评报告",
    "市公安局召开全市公安机关政务公开工作会议",
    "关于报送2019年政府信息公开工作年度报告的通知",
]


@pytest.mark.parametrize("text,year", REPORTS)
def test_reports_are_candidates(text, year):
    verdict = classify_link(text, "http://example.gov.cn/art/2020/1/19/art_1_2.html")
    assert verdict.is_candidate and verdict.confident


@pytest.mark.parametrize("text,year", REPORTS)
def test_report_year_from_link_text(text, year):
    assert classify_link(text, "http://example.gov.cn/x.html").year == year


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalikes_are_rejected(text):
    assert not classify_link(text, "http://example.gov.cn/x.html").is_candidate


def test_truncated_title_is_a_candidate_but_not_confident():
    verdict = classify_link("2019年杭州市公安局政府信息公开工作年...", "http://example.gov.cn/x.html")
    assert verdict.is_candidate and not verdict.confident


@pytest.mark.parametrize("text", ["2013-01-15", "发布日期：2013年1月15日", "2020/01/19"])
def test_a_date_is_never_a_report_year(text):
    assert year_in_text(text) is None


def test_year_before_niandu_wins_over_other_years():
    assert year_in_text("2020年1月发布的2019年度政府信息公开工作年度报告") == 2019


@pytest.mark.parametrize("url,year", [
    ("http://x.gov.cn/zwgk/xxgknb/2019/index.html", 2019),
    ("http://x.gov.cn/2018nb/index.html", 2018),
    ("http://x.gov.cn/gkml/201903/t20190315_123.html", None),  # a TRS date folder is a publication date
    ("http://x.gov.cn/art/2020/1/19/art_1229_5501.html", None),  # so is a Hanweb one
])
def test_year_in_url(url, year):
    assert year_in_url(url) == year


# Held out: real listings (not authored by us), hand-labelled. The Ordos page is a 信息公开年报
# column mixing four reports with meetings, "一图读懂" pieces and menu links; Yuanzhou is a news list.
REAL_LISTINGS = {
    "list_ordos_engebei_xxgknb_trs_pagination_utf8.html": {
        "鄂尔多斯市2019年政府信息公开工作年度报告": 2019,
        "鄂尔多斯市人民政府办公室2019年政府信息公开工作年度报告": 2019,
        "鄂尔多斯市2018年政府信息公开年度报告": 2018,
        "内蒙古自治区2018年政府信息公开工作年度报告": 2018,
    },
    "list_yuanzhou_gov_trs_wcm_createPageHTML_utf8.html": {},
}


def _real_links(name: str) -> list[tuple[str, str]]:
    from pathlib import Path

    from bs4 import BeautifulSoup

    page = (Path(__file__).parent / "fixtures" / "html" / name).read_text(encoding="utf-8")
    anchors = BeautifulSoup(page, "lxml").find_all("a", href=True)
    return [((a.get("title") or a.get_text(" ", strip=True)).strip(), a["href"]) for a in anchors]


@pytest.mark.parametrize("name", sorted(REAL_LISTINGS))
def test_real_listing_reports_found_and_nothing_else(name):
    found = {text: classify_link(text, href).year for text, href in _real_links(name)
             if classify_link(text, href).is_candidate}
    assert found == REAL_LISTINGS[name]
