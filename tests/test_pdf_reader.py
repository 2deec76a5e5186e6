"""extraction.pdf: a PDF read as a reader sees it, on real-shaped reports built here (reportlab, and
LibreOffice's own Word → PDF export of a python-docx report, so the reader is not tuned to one
drawing library): page furniture gone, paragraphs whole, no spaces inside Chinese sentences, the
statistics tables read by cell geometry (merged cells, a table across a page break, rows Word split
across pages), a text grid where nothing is ruled, and scans reported as such."""
from __future__ import annotations

import io
import re

import pytest

from extraction.attachments import AttachmentLimits, extract_attachment, parse_attachment
from extraction.pdf import _reader_text, read_pdf
from parsing.content import parse_content
from report_documents import (
    FONT_FILE, ReportData, convert_with_libreoffice, make_report_docx, make_report_pdf, make_scanned_pdf, soffice,
    text_f1,
)

REPORT = ReportData("测试区人民政府", 2023)
CJK_SPACE_CJK = re.compile(r"[\u4e00-\u9fff，。、；：（）] [\u4e00-\u9fff，。、；：（）]")


@pytest.fixture(scope="module")
def dashed():
    """Running header, "- N -" page numbers, justified paragraphs, ruled tables."""
    return read_pdf(make_report_pdf(REPORT, page_numbers="dash"))


@pytest.fixture(scope="module")
def counted():
    """"第N页 共M页" page numbers, left-aligned paragraphs."""
    return read_pdf(make_report_pdf(REPORT, page_numbers="of", justify=False))


@pytest.fixture(scope="module")
def libreoffice():
    """The python-docx report exported to PDF by LibreOffice, as publishers export Word files:
    narrow label columns, rows that break across pages, a header and a PAGE-field footer."""
    if soffice() is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    return read_pdf(convert_with_libreoffice(make_report_docx(REPORT), ".docx", "pdf"))


def content_of(pdf):
    return parse_content(pdf.text, html=pdf.html, grid_html=pdf.grid_html or None, year=REPORT.year, origin="pdf")


def cells_of(pdf) -> dict:
    return {(c.table, c.row, c.column): c.value for c in content_of(pdf).cells}


# -- text ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("reading", ["dashed", "counted", "libreoffice"])
def test_text_is_the_document_as_read(reading, request):
    pdf = request.getfixturevalue(reading)
    assert pdf.pages >= 4
    assert text_f1(pdf.text, REPORT.expected_text()) >= 0.99


@pytest.mark.parametrize("reading", ["dashed", "counted", "libreoffice"])
def test_no_page_numbers(reading, request):
    lines = request.getfixturevalue(reading).text.splitlines()
    assert not [line for line in lines if re.fullmatch(r"-\s*\d+\s*-|第\d+页\s*共\d+页|\d+", line.strip())]


@pytest.mark.parametrize("reading", ["dashed", "counted", "libreoffice"])
def test_running_header_once_as_the_title_only(reading, request):
    lines = request.getfixturevalue(reading).text.splitlines()
    assert lines[0] == REPORT.title and lines.count(REPORT.title) == 1


@pytest.mark.parametrize("reading", ["dashed", "counted", "libreoffice"])
def test_paragraphs_rejoined_without_spaces_inside_sentences(reading, request):
    text = request.getfixturevalue(reading).text
    for kind, value in REPORT.blocks():
        if kind in ("para", "heading", "title"):
            assert value in text.splitlines(), value  # each paragraph one line, exactly as written
    assert not CJK_SPACE_CJK.search(text)


def test_a_paragraph_across_a_page_break_is_one_paragraph(dashed):
    # the overview runs from page 1 onto page 2: no paragraph of it is cut
    assert all(value in dashed.text.splitlines() for kind, value in REPORT.blocks() if kind == "para")


def test_compatibility_forms_read_as_the_characters_a_reader_sees():
    assert _reader_text("⼀、总体情况\u3000⼆、主动公开 ﬁle") == "一、总体情况 二、主动公开 file"


def test_latin_words_keep_their_spaces():
    from reportlab.pdfgen import canvas

    from report_documents import _font

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont(_font(), 12)
    page.drawString(72, 700, "本机关门户网站 www.example.gov.cn 提供 PDF 和 Word 两种格式")
    page.save()
    assert read_pdf(buffer.getvalue()).text == "本机关门户网站 www.example.gov.cn 提供 PDF 和 Word 两种格式"


