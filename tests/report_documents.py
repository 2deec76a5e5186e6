"""Real-shaped report documents for the tests: a 2021-format annual report as a PDF (reportlab), as a
DOCX (python-docx), as a scanned PDF (an image only), and through LibreOffice (DOCX → PDF, the path
publishers' Word files take). Not a test module: tests import it.

The report has what the real ones have: a title, six parts of prose with first-line indents, the
three statistics tables drawn as ruled Word tables with merged header cells (the 申请 table long
enough to break across a page), a running header, page numbers ("- 1 -" or "第1页 共5页"), and
numbers that satisfy the codebook's identities unless the publisher's broken total is asked for.

``ReportData.expected_text()`` is the text a reader sees (no furniture, paragraphs whole); tests
measure the extracted text against it with ``text_f1``.
"""
from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from core.codebook import load_codebook
from test_parsing_property import ITEM_LABELS as _ITEMS

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
ORG_LABELS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
GROUP_LABELS = {"withheld": "（三）不予公开", "unavailable": "（四）无法提供", "not_processed": "（五）不予处理",
                "other": "（六）其他处理"}
# the official item labels, numbered as printed
ITEM_LABELS = {group: [f"{i + 1}.{label}" for i, label in enumerate(labels)] for group, labels in _ITEMS.items()}
CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
REVIEW_RESULTS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]

PROSE = [
    "坚持以公开为常态、不公开为例外，围绕中心工作，聚焦群众关切，持续深化决策、执行、管理、服务、结果公开，"
    "不断提升政务公开标准化规范化水平，政府信息公开工作取得新进展。",
    "全年通过政府门户网站主动公开政府信息，及时发布政策文件、工作动态、财政预决算、重大建设项目和公共资源配置等信息，"
    "政策解读与文件同步起草、同步审签、同步发布，解读材料覆盖全部重要政策文件。",
    "严格执行政府信息公开申请登记、审核、办理、答复、归档等各环节工作制度，规范答复文书格式，"
    "依法保障申请人的合法权益，所有申请均在法定期限内答复。",
    "完善政府信息管理动态调整机制，对现行有效的规范性文件进行集中清理，及时更新政府信息公开指南和目录，"
    "确保公开内容准确、完整、及时。",
    "加强政府网站和政务新媒体建设管理，优化栏目设置，提升检索功能，畅通互动渠道，"
    "通过线上线下多种方式回应公众关切。",
    "健全政务公开工作领导机制，明确分管领导和责任科室，配齐配强工作人员，"
    "将政务公开工作纳入年度绩效考核，组织开展业务培训，提升工作人员业务能力。",
]


