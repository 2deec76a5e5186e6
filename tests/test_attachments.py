"""extraction.attachments: text per format, caps that refuse hostile files quickly with typed errors,
and attachment links on detail pages. Documents are built here with the installed libraries (PDFs by
hand: a CJK font needs no embedded glyphs for text extraction, only a CMap)."""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import docx
import openpyxl
import pytest

from extraction.attachments import (
    AttachmentError, AttachmentLimits, AttachmentMemory, AttachmentTimeout, AttachmentTooLarge,
    AttachmentUnreadable, UnsupportedAttachment, attachment_links, check_zip_directory, extract_attachment,
)
from fetching.classify import sniff_binary
from core.errors import ConfigError, ExtractionError
from flows.pipeline import document_kind
from parsing.tables import html_grids

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_LINES = ["测试市公安局2019年政府信息公开工作年度报告", "一、总体情况",
                "2019年，共受理政府信息公开申请32件，同意公开22件。", "二、主动公开政府信息情况"]


# -- document builders (shared with test_attachments_flow) ---------------------------------------

def _pdf_file(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.writelines(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, compressed: bool = False) -> bytes:
    filters = b" /Filter /FlateDecode" if compressed else b""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), filters) + data + b"\nendstream"


def make_pdf(lines: list[str], encoding: str = "identity", pages_obj: bytes | None = None,
             content: bytes | None = None) -> bytes:
    """A one-page PDF showing ``lines`` in a CID font: ``identity`` (Identity-H codes plus a
    ToUnicode CMap, what Word's PDF export writes) or ``utf16`` (the predefined UniGB-UTF16-H CMap)."""
    chars = sorted({ch for line in lines for ch in line})
    cid = {ch: i + 1 for i, ch in enumerate(chars)}
    if encoding == "identity":
        hexes = ["".join(f"{cid[ch]:04X}" for ch in line) for line in lines]
    else:
        hexes = [line.encode("utf-16-be").hex().upper() for line in lines]
    ops = b"BT /F1 12 Tf 72 800 Td 14 TL " + b" ".join(b"<%s> Tj T*" % h.encode() for h in hexes) + b" ET"
    bfchar = "\n".join(f"<{cid[ch]:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for ch in chars)
    cmap = (f"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def 1 begincodespacerange "
            f"<0000> <FFFF> endcodespacerange {len(chars)} beginbfchar\n{bfchar}\nendbfchar endcmap "
            f"CMapName currentdict /CMap defineresource pop end end").encode()
    font_encoding = b"/Identity-H /ToUnicode 7 0 R" if encoding == "identity" else b"/UniGB-UTF16-H"
    return _pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        pages_obj or b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding " + font_encoding
        + b" /DescendantFonts [6 0 R] >>",
        content if content is not None else _stream(ops),
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (GB1) /Supplement 4 >> /DW 1000 >>",
        _stream(cmap),
    ])


def make_docx(paragraphs_before: list[str], table: list[list[str]], paragraphs_after: list[str],
              merge_first_row: bool = False) -> bytes:
    document = docx.Document()
    for text in paragraphs_before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, text in enumerate(row):
            if text:
                grid.cell(r, c).text = text
    if merge_first_row:
        grid.cell(0, 0).merge(grid.cell(1, 0))  # a row label spanning two rows
        grid.cell(0, 1).merge(grid.cell(0, 2))  # a header spanning two columns
    for text in paragraphs_after:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stats_2019_xlsx() -> bytes:
    """The three 2019-format statistics tables of the saved Shanghai page, as a workbook the way Excel
    keeps merged cells: the value in the top-left cell, the rest empty."""
    html = (FIXTURES / "parsing" / "fragment_shanghai_annual_report_2019_body_tables_utf8.html").read_text("utf-8")
    rows: list[list[object]] = []
    for grid in html_grids(html):
        seen: set[int] = set()
        for row in grid:
            rows.append([None if id(cell) in seen else cell.text for cell in row])
            seen.update(id(cell) for cell in row)
        rows.append([])
    return make_xlsx({"统计表": rows})


