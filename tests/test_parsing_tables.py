"""Tables from saved pages: the Shanghai 2019 fragment (real) and a messy 2021 page (authored)."""
import random
import re
from pathlib import Path

import openpyxl
import io
import pytest

from core.codebook import load_codebook
from parsing.tables import (PROACTIVE_COLUMN_RULES, PROACTIVE_ROW_RULES, REQUEST_COLUMN_RULES, REQUEST_ITEMS,
                            REQUEST_TOP_ROWS, parse_html_tables, read_number, UnreadableNumber)
from parsing.tables_text import parse_text_tables
from parsing.tables_xlsx import XlsxReadError, parse_xlsx_tables

FIXTURES = Path(__file__).parent / "fixtures" / "parsing"


def _cells(name):
    result = parse_html_tables((FIXTURES / name).read_text(encoding="utf-8"))
    return result, {(c.table, c.row, c.column): c for c in result.cells}


@pytest.fixture(scope="module")
def shanghai():
    return _cells("fragment_shanghai_annual_report_2019_body_tables_utf8.html")


@pytest.fixture(scope="module")
def messy2021():
    return _cells("report_2021_messy.html")


# --- Shanghai 2019 (real page) -------------------------------------------------------------------

def test_shanghai_received_total(shanghai):
    assert shanghai[1][("requests", "received", "total")].value == 859


def test_shanghai_received_commercial(shanghai):
    assert shanghai[1][("requests", "received", "commercial")].value == 35


def test_shanghai_nbsp_is_zero_and_marked_empty(shanghai):
    cell = shanghai[1][("requests", "received", "research")]
    assert (cell.value, cell.empty) == (0, True)


def test_shanghai_grouped_item_row(shanghai):
    assert shanghai[1][("requests", "withheld.query_matter", "commercial")].value == 2


def test_shanghai_item_row_label_keeps_group(shanghai):
    assert shanghai[1][("requests", "withheld.state_secret", "natural_person")].row_label == \
        "三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密"


def test_shanghai_column_label_as_printed(shanghai):
    assert shanghai[1][("requests", "received", "other_org")].column_label == "申请人情况 / 法人或其他组织 / 其他"


def test_shanghai_2019_other_is_one_row(shanghai):
    assert ("requests", "other", "total") in shanghai[1]
    assert not any(code[1].startswith("other.") for code in shanghai[1])


def test_shanghai_layout_is_2019(shanghai):
    assert shanghai[0].formats == {"2019"}


def test_shanghai_request_table_has_all_2019_cells(shanghai):
    rows = {code[1] for code in shanghai[1] if code[0] == "requests"}
    assert len(rows) == 23 and len([c for c in shanghai[1] if c[0] == "requests"]) == 23 * 7


def test_shanghai_review_total(shanghai):
    assert shanghai[1][("review_litigation", "count", "litigation_direct.total")].value == 9


def test_shanghai_review_has_15_cells(shanghai):
    assert len([c for c in shanghai[1] if c[0] == "review_litigation"]) == 15


def test_shanghai_proactive_misaligned_colspans(shanghai):
    assert shanghai[1][("proactive", "rules", "total_published")].value == 524


def test_shanghai_procurement_amount_in_wan_yuan(shanghai):
    assert shanghai[1][("proactive", "procurement", "procurement_amount")].value == pytest.approx(25.1)


def test_shanghai_empty_cells_flag_lists_them(shanghai):
    flags = [f for f in shanghai[0].flags if f.kind == "empty_cells_as_zero" and f.table == "requests"]
    assert len(flags) == 1 and len(flags[0].data["cells"]) == sum(
        1 for c in shanghai[0].cells if c.table == "requests" and c.empty)


def test_provenance_table_index(shanghai):
    assert shanghai[1][("requests", "received", "total")].table_index == 1
    assert shanghai[1][("requests", "received", "total")].origin == "html"