@dataclass
class ReportData:
    """One agency-year's 2021-format report: prose and the three tables' numbers."""

    agency: str
    year: int
    seed: int = 1
    broken_total: bool = False  # the publisher printed a wrong 总计 for 自然人 (a broken identity)
    blank_zeros: bool = False  # zeros printed as blank cells (read as 0, flagged)
    overview_paragraphs: int = 10  # enough prose for a ~5 page document
    tables_in_document: bool = True  # False: the tables are published apart (an XLS/XLSX beside the PDF)
    requests: dict[str, list[int]] = field(init=False)
    review: list[int] = field(init=False)
    proactive: dict[tuple[str, str], float] = field(init=False)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed * 1000 + self.year)
        rows = [r for r in load_codebook().table("requests").rows if r not in ("other", "received", "carried_over",
                                                                             "total", "carried_forward")]
        small = lambda: rng.choice([0, 0, 0, 1, 2, 3, 5, 8, 13, 21])  # noqa: E731 - mostly small, many zeros
        values = {row: [small() for _ in range(6)] for row in rows}
        values["disclosed"] = [rng.randint(20, 300), rng.randint(0, 40), 0, rng.randint(0, 3), 0, rng.randint(0, 5)]
        values["total"] = [sum(values[r][i] for r in rows) for i in range(6)]
        values["carried_over"] = [rng.randint(0, 5) for _ in range(6)]
        values["carried_forward"] = [rng.randint(0, min(5, values["total"][i])) for i in range(6)]
        values["received"] = [values["total"][i] + values["carried_forward"][i] - values["carried_over"][i]
                              for i in range(6)]
        if any(v < 0 for v in values["received"]):
            values["carried_over"] = [0] * 6
            values["received"] = [values["total"][i] + values["carried_forward"][i] for i in range(6)]
        self.requests = {row: numbers + [sum(numbers)] for row, numbers in values.items()}
        if self.broken_total:
            self.requests["total"][0] += 1  # a 总计 cell one too high: breaks its column and its row
        groups = [[rng.choice([0, 0, 1, 2, 3]) for _ in range(4)] for _ in range(3)]
        self.review = [n for g in groups for n in g + [sum(g)]]
        self.proactive = {
            ("rules", "issued"): 0, ("rules", "repealed"): 0, ("rules", "in_force"): rng.randint(0, 3),
            ("normative_docs", "issued"): rng.randint(1, 20), ("normative_docs", "repealed"): rng.randint(0, 5),
            ("normative_docs", "in_force"): rng.randint(20, 90),
            ("licensing", "decisions"): rng.randint(100, 9000), ("penalty", "decisions"): rng.randint(10, 900),
            ("enforcement", "decisions"): rng.randint(0, 50), ("fees", "fee_amount"): round(rng.uniform(0, 99), 2),
        }

    # -- what the document says -----------------------------------------------------------------

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"

    def blocks(self) -> list[tuple[str, object]]:
        """The report in reading order: ("title" | "heading" | "para", text) and ("table", name)."""
        y = self.year
        intro = (f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于印发"
                 f"〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求编制。"
                 f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。")
        received = self.requests["received"][6]
        blocks: list[tuple[str, object]] = [("title", self.title), ("para", intro), ("heading", "一、总体情况")]
        for i in range(self.overview_paragraphs):
            if i % 3 == 0 and i // 3 < 10:
                blocks.append(("heading", f"（{'一二三四五六七八九十'[i // 3]}）{['主动公开', '依申请公开', '政府信息管理', '平台建设'][i // 3 % 4]}"))
            blocks.append(("para", f"{y}年，{self.agency}" + PROSE[i % len(PROSE)] if i % 2 == 0 else PROSE[i % len(PROSE)]))
        blocks.append(("para", f"{y}年，共收到政府信息公开申请{received}件，已全部按期办结。"))
        blocks += [("heading", "二、主动公开政府信息情况"), ("table", "proactive"),
                   ("heading", "三、收到和处理政府信息公开申请情况"), ("table", "requests"),
                   ("heading", "四、政府信息公开行政复议、行政诉讼情况"), ("table", "review")]
        if not self.tables_in_document:
            blocks = [block if block[0] != "table" else ("para", "详见附件统计表。") for block in blocks]
        blocks += [("heading", "五、存在的主要问题及改进情况"),
                   ("para", f"{y}年，我单位政府信息公开工作虽然取得了一定成效，但仍存在一些不足：一是主动公开的深度和广度有待拓展；"
                            "二是政策解读形式较为单一。下一步，我们将进一步加强组织领导，拓展公开领域，丰富解读形式。"),
                   ("heading", "六、其他需要报告的事项"),
                   ("para", f"本年度未收取信息处理费。{self.agency}政务公开工作要点各项任务均已落实完毕。"),
                   ("para", f"{y + 1}年1月20日")]
        return blocks

    def value_text(self, value: float) -> str:
        if value == 0 and self.blank_zeros:
            return ""
        return f"{value:g}" if isinstance(value, float) else str(value)

    def table_rows(self, name: str) -> list[list[tuple[str, int, int]]]:
        """A table as rows of (text, colspan, rowspan); covered positions are omitted, as in HTML."""
        return {"proactive": self._proactive_rows, "requests": self._requests_rows, "review": self._review_rows}[name]()

    def _proactive_rows(self) -> list[list[tuple[str, int, int]]]:
        v = self.value_text
        p = self.proactive
        head = [("信息内容", 1, 1)]
        return [
            [("第二十条第（一）项", 4, 1)],
            head + [("本年制发件数", 1, 1), ("本年废止件数", 1, 1), ("现行有效件数", 1, 1)],
            [("规章", 1, 1)] + [(v(p[("rules", c)]), 1, 1) for c in ("issued", "repealed", "in_force")],
            [("行政规范性文件", 1, 1)] + [(v(p[("normative_docs", c)]), 1, 1) for c in ("issued", "repealed", "in_force")],
            [("第二十条第（五）项", 4, 1)],
            head + [("本年处理决定数量", 3, 1)],
            [("行政许可", 1, 1), (v(p[("licensing", "decisions")]), 3, 1)],
            [("第二十条第（六）项", 4, 1)],
            head + [("本年处理决定数量", 3, 1)],
            [("行政处罚", 1, 1), (v(p[("penalty", "decisions")]), 3, 1)],
            [("行政强制", 1, 1), (v(p[("enforcement", "decisions")]), 3, 1)],
            [("第二十条第（八）项", 4, 1)],
            head + [("本年收费金额（单位：万元）", 3, 1)],
            [("行政事业性收费", 1, 1), (v(p[("fees", "fee_amount")]), 3, 1)],
        ]

    def _requests_rows(self) -> list[list[tuple[str, int, int]]]:
        nums = lambda row: [(self.value_text(n), 1, 1) for n in self.requests[row]]  # noqa: E731
        result_rows = 2 + sum(len(items) for items in ITEM_LABELS.values()) + 1
        rows = [
            [(CORNER, 3, 3), ("申请人情况", 7, 1)],
            [("自然人", 1, 2), ("法人或其他组织", 5, 1), ("总计", 1, 2)],
            [(label, 1, 1) for label in ORG_LABELS[1:6]],
            [("一、本年新收政府信息公开申请数量", 3, 1)] + nums("received"),
            [("二、上年结转政府信息公开申请数量", 3, 1)] + nums("carried_over"),
            [("三、本年度办理结果", 1, result_rows), ("（一）予以公开", 2, 1)] + nums("disclosed"),
            [("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 2, 1)] + nums("partially_disclosed"),
        ]
        for group, items in ITEM_LABELS.items():
            codes = [r for r in load_codebook().table("requests").rows if r.startswith(group + ".")]
            for i, (label, code) in enumerate(zip(items, codes)):
                head = [(GROUP_LABELS[group], 1, len(items))] if i == 0 else []
                rows.append(head + [(label, 1, 1)] + nums(code))
        rows.append([("（七）总计", 2, 1)] + nums("total"))
        rows.append([("四、结转下年度继续办理", 3, 1)] + nums("carried_forward"))
        return rows

    def _review_rows(self) -> list[list[tuple[str, int, int]]]:
        return [
            [("行政复议", 5, 1), ("行政诉讼", 10, 1)],
            [(label, 1, 2) for label in REVIEW_RESULTS] + [("未经复议直接起诉", 5, 1), ("复议后起诉", 5, 1)],
            [(label, 1, 1) for label in REVIEW_RESULTS * 2],
            [(self.value_text(n), 1, 1) for n in self.review],
        ]

    def expected_cells(self) -> dict[tuple[str, str, str], float]:
        """(table, row, column) → value of every cell the tables print."""
        columns = list(load_codebook().table("requests").columns)
        cells = {("requests", row, columns[i]): float(n) for row, numbers in self.requests.items()
                 for i, n in enumerate(numbers)}
        review_columns = list(load_codebook().table("review_litigation").columns)
        cells.update({("review_litigation", "count", c): float(n) for c, n in zip(review_columns, self.review)})
        cells.update({("proactive", row, column): float(n) for (row, column), n in self.proactive.items()})
        return cells

    def expected_figures(self) -> dict[str, int]:
        return {"applications_received": self.requests["received"][6], "disclosed": self.requests["disclosed"][6],
                "partially_disclosed": self.requests["partially_disclosed"][6],
                "reconsiderations": self.review[4], "lawsuits": self.review[9] + self.review[14]}

    def expected_text(self) -> str:
        """What a reader of the document reads: blocks in order, tables cell by cell."""
        lines = []
        for kind, value in self.blocks():
            if kind == "table":
                lines += [" ".join(text for text, _, _ in row if text) for row in self.table_rows(value)]
            else:
                lines.append(value)
        return "\n".join(lines)


# -- measuring text ------------------------------------------------------------------------------

def _bigrams(text: str) -> Counter:
    chars = [ch for ch in text if not ch.isspace()]
    return Counter(a + b for a, b in zip(chars, chars[1:]))


def text_f1(extracted: str, expected: str) -> float:
    """F1 over character bigrams (whitespace ignored): page furniture, lost text and lines joined in
    the wrong order all cost; layout does not."""
    got, want = _bigrams(extracted), _bigrams(expected)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


# -- PDF with reportlab --------------------------------------------------------------------------

def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_FILE.exists():
        if "WQY" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("WQY", str(FONT_FILE), subfontIndex=0))
        return "WQY"  # an embedded TrueType subset with a ToUnicode map, as Word writes
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _column_widths(name: str, width: float) -> list[float]:
    if name == "proactive":
        return [width * 0.31] + [width * 0.23] * 3
    if name == "requests":
        numeric = width * 0.075
        return [width * 0.08, width * 0.1, width - width * 0.18 - 7 * numeric] + [numeric] * 7
    return [width / 15] * 15


def _platypus_table(data: ReportData, name: str, width: float, font: str, ruled: bool):
    return _ruled_table(data.table_rows(name), _column_widths(name, width), font, ruled, 8 if name == "review" else 9)


def _ruled_table(rows: list[list[tuple[str, int, int]]], widths: list[float], font: str, ruled: bool, size: int):
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table

    cell_style = ParagraphStyle("cell", fontName=font, fontSize=size, leading=size + 2, wordWrap="CJK", alignment=1)
    placed: dict[tuple[int, int], str] = {}
    spans = []
    for r, row in enumerate(rows):
        c = 0
        for text, colspan, rowspan in row:
            while (r, c) in placed:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    placed[(r + dr, c + dc)] = ""
            placed[(r, c)] = text
            if colspan > 1 or rowspan > 1:
                spans.append(("SPAN", (c, r), (c + colspan - 1, r + rowspan - 1)))
            c += colspan
    grid = [[Paragraph(placed.get((r, c), ""), cell_style) for c in range(len(widths))] for r in range(len(rows))]
    style = [*spans, ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if ruled:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, "black"))
    return Table(grid, colWidths=widths, style=style)


def make_report_pdf(data: ReportData, *, page_numbers: str = "dash", running_header: bool = True,
                    ruled: bool = True, justify: bool = True) -> bytes:
    """The report as a PDF the way a Word export looks: A4, 2.5 cm margins, 16 pt body with a
    two-character first-line indent, ruled tables. ``page_numbers``: "dash" ("- 1 -"), "of"
    ("第1页 共5页") or "none"."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=14, leading=24, firstLineIndent=28, wordWrap="CJK",
                          alignment=4 if justify else 0)
    heading = ParagraphStyle("heading", parent=body, alignment=0)
    title = ParagraphStyle("title", fontName=font, fontSize=20, leading=30, alignment=1, wordWrap="CJK")
    width = A4[0] - 5 * cm
    styles = {"title": title, "heading": heading, "para": body}
    pages = _count_pages(_story(data, font, ruled, styles, width))

    def furniture(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 9)
        if running_header:
            canvas.drawCentredString(A4[0] / 2, A4[1] - 1.5 * cm, data.title)
            canvas.line(2.5 * cm, A4[1] - 1.65 * cm, A4[0] - 2.5 * cm, A4[1] - 1.65 * cm)
        if page_numbers != "none":
            label = f"- {doc.page} -" if page_numbers == "dash" else f"第{doc.page}页 共{pages}页"
            canvas.drawCentredString(A4[0] / 2, 1.5 * cm, label)
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2.5 * cm, rightMargin=2.5 * cm,
                                 topMargin=2.5 * cm, bottomMargin=2.5 * cm, title=data.title)
    document.build(_story(data, font, ruled, styles, width), onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()


def _story(data: ReportData, font: str, ruled: bool, styles: dict, width: float) -> list:
    from reportlab.platypus import Paragraph, Spacer

    story = []
    for kind, value in data.blocks():
        if kind == "table":
            story += [_platypus_table(data, value, width, font, ruled), Spacer(1, 8)]
        else:
            story.append(Paragraph(value, styles[kind]))
    return story


def _count_pages(story: list) -> int:
    """Pages the story fills (a first build, for "共N页"; flowables are single-use, so the caller
    builds the story again)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate

    counted = SimpleDocTemplate(io.BytesIO(), pagesize=A4, leftMargin=2.5 * cm, rightMargin=2.5 * cm,
                                topMargin=2.5 * cm, bottomMargin=2.5 * cm)
    counted.build(story)
    return counted.page


def make_table_pdf(rows: list[list[tuple[str, int, int]]], widths: list[float], *, lead_lines: int = 0,
                   ruled: bool = True) -> bytes:
    """One table (rows of (text, colspan, rowspan); widths as fractions of the text width) after a
    heading and ``lead_lines`` lines of prose, which push it across a page break when they are many."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=14, leading=24, firstLineIndent=28, wordWrap="CJK")
    width = A4[0] - 5 * cm
    story = [Paragraph(PROSE[i % len(PROSE)], body) for i in range(lead_lines // 3)]
    story += [Paragraph("三、收到和处理政府信息公开申请情况", body),
              _ruled_table(rows, [width * w for w in widths], font, ruled, 9)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2.5 * cm, rightMargin=2.5 * cm, topMargin=2.5 * cm,
                      bottomMargin=2.5 * cm).build(story)
    return buffer.getvalue()


def make_scanned_pdf(lines: list[str], pages: int = 2) -> bytes:
    """A scanned report: each page one raster image of text, and no text layer at all."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = ImageFont.truetype(str(FONT_FILE), 28) if FONT_FILE.exists() else ImageFont.load_default()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        image = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines):
            draw.text((120, 150 + i * 60), line, fill=0, font=font)
        draw.text((600, 1650), f"- {page + 1} -", fill=0, font=font)
        pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# -- DOCX with python-docx -----------------------------------------------------------------------

def make_report_docx(data: ReportData, *, nested: bool = False) -> bytes:
    """The report as Word writes it: a header with the title, a footer with a PAGE field, merged
    cells (gridSpan / vMerge) in the tables. ``nested`` puts the 复议诉讼 table inside a one-cell
    layout table, as some templates do."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Pt

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = data.title
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("- ")
    footer._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    footer.add_run(" -")
    for kind, value in data.blocks():
        if kind == "table":
            container = document
            if nested and value == "review":
                outer = document.add_table(rows=1, cols=1)
                container = outer.cell(0, 0)
            _docx_table(container, data.table_rows(value))
            continue
        paragraph = document.add_paragraph(value)
        if kind == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            paragraph.paragraph_format.first_line_indent = Pt(28)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(container, rows: list[list[tuple[str, int, int]]]) -> None:
    width = max(_row_width(rows, r) for r in range(len(rows)))
    table = container.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid" if hasattr(container, "add_heading") else None
    placed: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        c = 0
        for text, colspan, rowspan in row:
            while (r, c) in placed:
                c += 1
            cell = table.cell(r, c)
            if colspan > 1 or rowspan > 1:
                cell = cell.merge(table.cell(r + rowspan - 1, c + colspan - 1))
            cell.text = text
            placed.update((r + dr, c + dc) for dr in range(rowspan) for dc in range(colspan))
            c += colspan


def _row_width(rows, index: int) -> int:
    occupied: set[tuple[int, int]] = set()
    for r, row in enumerate(rows[: index + 1]):
        c = 0
        for _, colspan, rowspan in row:
            while (r, c) in occupied:
                c += 1
            occupied.update((r + dr, c + dc) for dr in range(rowspan) for dc in range(colspan))
            c += colspan
    return max(c for _, c in occupied) + 1


# -- LibreOffice ---------------------------------------------------------------------------------

def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_libreoffice(body: bytes, source_suffix: str, target: str) -> bytes:
    """Convert a document with LibreOffice headless (``target``: pdf, doc, xls …), in a private
    profile so parallel runs never share one."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / f"in{source_suffix}"
        source.write_bytes(body)
        profile = Path(work) / "profile"
        subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", target, "--outdir", work, str(source)],
                       check=True, capture_output=True, timeout=180)
        return (Path(work) / f"in.{target.split(':')[0]}").read_bytes()
