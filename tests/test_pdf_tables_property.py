"""Property (like tests/test_parsing_property.py for HTML): a consistent 申请 table drawn into a PDF as
a ruled Word-style table — either layout, blanks for zeros or not, after enough prose to push it
across a page break or not — is read back by the PDF reader to exactly the same cells, with no
broken identity."""
from hypothesis import HealthCheck, given, settings, strategies as st

from extraction.pdf import read_pdf
from parsing.checks import check_cells
from core.codebook import load_codebook
from parsing.content import parse_content
from report_documents import CORNER, GROUP_LABELS, ITEM_LABELS, ORG_LABELS, make_table_pdf
from test_parsing_property import requests_tables, result_rows

COLUMNS = list(load_codebook().table("requests").columns)
WIDTHS = [0.08, 0.1, 0.295] + [0.075] * 7


def table_rows(fmt: str, values: dict[str, list[int]], blank_zeros: bool) -> list[list[tuple[str, int, int]]]:
    nums = lambda row: [("" if blank_zeros and v == 0 else str(v), 1, 1) for v in values[row]]  # noqa: E731
    grouped = [(group, [r for r in result_rows(fmt) if r.startswith(group + ".")]) for group in GROUP_LABELS]
    grouped = [(group, codes) for group, codes in grouped if codes]
    singles = [("（六）其他处理", "other")] if fmt == "2019" else []
    span = 2 + sum(len(codes) for _, codes in grouped) + len(singles) + 1
    rows = [[(CORNER, 3, 3), ("申请人情况", 7, 1)],
            [("自然人", 1, 2), ("法人或其他组织", 5, 1), ("总计", 1, 2)],
            [(label, 1, 1) for label in ORG_LABELS[1:6]],
            [("一、本年新收政府信息公开申请数量", 3, 1)] + nums("received"),
            [("二、上年结转政府信息公开申请数量", 3, 1)] + nums("carried_over"),
            [("三、本年度办理结果", 1, span), ("（一）予以公开", 2, 1)] + nums("disclosed"),
            [("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 2, 1)] + nums("partially_disclosed")]
    for group, codes in grouped:
        for i, code in enumerate(codes):
            head = [(GROUP_LABELS[group], 1, len(codes))] if i == 0 else []
            rows.append(head + [(ITEM_LABELS[group][i], 1, 1)] + nums(code))
    rows += [[(label, 2, 1)] + nums(code) for label, code in singles]
    rows.append([("（七）总计", 2, 1)] + nums("total"))
    rows.append([("四、结转下年度继续办理", 3, 1)] + nums("carried_forward"))
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests_tables(), st.booleans(), st.sampled_from([0, 30, 45, 60]))
def test_pdf_requests_table_reads_back(table, blank_zeros, lead_lines):
    fmt, values, _quirks = table
    pdf = read_pdf(make_table_pdf(table_rows(fmt, values, blank_zeros), WIDTHS, lead_lines=lead_lines))
    content = parse_content(pdf.text, html=pdf.html, grid_html=pdf.grid_html or None, origin="pdf")
    cells = {(c.row, c.column): c.value for c in content.cells if c.table == "requests"}
    expected = {(row, COLUMNS[i]): float(v) for row, numbers in values.items() for i, v in enumerate(numbers)}
    assert cells == expected
    assert {c.empty for c in content.cells if c.value == 0} <= {blank_zeros}
    assert check_cells(content.cells) == []
    assert content.format == fmt
