"""The report behind a one-line page: when a detail page is a stub and one of its attachments is
that report, the attachment becomes the report's document and the page its wrapper.

``flows.pipeline.build_documents`` calls ``adopt_report_document`` after reading a page and its
attachments. The judgement itself (what is a stub, which document is the page's report) is the pure
``parsing.stub``; here the chosen document takes the page's agency and year, the page's title,
published date and metadata (索引号, 发布机构, 文号) where it lacks them, and ``document_of`` naming
the page, which the loader records as the match ``document`` (``dedup.match.MatchKind.DOCUMENT``)
so the document is a candidate for canonical, with provenance cell → document snapshot → page.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from parsing.metadata import agency_in_title, parse_date
from parsing.stub import document_is_report_of_page, document_title, is_stub, shape
from core.document import ContentParse, Document, Flag

DOCUMENT_KINDS = ("pdf", "docx", "doc", "wps")  # read as text; workbooks (xlsx, xls) lend tables only
WORKBOOK_KINDS = ("xlsx", "xls")
_DATE_LINE = re.compile(r"^\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")


def image_only_flag(url: str, pages: int, snapshot_hash: str) -> Flag:
    return Flag("image_only_document", None,
                f"{url}: {pages} pages without a text layer (a scan): its text and numbers cannot be read",
                {"url": url, "pages": pages, "snapshot": snapshot_hash})


def no_text_content(url: str, pages: int, snapshot_hash: str) -> ContentParse:
    """What a scanned document yields: nothing read, and a flag that says so (never zeros)."""
    return ContentParse(format=None, sections=[], cells=[], figures={},
                        flags=[image_only_flag(url, pages, snapshot_hash)])


def with_flags(document: Document, flags: Sequence[Flag]) -> None:
    """Add flags about the report's files (attachments unread, scans) to a document's content."""
    known = {(flag.kind, flag.data.get("url")) for flag in document.content.flags}
    new = [flag for flag in flags if (flag.kind, flag.data.get("url")) not in known]
    if new:
        document.content = replace(document.content, flags=document.content.flags + new)


def adopt_report_document(page: Document, own_content: ContentParse,
                          attachments: Sequence[tuple[Document, str]]) -> Document | None:
    """If ``page`` is a stub (judged on ``own_content``, its body without its workbooks' tables) and
    one of its attachments (``(document, link text)``) is its report, make that document the
    report's (metadata from the page where it has none) and return it."""
    page_shape = shape(page.text, own_content, page.title)
    if not is_stub(page_shape):
        return None
    chosen: tuple[tuple[int, int, int], Document, str] | None = None
    for document, link_text in attachments:
        if document.kind not in DOCUMENT_KINDS or not document.text.strip():
            continue
        document_shape = shape(document.text, document.content)
        verdict = document_is_report_of_page(document_shape, page_shape, document.text, link_text, page.year,
                                             page.agency)
        rank = (document_shape.tables, document_shape.parts, document_shape.chars)
        if verdict.belongs and (chosen is None or rank > chosen[0]):
            chosen = (rank, document, verdict.reason)
    if chosen is None:
        return None
    _, document, reason = chosen
    _take_page_metadata(document, page, reason)
    return document


def _take_page_metadata(document: Document, page: Document, reason: str) -> None:
    own_title = document_title(document.text)
    title_is_own = own_title is not None and agency_in_title(own_title) is not None
    own_date = _date_line(document.text)
    document.document_of = page.url
    document.title = own_title if title_is_own else page.title
    document.published = page.published or own_date
    document.evidence = {
        **{key: page.evidence.get(key) for key in ("index_no", "publisher", "doc_no")},
        "attachment_of": page.url, "document_of": page.url, "stub_page": reason,
        "agency": "report page", "year": "report page",
        "title": "document heading" if title_is_own else f"report page ({page.evidence.get('title')})",
        "published": f"report page ({page.evidence.get('published')})" if page.published
        else "document date line" if own_date else None,
    }


def _date_line(text: str) -> str | None:
    """The date a report is signed with, on a line of its own near its end (2024年1月20日)."""
    for line in reversed([line for line in text.splitlines() if line.strip()][-6:]):
        if _DATE_LINE.match(line):
            return parse_date(line)
    return None