def zip_bomb(kind: str, inflated_bytes: int = 64 * 1024 * 1024) -> bytes:
    """A valid-looking DOCX/XLSX whose main part inflates from ~64 KB to ``inflated_bytes`` of zeros."""
    part = "word/document.xml" if kind == "docx" else "xl/worksheets/sheet1.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(part, "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(inflated_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


# -- text per format -----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["identity", "utf16"])
def test_pdf_cjk_text_extracted_exactly(encoding):
    result = extract_attachment(make_pdf(REPORT_LINES, encoding), "pdf")
    assert (result.kind, result.units) == ("pdf", 1)
    assert result.text.splitlines() == REPORT_LINES


def test_docx_paragraphs_and_tables_in_document_order():
    body = make_docx(REPORT_LINES[:3], [["项目", "数量"], ["申请", "32"]], ["二、主动公开政府信息情况"])
    result = extract_attachment(body, "docx")
    assert result.text.splitlines() == REPORT_LINES[:3] + ["项目\t数量", "申请\t32", "二、主动公开政府信息情况"]


def test_docx_merged_cells_become_spans_in_markup():
    body = make_docx([], [["本列数据", "申请人情况", ""], ["", "自然人", "法人"], ["新收申请", "5", "2"]], [],
                     merge_first_row=True)
    markup = extract_attachment(body, "docx").content_html
    assert '<td rowspan="2">本列数据</td><td colspan="2">申请人情况</td>' in markup
    assert "<tr><td>自然人</td><td>法人</td></tr>" in markup  # the continuation cell is not repeated


def test_xlsx_sheets_as_tab_separated_rows():
    body = make_xlsx({"表一": [["行", "数"], ["申请", 32], [None, None]], "表二": [["复议", 1.0, None]]})
    result = extract_attachment(body, "xlsx")
    assert result.text.splitlines() == ["表一", "行\t数", "申请\t32", "表二", "复议\t1"]
    assert result.units == 2


def test_scanned_pdf_without_text_is_unreadable():
    with pytest.raises(AttachmentUnreadable, match="no text"):
        extract_attachment(make_pdf([], content=_stream(b"")), "pdf")


@pytest.mark.parametrize("garbage_kind", ["pdf", "docx", "xlsx"])
def test_garbage_bytes_are_unreadable(garbage_kind):
    with pytest.raises(AttachmentUnreadable):
        extract_attachment(b"%PDF-1.4 truncated" if garbage_kind == "pdf" else b"PK\x03\x04junk", garbage_kind)


# -- legacy formats ------------------------------------------------------------------------------

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


@pytest.mark.parametrize("name, kind", [("report.doc", "doc"), ("tables.xls", "xls")])
def test_legacy_ole_formats_are_recorded_unsupported(name, kind):
    assert document_kind(OLE_HEADER, None, f"http://127.0.0.1/{name}") == kind
    with pytest.raises(UnsupportedAttachment) as caught:
        extract_attachment(OLE_HEADER, kind)
    assert caught.value.outcome == "unsupported" and isinstance(caught.value, ExtractionError)


# -- caps: zip bombs, pathological PDFs ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_zip_bomb_rejected_from_its_directory(kind):
    bomb = zip_bomb(kind)
    assert len(bomb) < 512 * 1024 and sniff_binary(bomb) == "zip"
    with pytest.raises(AttachmentTooLarge, match="compression ratio"):
        extract_attachment(bomb, kind)


def test_uncompressed_size_cap():
    limits = AttachmentLimits(max_uncompressed_bytes=1000)
    with pytest.raises(AttachmentTooLarge, match="uncompressed > cap 1000"):
        check_zip_directory(make_docx(["一、总体情况"], [["a"]], []), limits)


def test_member_count_cap():
    with pytest.raises(AttachmentTooLarge, match="zip members"):
        check_zip_directory(make_xlsx({"s": [["a"]]}), AttachmentLimits(max_zip_members=3))


@pytest.mark.parametrize("make", [stats_2019_xlsx, lambda: make_docx(REPORT_LINES, [["a", "b"]], [])],
                         ids=["xlsx", "docx"])
def test_real_documents_pass_the_zip_caps(make):
    """The default caps let real documents through, and each cap is measured on what they hold:
    one member or one byte less and the same document is refused."""
    body = make()
    check_zip_directory(body, AttachmentLimits())  # raises if refused
    members = zipfile.ZipFile(io.BytesIO(body)).infolist()
    with pytest.raises(AttachmentTooLarge, match="zip members"):
        check_zip_directory(body, AttachmentLimits(max_zip_members=len(members) - 1))
    with pytest.raises(AttachmentTooLarge, match="uncompressed > cap"):
        check_zip_directory(body, AttachmentLimits(max_uncompressed_bytes=sum(m.file_size for m in members) - 1))


def test_pdf_claiming_a_million_pages_refused_before_walking_them():
    body = make_pdf(REPORT_LINES, pages_obj=b"<< /Type /Pages /Kids [3 0 R] /Count 1000000 >>")
    with pytest.raises(AttachmentTooLarge, match="1000000 pages"):
        extract_attachment(body, "pdf")


def test_deeply_nested_pdf_fails_alone():
    depth = 5000
    nested = b"[" * depth + b"(x)" + b"]" * depth  # an array nested 5000 deep in the content stream
    body = make_pdf(REPORT_LINES, content=_stream(b"BT /F1 12 Tf " + nested + b" TJ ET"))
    with pytest.raises(AttachmentError):
        extract_attachment(body, "pdf")
    assert extract_attachment(make_pdf(REPORT_LINES), "pdf").text.splitlines() == REPORT_LINES


def test_slow_pdf_stopped_by_time_cap_and_next_attachment_unaffected():
    line = b"<0001> Tj T* " * 400_000  # ~5 MB of text operators: seconds of pypdf work
    body = make_pdf(REPORT_LINES, content=_stream(zlib.compress(b"BT /F1 12 Tf 14 TL " + line + b"ET"), True))
    with pytest.raises(AttachmentTimeout):
        extract_attachment(body, "pdf", AttachmentLimits(timeout=0.5))
    assert extract_attachment(make_pdf(REPORT_LINES), "pdf").units == 1


def big_docx(paragraphs: int) -> bytes:
    """A DOCX with many distinct paragraphs: it compresses only ~12x, so the zip caps let it through."""
    base = zipfile.ZipFile(io.BytesIO(make_docx(["x"], [["a"]], [])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            data = base.read(info.filename)
            if info.filename == "word/document.xml":
                body = "".join(f"<w:p><w:r><w:t>第{i}段 共受理申请{i * 7 % 1000}件</w:t></w:r></w:p>"
                               for i in range(paragraphs))
                data = data.decode().replace("<w:body>", "<w:body>" + body, 1).encode()
            archive.writestr(info.filename, data)
    return out.getvalue()


def test_address_space_cap_fails_a_large_docx():
    body = big_docx(300_000)  # 20 MB of document.xml: lxml needs several hundred MiB for its tree
    check_zip_directory(body, AttachmentLimits())  # not a zip bomb: only the child's limit can stop it
    with pytest.raises(AttachmentMemory, match="200 MiB"):
        extract_attachment(body, "docx", AttachmentLimits(memory_bytes=200 * 1024 * 1024))


def test_pdf_decompression_bomb_is_unreadable():
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(b"\0" * (1024 * 1024)) for _ in range(100)] + [compressor.flush()]
    body = make_pdf(REPORT_LINES, content=_stream(b"".join(chunks), compressed=True))
    with pytest.raises(AttachmentUnreadable, match="LimitReached"):  # pypdf's own inflate cap (75 MB)
        extract_attachment(body, "pdf")


def test_limits_from_env():
    limits = AttachmentLimits.from_env({"GOVREPORTS_ATTACHMENT_TIMEOUT": "5", "GOVREPORTS_ATTACHMENT_MAX_PDF_PAGES": "9"})
    assert (limits.timeout, limits.max_pdf_pages, limits.max_zip_members) == (5.0, 9, AttachmentLimits().max_zip_members)
    with pytest.raises(ConfigError, match="GOVREPORTS_ATTACHMENT_MAX_PDF_PAGES"):
        AttachmentLimits.from_env({"GOVREPORTS_ATTACHMENT_MAX_PDF_PAGES": "many"})


# -- attachment links on detail pages --------------------------------------------------------------

DETAIL = """<html><body><div class="nav"><a href="/xxgk/sqb.doc">政府信息公开申请表</a></div>
<div id="zoom"><p>正文</p>
<p>附件：<a href="./P020200120_1.pdf">2019年年度报告.pdf</a></p>
<p><a href="/module/download/downfile.jsp?classid=0&amp;filename=tables.xlsx">统计表</a></p>
<p><a href="/attach/98765">附件2：说明</a> <a href="javascript:print()">附件打印</a></p>
<p><a href="http://other.example/report.docx">镜像</a> <a href="./P020200120_1.pdf#page=2">同一附件</a></p>
<iframe src="/pdfjs/web/viewer.html?file=/files/embedded.pdf"></iframe>
<a href="/art/2020/1/20/art_1_2.html">下一篇</a></div></body></html>"""


@pytest.fixture(scope="module")
def links():
    return attachment_links(DETAIL, "http://127.0.0.1/art/2020/1/20/art_1_1.html")


def test_links_by_extension_query_and_text(links):
    assert [link.url for link in links] == [
        "http://127.0.0.1/art/2020/1/20/P020200120_1.pdf",
        "http://127.0.0.1/module/download/downfile.jsp?classid=0&filename=tables.xlsx",
        "http://127.0.0.1/attach/98765",
        "http://other.example/report.docx",
        "http://127.0.0.1/files/embedded.pdf",
    ]


def test_link_text_kept(links):
    assert links[0].text == "2019年年度报告.pdf"


def test_forms_scripts_and_pages_are_not_attachments(links):
    urls = " ".join(link.url for link in links)
    assert "sqb.doc" not in urls and "javascript" not in urls and "art_1_2.html" not in urls
