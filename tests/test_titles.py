"""The one look-alike list (core.titles) that the link classifier and the page check share,
checked against real report titles: merging the page check's shorter list into the link list must
not turn a real report away."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.titles import REPORT_TITLE, lookalike_in
from normalization import to_simplified

LINKS = Path(__file__).parent / "fixtures" / "sites" / "links" / "mixed_links.tsv"

# Report titles as their publishers printed them (public pages and public code quoting them),
# including the suffixes real titles carry: (更正版), (超链版), (图片版), a year in brackets, 公開 in
# traditional script on mirrors, the pre-2019 "工作报告" and "年报" forms.
REAL_REPORT_TITLES = [
    "宿迁市2025年政府信息公开工作年度报告",
    "国家公务员局2019年政府信息公开工作年度报告",
    "国家新闻出版署（国家版权局）2019年政府信息公开工作年度报告",
    "国家电影局2019年政府信息公开工作年度报告",
    "2019年上海市人民政府办公厅政府信息公开工作年度报告",
    "上海市黄浦区人民政府2023年政府信息公开工作年度报告",
    "上海市黄浦区人民政府2022年政府信息公开工作年度报告（超链版）",
    "宿州市人民政府2019年政府信息公开工作年度报告（图片版）",
    "2012年深圳市公安局政府信息公開年報",
    "廣東省公安廳政府信息公開工作年度報告(2017年度)",
    "武汉市公安局2008年度政府信息公开工作报告",
    "杭州市公安局2019年政府信息公开工作年度报告",
    "广州市公安局2013年政府信息公开工作年度报告",
    "恩格贝生态示范区2019年政府信息公开工作年度报告",
    "袁州区2020年政府信息公开工作年度报告（更正版）",
]


def _labelled(label: str) -> list[str]:
    lines = LINKS.read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[3] for line in lines if line.startswith(label + "\t")]


def _title(text: str) -> str:
    return re.sub(r"\s+", "", to_simplified(text))


@pytest.mark.parametrize("title", REAL_REPORT_TITLES + _labelled("report"))
def test_a_real_report_title_is_no_lookalike(title):
    assert lookalike_in(_title(title)) is None


@pytest.mark.parametrize("title", REAL_REPORT_TITLES)
def test_a_real_report_title_names_a_report(title):
    assert REPORT_TITLE.search(_title(title))


# The look-alikes that the page check alone used to know (解读 要点 指南 目录 决算 预算 法治政府 绩效
# 自评) and the ones only the link classifier knew: both checks now turn each away.
@pytest.mark.parametrize("title", [
    "深圳市公安局2019年政府信息公开年报解读", "2020年政务公开工作要点", "杭州市公安局政府信息公开指南",
    "政府信息公开目录", "武汉市公安局2019年部门决算", "2020年部门预算", "2019年度法治政府建设年度报告",
    "2019年度部门整体支出绩效自评报告", "关于报送2019年政府信息公开工作年度报告的通知",
    "关于2020年度政府信息公开工作年度报告的说明", "2018年政府信息公开工作年度报告新闻发布会",
    "政府信息公开工作年度报告格式", "2019年度政府信息公开社会评议结果", "一图读懂2019年政府信息公开工作年度报告",
])
def test_a_lookalike_is_named(title):
    assert lookalike_in(_title(title)) is not None