# --- messy 2021 (authored) -----------------------------------------------------------------------

def test_2021_other_split_into_three_rows(messy2021):
    assert messy2021[1][("requests", "other.no_correction", "natural_person")].value == 2
    assert messy2021[1][("requests", "other.other", "total")].value == 1


def test_2021_heji_is_total(messy2021):
    assert messy2021[1][("requests", "received", "total")].value == 44


def test_2021_split_header_cell(messy2021):
    assert messy2021[1][("requests", "received", "legal_service")].value == 1


def test_2021_ascii_brackets_group(messy2021):
    assert messy2021[1][("requests", "not_processed.repeated", "natural_person")].value == 1


def test_2021_straight_quotes_item(messy2021):
    assert ("requests", "withheld.security", "total") in messy2021[1]


def test_2021_spaced_total_label(messy2021):
    assert messy2021[1][("requests", "total", "total")].value == 41


def test_2021_layout(messy2021):
    assert messy2021[0].formats == {"2021"}


def test_2021_proactive_in_force(messy2021):
    assert messy2021[1][("proactive", "normative_docs", "in_force")].value == 27


def test_2021_proactive_fee_decimal(messy2021):
    assert messy2021[1][("proactive", "fees", "fee_amount")].value == pytest.approx(12.35)


def test_2021_review_after_review_total(messy2021):
    assert messy2021[1][("review_litigation", "count", "litigation_after_review.total")].value == 1


def test_2021_review_split_header(messy2021):
    assert messy2021[1][("review_litigation", "count", "reconsideration.upheld")].value == 1


# --- separate group rows (no rowspan), negative change ------------------------------------------

GROUP_ROWS = """<table><tr><td>信息内容</td><td>上一年项目数量</td><td>本年增/减</td><td>处理决定数量</td></tr>
<tr><td>行政许可</td><td>12</td><td>-2</td><td>300</td></tr></table>
<table><tr><td></td><td>自然人</td><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td><td>总计</td></tr>
<tr><td>一、本年新收政府信息公开申请数量</td><td>3</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>3</td></tr>
<tr><td colspan="8">(三)不予公开</td></tr>
<tr><td>1.属于国家秘密</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
<tr><td>(六)其他处理</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>
<tr><td>(七)总计</td><td>3</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>3</td></tr></table>"""


def test_full_width_group_row_is_context_not_data():
    cells = {(c.row, c.column): c for c in parse_html_tables(GROUP_ROWS).cells if c.table == "requests"}
    assert cells[("withheld.state_secret", "total")].value == 1
    assert not any(row.startswith("withheld") and row != "withheld.state_secret" for row, _ in cells)


def test_2019_other_row_after_group_context():
    cells = {(c.row, c.column): c for c in parse_html_tables(GROUP_ROWS).cells}
    assert cells[("other", "total")].value == 2


def test_negative_change():
    cells = {(c.row, c.column): c for c in parse_html_tables(GROUP_ROWS).cells}
    assert cells[("licensing", "change")].value == -2


@pytest.mark.parametrize("key, column, expected", [
    ("251000元", "procurement_amount", 25.1), ("25.1万元", "procurement_amount", 25.1), ("12件", "", 12),
    ("减3", "change", -3), ("1,234", "", 1234),
])
def test_read_number(key, column, expected):
    assert read_number(key, column)[0] == pytest.approx(expected)


def test_unreadable_cell_is_flagged_not_guessed():
    html = GROUP_ROWS.replace("<td>300</td>", "<td>见附件</td>")
    result = parse_html_tables(html)
    assert ("licensing", "decisions") not in {(c.row, c.column) for c in result.cells}
    assert any(f.kind == "unreadable_cell" for f in result.flags)


def test_read_number_rejects_text():
    with pytest.raises(UnreadableNumber):
        read_number("见附件", "")


# --- every codebook code has a matching rule ------------------------------------------------------

