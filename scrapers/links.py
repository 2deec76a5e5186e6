"""Which links on a listing are annual reports: the pure classifier discovery runs on link text.

Titles in traditional script are normalized first (mirrors post 政府信息公開工作年度報告).
A link is a *report* when its text names an annual disclosure report and none of the look-alikes
that share its lists (DOMAIN.md): 年报解读, 工作要点, 指南, 目录, 决算, 法治政府建设年度报告, 绩效自评,
and news about the reports. Measured on tests/fixtures/sites/links/mixed_links.tsv (70 labelled
links): see tests/test_scrapers_links.py, which holds the precision/recall floor.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from normalization import to_simplified
from parsing.years import year_in_text, year_in_url

_REPORT = re.compile(
    r"(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)|政务公开(?:工作)?(?:年度报告|年报)|信息公开年报|公开年度报告"
)
# The column's own name ("政府信息公开年报" in the menu and the breadcrumb) is a link to the list,
# not a report: a report's title adds a year or an agency to it.
_COLUMN_NAME = re.compile(r"^(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)(?:专栏|栏目)?$")
_LOOKALIKE = re.compile(
    r"解读|图解|一图读懂|图读|要点|指南|目录|决算|预算|法治政府|法治建设|绩效|自评|通知|意见|办法|规定|方案|发布会|问答|"
    r"统计表|情况表|征集|述职|督查|考核|培训|"
    # news and paperwork about the reports: 编制说明会召开, 关于…年度报告的说明, 年度报告格式, 社会评议结果
    r"说明|格式|召开|会议|评议|座谈"
)
# Link texts are often truncated by the CMS ("2019年杭州市公安局政府信息公开工作年...").
_TRUNCATED = re.compile(r"(?:\.\.\.|…+|\.{2,})\s*$")
_TRUNCATED_REPORT = re.compile(r"信息公开.{0,8}$")


@dataclass(frozen=True)
class LinkVerdict:
    is_candidate: bool  # worth fetching: a report, or a truncated title that may be one
    confident: bool  # the full title says "annual report"
    year: int | None
    reason: str


def classify_link(text: str, url: str) -> LinkVerdict:
    title = re.sub(r"\s+", "", to_simplified(text or ""))
    year = year_in_text(title) or year_in_url(url)
    if not title:
        return LinkVerdict(False, False, None, "no link text")
    lookalike = _LOOKALIKE.search(title)
    if lookalike:
        return LinkVerdict(False, False, year, f"look-alike ({lookalike.group(0)})")
    if _COLUMN_NAME.match(title):
        return LinkVerdict(False, False, year, "the column's own name, not a report")
    if _REPORT.search(title):
        return LinkVerdict(True, True, year, "annual report title")
    if _TRUNCATED.search(title) and _TRUNCATED_REPORT.search(_TRUNCATED.sub("", title)):
        return LinkVerdict(True, False, year, "truncated title that may be a report")
    return LinkVerdict(False, False, year, "not a report title")
