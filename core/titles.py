"""Report titles and their look-alikes: the one list that both the link classifier
(``scrapers.links``, on link texts) and the report check (``flows.pipeline``, on page titles) read.

Listings of 政府信息公开年报 columns mix reports with things about reports or next to them
(DOMAIN.md): 年报解读, 工作要点, 指南, 目录, 决算, 法治政府建设年度报告, 绩效自评, notices and news.
``tests/test_titles.py`` checks the list against real report titles (none may be taken for a
look-alike) and real look-alikes (each must be).
"""
from __future__ import annotations

import re

# Names an annual information-disclosure report (信息公开年报, 政务公开工作年度报告, …).
REPORT_TITLE = re.compile(
    r"(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)|政务公开(?:工作)?(?:年度报告|年报)|信息公开年报|公开年度报告"
)
LOOKALIKE = re.compile(
    r"解读|图解|一图读懂|图读|要点|指南|目录|决算|预算|法治政府|法治建设|绩效|自评|通知|意见|办法|规定|方案|发布会|问答|"
    r"统计表|情况表|征集|述职|督查|考核|培训|"
    # news and paperwork about the reports: 编制说明会召开, 关于…年度报告的说明, 年度报告格式, 社会评议结果
    r"说明|格式|召开|会议|评议|座谈"
)


def lookalike_in(title: str) -> str | None:
    """The look-alike word a (simplified, whitespace-free) title contains, or None."""
    found = LOOKALIKE.search(title)
    return found.group(0) if found else None
