"""Which links on a listing are annual reports: the pure classifier discovery runs on link text.

Titles in traditional script are normalized first (mirrors post 政府信息公開工作年度報告).
A link is a *report* when its text names an annual disclosure report and none of the look-alikes
that share its lists (``core.titles``, the one list the page check reads too). Measured on tests/fixtures/sites/links/mixed_links.tsv (70 labelled
links): see tests/test_scrapers_links.py, which holds the precision/recall floor.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from normalization import to_simplified
from core.titles import REPORT_TITLE, lookalike_in
from core.years import year_in_text, year_in_url

# The column's own name ("政府信息公开年报" in the menu and the breadcrumb) is a link to the list,
# not a report: a report's title adds a year or an agency to it.
_COLUMN_NAME = re.compile(r"^(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)(?:专栏|栏目)?$")
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
    lookalike = lookalike_in(title)
    if lookalike:
        return LinkVerdict(False, False, year, f"look-alike ({lookalike})")
    if _COLUMN_NAME.match(title):
        return LinkVerdict(False, False, year, "the column's own name, not a report")
    if REPORT_TITLE.search(title):
        return LinkVerdict(True, True, year, "annual report title")
    if _TRUNCATED.search(title) and _TRUNCATED_REPORT.search(_TRUNCATED.sub("", title)):
        return LinkVerdict(True, False, year, "truncated title that may be a report")
    return LinkVerdict(False, False, year, "not a report title")
