"""Is a detail page's body the report, or only a wrapper around the document that is?

Most county and district governments publish the annual report as a PDF or Word file attached to
a page whose own body is one sentence ("现将…年度报告予以公布，详见附件"), or nothing but the title,
the metadata block and the 附件 link. The wording varies without end, so the judgement is made on
content, never on a phrase:

* the page is a **stub** when its body has no report structure — fewer than two of the report's
  parts (总体情况, 主动公开, … recognised by ``parsing.sections``), no statistics table read — and
  little text once the title, metadata lines and page chrome are set aside;
* an attached document is **the page's report** when it has that structure (two parts, or a
  statistics table), is several times the page's text, is not a look-alike (解读, 申请表 …), and
  states no other year or agency than the page (a document that names none takes the page's).

Pure functions: the pipeline applies them, the loader records the relation (``MatchKind.DOCUMENT``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from normalization.text import match_key
from parsing.metadata import agency_in_title
from core.document import ContentParse
from core.years import year_in_text

# A stub's own words: the announcing sentence, maybe a line of context. Real report bodies run to
# several thousand characters (the shortest seed is ~8,000); 800 leaves room for a page that also
# carries a paragraph of summary above its 附件 link, and still sits far below any report.
STUB_MAX_CHARS = 800
# An attached report is several times its wrapper's text (the one-sentence page: ~50-300 characters).
DOCUMENT_MIN_RATIO = 3.0
REPORT_PART_KEYS = frozenset({"overview", "proactive", "requests", "review_litigation", "problems", "other", "fees",
                              "consultation"})
_PAGE_LINE = re.compile(
    r"^(?:索引号|文号|发文字号|发布机构|发文机关|发布单位|信息来源|来源|公开日期|发布日期|发文日期|成文日期|发布时间|"
    r"主题分类|组配分类|公开方式|公开范围|有效性|名称|标题|附件|浏览次数|字号|打印|关闭)")
_LOOK_ALIKE = re.compile(r"解读|图解|申请表|申请书|要点|指南|目录|决算|预算|法治政府|绩效|自评")
_STATS_PERIOD = re.compile(r"(?:统计|数据).{0,12}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")


@dataclass(frozen=True)
class ReportShape:
    """How much of a report a body holds."""

    parts: int  # distinct report parts recognised
    tables: int  # distinct statistics tables read
    chars: int  # letters and digits of the body, page furniture aside

    @property
    def is_report(self) -> bool:
        return self.parts >= 2 or self.tables >= 1


def shape(text: str, content: ContentParse, title: str | None = None) -> ReportShape:
    parts = {section.key for section in content.sections if section.key in REPORT_PART_KEYS}
    tables = {cell.table for cell in content.cells}
    return ReportShape(len(parts), len(tables), _own_chars(text, title))


def _own_chars(text: str, title: str | None) -> int:
    """Letters and digits of the body, without its title and the page's metadata/附件 lines."""
    title_key = match_key(title or "")
    count = 0
    for line in text.splitlines():
        key = match_key(line.replace("|", ""))
        if not key or (title_key and key == title_key) or _PAGE_LINE.match(key):
            continue
        count += sum(ch.isalnum() for ch in key)
    return count


def is_stub(page: ReportShape) -> bool:
    """A page whose body is not itself a report (a wrapper around its attachment)."""
    return page.parts < 2 and page.tables == 0 and page.chars <= STUB_MAX_CHARS


@dataclass(frozen=True)
class Verdict:
    belongs: bool
    reason: str


def document_is_report_of_page(document: ReportShape, page: ReportShape, document_text: str, link_text: str,
                               page_year: int, page_agency: str) -> Verdict:
    """Whether an attached document is the report its stub page announces."""
    if not document.is_report:
        return Verdict(False, f"no report structure ({document.parts} parts, {document.tables} tables)")
    if document.chars < DOCUMENT_MIN_RATIO * max(page.chars, 1):
        return Verdict(False, f"{document.chars} characters, not several times the page's {page.chars}")
    head = _heading(document_text)
    if _LOOK_ALIKE.search(link_text or "") or (head and _LOOK_ALIKE.search(head)):
        return Verdict(False, f"a look-alike ({link_text or head!r})")
    stated_year = _stated_year(document_text, head)
    if stated_year is not None and stated_year != page_year:
        return Verdict(False, f"states the year {stated_year}, the page {page_year}")
    stated_agency = agency_in_title(head) if head else None
    if stated_agency and not _same_agency(stated_agency, page_agency):
        return Verdict(False, f"names {stated_agency}, the page {page_agency}")
    return Verdict(True, f"{document.parts} report parts, {document.tables} statistics tables, "
                         f"{document.chars} characters against the page's {page.chars}")


def _heading(text: str) -> str | None:
    """The document's own title: a report title among its first lines."""
    for line in [line for line in text.splitlines() if line.strip()][:4]:
        key = match_key(line)
        if len(key) <= 80 and "信息公开" in key and ("报告" in key or "年报" in key):
            return key
    return None


def document_title(text: str) -> str | None:
    """The document's own title when it is a full one (names a year), else None."""
    head = _heading(text)
    return head if head and year_in_text(head) else None


def _stated_year(text: str, head: str | None) -> int | None:
    if head and (year := year_in_text(head)):
        return year
    period = _STATS_PERIOD.search(match_key(text[:3000]))
    return int(period.group(1)) if period else None


def _same_agency(stated: str, page_agency: str) -> bool:
    """A full and a short form of one name (区人民政府 / 某某区人民政府) are the same agency."""
    a, b = match_key(stated), match_key(page_agency)
    return a == b or a.endswith(b) or b.endswith(a) or a.startswith(b) or b.startswith(a)