def test_rules_cover_codebook():
    book = load_codebook()
    request_rows = {c for c, _ in REQUEST_TOP_ROWS} | {c for items in REQUEST_ITEMS.values() for c, _ in items} | {"other"}
    assert request_rows == set(book.table("requests").rows)
    assert {c for c, _ in REQUEST_COLUMN_RULES} == set(book.table("requests").columns)
    assert {c for c, _ in PROACTIVE_ROW_RULES} == set(book.table("proactive").rows)
    assert {c for c, _ in PROACTIVE_COLUMN_RULES} == set(book.table("proactive").columns)


# --- XLSX and flattened text ----------------------------------------------------------------------

def _xlsx(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_REVIEW = [["表三：政府信息公开行政复议、行政诉讼情况"],
               ["行政复议", None, None, None, None, "行政诉讼"],
               ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", None, None, None, None, "复议后起诉"],
               [None] * 5 + ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
               [1, 0, 0, 2, 3, 0, 1, 0, 0, 1, None, None, None, None, None]]


def test_xlsx_merged_headers_inherit_group():
    cells = {c.column: c for c in parse_xlsx_tables([_xlsx(XLSX_REVIEW)]).cells}
    assert cells["reconsideration.pending"].value == 2 and cells["litigation_direct.corrected"].value == 1


def test_xlsx_none_is_empty_zero():
    cell = {c.column: c for c in parse_xlsx_tables([_xlsx(XLSX_REVIEW)]).cells}["litigation_after_review.total"]
    assert (cell.value, cell.empty, cell.origin) == (0, True, "xlsx")


def test_xlsx_garbage_raises_typed_error():
    with pytest.raises(XlsxReadError):
        parse_xlsx_tables([b"not a zip"])


FLAT = """一、总体情况
二、主动公开政府信息情况
第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数
规章 1 0 5
三、收到和处理政府信息公开申请情况
申请人情况 自然人 法人或其他组织 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计
一、本年新收政府信息公开申请数量 5 1 0 0 0 0 6
二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0
三、本年度办理结果 （一）予以公开 3 1 0 0 0 0 4
（三）不予公开 1.属于国家秘密 1 0 0 0 0 0 1
2.其他法律行政法规禁止公开 0 0 0
四、政府信息公开行政复议、行政诉讼情况
行政复议 行政诉讼 结果维持 结果纠正 其他结果 尚未审结 总计
1 0 0 0 1 0 0 0 0 0 0 0 0 0 0
"""


def test_text_table_row():
    cells = {(c.table, c.row, c.column): c for c in parse_text_tables(FLAT).cells}
    assert cells[("requests", "withheld.state_secret", "total")].value == 1
    assert cells[("requests", "received", "commercial")].value == 1


def test_text_review_run_of_15():
    cells = {(c.table, c.column): c for c in parse_text_tables(FLAT).cells}
    assert cells[("review_litigation", "reconsideration.total")].value == 1


def test_text_proactive_row_under_header_words():
    cells = {(c.table, c.row, c.column): c for c in parse_text_tables(FLAT).cells}
    assert cells[("proactive", "rules", "in_force")].value == 5


def test_text_short_run_is_flagged():
    flags = parse_text_tables(FLAT).flags
    assert any(f.kind == "text_row_incomplete" and f.data["row"] == "withheld.prohibited" for f in flags)


# --- Word "misaligned columns" (issue 13, class 6): header cells on other boundaries than data --------

WORD_2021 = FIXTURES / "report_2021_word_misaligned_gbk.html"


@pytest.fixture(scope="module")
def word2021():
    from fetching.decode import decode_html

    result = parse_html_tables(decode_html(WORD_2021.read_bytes(), "text/html").text)
    return result, {(c.table, c.row, c.column): c for c in result.cells}


def test_word_table_keeps_every_column(word2021):
    requests = [c for c in word2021[0].cells if c.table == "requests"]
    assert len(requests) == 25 * 7  # before: 150, the 商业企业 column lost


@pytest.mark.parametrize("row, column, value", [
    ("received", "natural_person", 40), ("received", "commercial", 6), ("received", "legal_service", 1),
    ("received", "total", 47), ("unavailable.not_held", "commercial", 2), ("carried_forward", "commercial", 2),
    ("disclosed", "total", 13), ("other.no_correction", "natural_person", 2),
])
def test_word_table_cells_under_their_own_headers(word2021, row, column, value):
    assert word2021[1][("requests", row, column)].value == value


def test_word_table_commercial_label_as_printed(word2021):
    assert word2021[1][("requests", "received", "commercial")].column_label == "申请人情况 / 法人或其他组织 / 商业企业"


def test_word_table_is_flagged_as_aligned_by_order_and_nothing_else(word2021):
    kinds = [f.kind for f in word2021[0].flags if f.table == "requests"]
    assert kinds == ["columns_aligned_by_order"]


def test_word_table_identities_hold(word2021):
    from parsing.checks import check_cells

    assert check_cells(word2021[0].cells) == []


def test_word_table_review_and_proactive_read_as_usual(word2021):
    assert word2021[1][("review_litigation", "count", "reconsideration.total")].value == 2
    assert word2021[1][("proactive", "licensing", "decisions")].value == 215


def _requests_table(header_natural_colspan: int, data_rows: str) -> str:
    return (f'<table><tr><td colspan="3" rowspan="3">申请情况</td><td colspan="{6 + header_natural_colspan}">申请人情况</td></tr>'
            f'<tr><td rowspan="2" colspan="{header_natural_colspan}">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>'
            '<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>'
            f'{data_rows}</table>')


def test_a_row_whose_count_cannot_be_aligned_is_flagged_with_its_numbers():
    rows = ('<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>4</td><td colspan="2">2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>6</td></tr>'
            '<tr><td colspan="3">二、上年结转政府信息公开申请数量</td><td>1</td><td colspan="2">0</td><td>0</td><td>1</td></tr>')
    result = parse_html_tables(_requests_table(2, rows))
    unaligned = [f for f in result.flags if f.kind == "columns_unaligned"]
    assert [f.data["numbers"] for f in unaligned] == [["1", "0", "0", "1"]]
    assert {c.column: c.value for c in result.cells if c.row == "received"}["commercial"] == 2


def test_trailing_blank_padding_cells_are_no_misalignment():
    rows = '<tr><td colspan="3">一、本年新收政府信息公开申请数量</td>' + "<td>1</td>" * 7 + "<td></td><td>&nbsp;</td></tr>"
    result = parse_html_tables(_requests_table(1, rows))
    assert len(result.cells) == 7 and not [f for f in result.flags if f.kind.startswith("columns_")]


def _damaged(html: str, seed: int) -> str:
    """A real table page with three cells deleted, doubled or stripped of their colspan, as broken
    Word exports and hand-edited CMS pages have them."""
    rng = random.Random(seed)
    starts = [m.start() for m in re.finditer(r"<td", html)]
    for _ in range(3):
        start = rng.choice(starts)
        end = html.find("</td>", start) + len("</td>")
        choice = rng.random()
        if choice < 0.4:
            html = html[:start] + html[end:]
        elif choice < 0.7:
            html = html[:start] + html[start:end] + html[start:]
        else:
            html = html[:start] + html[start:end].replace('colspan="2"', "") + html[end:]
    return html


@pytest.mark.parametrize("seed", range(120))
def test_a_damaged_real_table_is_read_or_flagged_never_raises(seed):
    """Seed 49 raised KeyError in the column alignment (a code the header names only in a group cell),
    and the crawl lost every report of the source with it."""
    html = _damaged((FIXTURES / "fragment_shanghai_annual_report_2019_body_tables_utf8.html").read_text("utf-8"), seed)
    parsed = parse_html_tables(html)
    assert parsed.cells or parsed.flags
