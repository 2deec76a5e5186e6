"""Two statistics tables of one kind in one report (issue 13, class 8): one rule for cells and figures,
and a ``duplicate_table`` flag. Pages are built from the real Shanghai 2019 fragment's tables: its 申请
table printed twice (a department detail table after the report's own, a corrected table, an exact
repeat), and its 主动公开 table split in two (parts, not copies)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from parsing.content import parse_content

FRAGMENT = (Path(__file__).parent / "fixtures" / "parsing" /
            "fragment_shanghai_annual_report_2019_body_tables_utf8.html").read_text(encoding="utf-8")
TABLES = [str(t) for t in BeautifulSoup(FRAGMENT, "lxml").find_all("table")]
PROACTIVE, REQUESTS, REVIEW = TABLES


def scaled(table: str, factor: int) -> str:
    """The table with every number cell multiplied (a county-wide detail table: same shape, bigger numbers)."""
    return re.sub(r">(\d+)<", lambda m: f">{int(m.group(1)) * factor}<", table)


def with_one_cell_changed(table: str, old: str, new: str) -> str:
    """The table with the first cell printing ``old`` printing ``new`` instead."""
    return table.replace(f">{old}<", f">{new}<", 1)


def page(*tables: str) -> str:
    parts = ["<p>一、总体情况</p><p>本机关依法公开政府信息。</p>", "<p>二、主动公开政府信息情况</p>", PROACTIVE,
             "<p>三、收到和处理政府信息公开申请情况</p>", *tables, "<p>四、政府信息公开行政复议、行政诉讼情况</p>", REVIEW]
    return "<div>" + "".join(parts) + "</div>"


def parse(html: str):
    text = BeautifulSoup(html, "lxml").get_text("\n")
    return parse_content(text, html=html, year=2019)


def cell(content, row: str, column: str) -> float:
    [value] = [c.value for c in content.cells if (c.table, c.row, c.column) == ("requests", row, column)]
    return value


def duplicate_flags(content):
    return [f for f in content.flags if f.kind == "duplicate_table"]


@pytest.fixture(scope="module")
def with_detail_table():
    return parse(page(REQUESTS, "<p>附：全区各部门申请情况汇总</p>", scaled(REQUESTS, 5)))


def test_one_table_kept_of_two(with_detail_table):
    assert len({c.table_index for c in with_detail_table.cells if c.table == "requests"}) == 1


def test_the_reports_own_table_is_kept(with_detail_table):
    assert cell(with_detail_table, "received", "total") == 859


def test_figures_come_from_the_kept_table(with_detail_table):
    assert with_detail_table.figures["applications_received"].value == 859


def test_the_duplicate_is_flagged_with_both_tables(with_detail_table):
    [flag] = duplicate_flags(with_detail_table)
    assert flag.table == "requests" and flag.data["kept"] == 1 and flag.data["dropped"] == [2]
    assert flag.data["cells_differing"][2] > 0 and "kept table 1" in flag.detail


def test_a_corrected_table_beats_an_original_that_breaks_its_arithmetic():
    # the original's 本年新收 total was misprinted (859 → 895); the corrected table follows it
    original = with_one_cell_changed(REQUESTS, "859", "895")
    content = parse(page(original, "<p>更正后：</p>", REQUESTS))
    assert cell(content, "received", "total") == 859 and content.figures["applications_received"].value == 859
    [flag] = duplicate_flags(content)
    assert flag.data["kept"] == 2 and flag.data["checks_failed"][1] > 0


def test_an_exact_repeat_is_flagged_as_the_same_numbers():
    content = parse(page(REQUESTS, REQUESTS))
    [flag] = duplicate_flags(content)
    assert flag.data["cells_differing"] == {2: 0} and "the same numbers" in flag.detail


def test_a_table_split_in_two_is_parts_not_copies():
    # one small table per 第二十条 item, as many pages print 主动公开: split before 第二十条第（五）项
    rows = BeautifulSoup(PROACTIVE, "lxml").find_all("tr")
    split = next(i for i, row in enumerate(rows) if "第（五）项" in row.get_text())
    first = "<table>" + "".join(map(str, rows[:split])) + "</table>"
    second = "<table>" + "".join(map(str, rows[split:])) + "</table>"
    html = "<div><p>二、主动公开政府信息情况</p>" + first + second + "<p>三、收到和处理政府信息公开申请情况</p>" + REQUESTS + "</div>"
    content = parse(html)
    whole = parse(page(REQUESTS))
    proactive = lambda c: {(x.row, x.column): x.value for x in c.cells if x.table == "proactive"}  # noqa: E731
    assert proactive(content) == proactive(whole) and not duplicate_flags(content)


def test_one_table_per_kind_has_no_flag():
    assert not duplicate_flags(parse(page(REQUESTS)))