# -- tables --------------------------------------------------------------------------------------

@pytest.mark.parametrize("reading", ["dashed", "counted", "libreoffice"])
def test_every_cell_of_the_three_tables(reading, request):
    assert cells_of(request.getfixturevalue(reading)) == REPORT.expected_cells()


@pytest.mark.parametrize("reading", ["dashed", "libreoffice"])
def test_the_2021_single_value_merged_cells(reading, request):
    cells = cells_of(request.getfixturevalue(reading))
    for row, column in (("licensing", "decisions"), ("penalty", "decisions"), ("enforcement", "decisions"),
                        ("fees", "fee_amount")):
        assert cells[("proactive", row, column)] == REPORT.proactive[(row, column)]


def test_merged_header_cells_keep_their_spans(dashed):
    assert '<td colspan="3" rowspan="3">（本列数据的勾稽关系为' in dashed.html
    assert '<td colspan="7">申请人情况</td>' in dashed.html and '<td colspan="3">本年处理决定数量</td>' in dashed.html


def test_a_table_across_a_page_break_is_one_table(dashed):
    # the 主动公开 table starts on page 2 and ends on page 3 (its 行政强制 row is there)
    assert dashed.tables == 3 and dashed.html.count("<table>") == 3
    parsed = content_of(dashed)
    assert {c.table_index for c in parsed.cells if c.table == "proactive"} == {0}


def test_rows_word_split_across_pages_are_joined(libreoffice):
    # LibreOffice breaks the 申请 table's tall rows across pages: "…禁止公" / "开" is one label
    assert "2.其他法律行政法规禁止公开\t" in libreoffice.text
    assert not content_of(libreoffice).flags  # no duplicate rows, no broken identity


def test_the_publishers_broken_total_is_flagged():
    broken = ReportData("测试区人民政府", 2023, broken_total=True)
    pdf = read_pdf(make_report_pdf(broken))
    flags = [f for f in content_of(pdf).flags if f.kind == "check_failed"]
    assert flags and {f.table for f in flags} == {"requests"}


def test_blank_cells_are_zeros_flagged_in_their_columns():
    blanks = ReportData("测试区人民政府", 2023, blank_zeros=True)
    content = content_of(read_pdf(make_report_pdf(blanks)))
    assert {(c.table, c.row, c.column): c.value for c in content.cells} == blanks.expected_cells()
    assert "empty_cells_as_zero" in {f.kind for f in content.flags}


def test_unruled_tables_are_read_from_word_positions():
    pdf = read_pdf(make_report_pdf(REPORT, ruled=False))
    assert pdf.grid_html and "<table>" not in pdf.html
    content = content_of(pdf)
    assert {(c.table, c.row, c.column): c.value for c in content.cells} == REPORT.expected_cells()
    assert {c.origin for c in content.cells if c.table == "requests"} == {"pdf-grid"}


def test_prose_is_never_a_text_grid(dashed):
    assert dashed.grid_html == ""


# -- scans ---------------------------------------------------------------------------------------

def test_a_scan_has_no_text_and_says_how_many_pages():
    result = extract_attachment(make_scanned_pdf(["测试区2023年政府信息公开工作年度报告"], pages=3), "pdf")
    assert result.image_only and result.text == "" and result.units == 3 and result.empty_pages == (1, 2, 3)


def test_a_scanned_page_inside_a_text_pdf_is_named():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for body in (make_report_pdf(ReportData("测试区人民政府", 2023, overview_paragraphs=2)), make_scanned_pdf(["附表"], 1)):
        for page in PdfReader(io.BytesIO(body)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    result = parse_attachment(buffer.getvalue(), "pdf", AttachmentLimits())
    assert not result.image_only and result.empty_pages == (result.units,)


@pytest.mark.skipif(not FONT_FILE.exists(), reason="fonts-wqy-zenhei is not installed (.ci/run installs it)")
def test_the_reader_runs_in_the_bounded_child():
    result = extract_attachment(make_report_pdf(REPORT), "pdf")
    assert result.kind == "pdf" and result.content_html.count("<table>") == 3
