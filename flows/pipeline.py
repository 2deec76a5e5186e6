"""The stages after fetching, as plain functions (no Prefect): the crawl flow's tasks, the reparse
flow and the benchmarks' direct runner all call these.

extract → normalize → parse → (dedupe + load in ``storage.reports.Reports.load``)
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import lxml.etree

from core.html import html_tree
from extraction import Extracted, extract_html
from extraction.attachments import (
    AttachmentError, AttachmentLimits, AttachmentText, UnsupportedAttachment, extract_attachment,
)
from fetching.classify import sniff_binary
from fetching.decode import decode_html
from core.errors import ExtractionError, NotAReportError
from core.sources import Source
from core.titles import lookalike_in
from flows.documents import WORKBOOK_KINDS, adopt_report_document, image_only_flag, no_text_content, with_flags
from normalization import to_simplified
from parsing.content import parse_content
from parsing.metadata import Metadata, parse_metadata
from core.document import ContentParse, Flag
from storage.models import Copy
from core.document import Document
from storage.store import Store

_REPORT_TITLE = re.compile(r"信息公开|政务公开")


@dataclass(frozen=True)
class FetchedDoc:
    """What the fetch stage hands on: where a document was found and which snapshot holds it."""

    url: str
    final_url: str
    snapshot_hash: str
    content_type: str | None
    link_text: str | None
    listing_url: str | None
    list_date: str | None
    attachments: tuple["FetchedAttachment", ...] = ()  # fetched from this (HTML) page's attachment links


@dataclass(frozen=True)
class FetchedAttachment:
    """An attachment fetched from a detail page: a copy of that page's report once read."""

    url: str
    final_url: str
    snapshot_hash: str
    content_type: str | None
    link_text: str


@dataclass(frozen=True)
class ParsedPage:
    """An HTML page decoded and parsed once (``parse_page``): the one lxml tree that the content
    region, metadata, the statistics tables and attachment links all read (none of them changes
    it). trafilatura parses the markup its own way (see ``extraction.html.extract_html``). ``tree``
    is None when there is nothing an HTML parser can read."""

    html: str  # decoded, in the page's own script
    tree: lxml.etree._Element | None


def parse_page(body: bytes, content_type: str | None) -> ParsedPage:
    """Decode an HTML page and parse it, once: pass the result on instead of the body (to
    ``build_documents`` and to ``extraction.attachments.attachment_links``) so that no stage parses
    the page again."""
    html = decode_html(body, content_type).text
    return ParsedPage(html, html_tree(html))


@dataclass(frozen=True)
class _Region:
    """The page's main-content region, simplified: its markup, and its nodes in the page's tree
    when the markup parses to them (the region had nothing to simplify), else None."""

    html: str
    nodes: tuple[lxml.etree._Element, ...] | None


@dataclass
class Built:
    """One fetched page as loadable Documents: the report first, then its attachments as copies."""

    documents: list[Document]
    attachment_failures: list[tuple[str, AttachmentError]]  # (attachment URL, why it could not be read)


# Stream names in an OLE file's directory (UTF-16): what a download script's nameless file holds.
_OLE_WORD = "WordDocument".encode("utf-16-le")
_OLE_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book\0\0".encode("utf-16-le"))


def document_kind(body: bytes, content_type: str | None, url: str) -> str:
    """html | pdf | docx | xlsx | doc | xls | wps, from magic bytes first, then type and name."""
    magic = sniff_binary(body)
    lowered = url.lower().split("?")[0]
    if magic == "pdf":
        return "pdf"
    if magic == "zip":
        if "spreadsheet" in (content_type or "") or lowered.endswith(".xlsx") or b"xl/workbook" in body[:65536]:
            return "xlsx"
        return "docx"
    if magic == "ole":
        if lowered.endswith((".xls", ".et")) or "excel" in (content_type or ""):
            return "xls"
        if lowered.endswith(".wps"):
            return "wps"
        # a download script (downfile.jsp?id=…) names nothing: the OLE directory says what is inside
        if _OLE_WORD not in body and any(name in body for name in _OLE_WORKBOOK):
            return "xls"
        return "doc"
    return "html"


def build_documents(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None,
                    load_snapshot: Callable[[str], bytes], limits: AttachmentLimits | None = None,
                    parsed: ParsedPage | None = None) -> Built:
    """A fetched page and its attachments → Documents. An attachment that cannot be read fails alone:
    it is returned in ``attachment_failures`` and flagged on the report, never raised. ``parsed``:
    the page already decoded and parsed (``parse_page`` of ``body``), when the caller has it."""
    limits = limits or AttachmentLimits.from_env()
    page, region = _page_document(source, fetched, body, years, limits, parsed)  # not a report: no attachment is read
    read, failures = _read_attachments(fetched.attachments, load_snapshot, limits)
    workbooks = [raw for _, _, raw, kind in read if kind in WORKBOOK_KINDS]
    own_content = page.content  # whether the page is a stub is judged on its own body, not its attachments
    if workbooks:  # parse the page's body again with the workbooks' statistics tables (no second extraction)
        page.content = parse_content(page.text, html=region.html if region else None, year=page.year,
                                     xlsx=workbooks, snapshot_hash=fetched.snapshot_hash,
                                     html_nodes=region.nodes if region else None)
    copies = [_attachment_copy(page, attachment, extracted, raw, kind, workbooks)
              for attachment, extracted, raw, kind in read]
    # the report's files that could not be read, or only as pictures: on the page and on its document
    flags = [Flag("attachment_failed", None, f"{error.outcome}: {url}: {error}",
                  {"url": url, "outcome": error.outcome}) for url, error in failures]
    flags += [image_only_flag(attachment.url, extracted.units, attachment.snapshot_hash)
              for attachment, extracted, _, _ in read if extracted.image_only]
    document = adopt_report_document(page, own_content,
                                     [(copy, attachment.link_text) for copy, (attachment, *_) in zip(copies, read)])
    for target in (page, document):
        if target is not None:
            with_flags(target, flags)
    return Built([page, *copies], failures)


@dataclass(frozen=True)
class PageWork:
    """One fetched page for a worker process: plain, picklable data only (no store, no client).
    The store-bound part stays in the crawl's process: the lane reads the snapshots, the writer
    loads the result."""

    source: Source
    fetched: FetchedDoc
    body: bytes
    attachments: dict[str, bytes]  # snapshot hash -> bytes, of every attachment in ``fetched``
    years: tuple[int, int] | None
    limits: AttachmentLimits  # read from the crawl's environment, not the worker's


@dataclass(frozen=True)
class PageBuilt:
    """What a worker made of a page: its Documents, or why it is not one (``refused``: the failure
    class the crawl counts, ``not_report`` for a page that is not a report, and a message)."""

    documents: list[Document]
    attachment_failures: list[tuple[str, str, str]]  # (attachment URL, outcome class, message)
    refused: tuple[str, str] | None
    cpu_s: float  # this page's CPU in the worker: the crawl's process cannot see it


def build_page(work: PageWork) -> PageBuilt:
    """``build_documents`` over plain data: what the crawl runs in its worker processes. The
    expected refusals come back as values (an exception crossing the process boundary must
    pickle); anything else is raised, and fails the page's source as it would in-process."""
    started = time.process_time()
    try:
        built = build_documents(work.source, work.fetched, work.body, work.years, work.attachments.__getitem__,
                                work.limits)
    except NotAReportError as exc:
        return PageBuilt([], [], ("not_report", str(exc)), time.process_time() - started)
    except AttachmentError as exc:  # an attachment-only report whose document could not be read
        return PageBuilt([], [], (f"attachment_{exc.outcome}", f"{work.fetched.url}: {exc}"),
                         time.process_time() - started)
    except ExtractionError as exc:
        return PageBuilt([], [], ("extraction_failed", str(exc)), time.process_time() - started)
    failures = [(url, error.outcome, str(error)) for url, error in built.attachment_failures]
    return PageBuilt(built.documents, failures, None, time.process_time() - started)


_Read = tuple[FetchedAttachment, AttachmentText, bytes, str]  # attachment, its text, its bytes, its kind


def _read_attachments(attachments: Sequence[FetchedAttachment], load_snapshot: Callable[[str], bytes],
                      limits: AttachmentLimits) -> tuple[list[_Read], list[tuple[str, AttachmentError]]]:
    read: list[_Read] = []
    failures: list[tuple[str, AttachmentError]] = []
    for attachment in attachments:
        raw = load_snapshot(attachment.snapshot_hash)
        kind = document_kind(raw, attachment.content_type, attachment.final_url)
        try:
            if kind == "html":
                raise UnsupportedAttachment("html: an attachment link that leads to a web page, not a document")
            read.append((attachment, extract_attachment(raw, kind, limits), raw, kind))
        except AttachmentError as error:
            failures.append((attachment.url, error))
    return read, failures


def _attachment_copy(page: Document, attachment: FetchedAttachment, extracted: AttachmentText, raw: bytes,
                     kind: str, workbooks: Sequence[bytes]) -> Document:
    """An attachment of a report page is a copy of that report: the page's agency, year and title.
    A document's tables may be in the page's workbooks (text in a PDF, tables in an XLS)."""
    text = to_simplified(extracted.text)
    content = _attachment_content(extracted, raw, page.year, attachment.snapshot_hash, workbooks, attachment.url)
    return Document(
        source_id=page.source_id, official=page.official, url=attachment.url, final_url=attachment.final_url,
        kind=kind, snapshot_hash=attachment.snapshot_hash, agency=page.agency, year=page.year, title=page.title,
        published=page.published, text=text, text_original=extracted.text, content=content,
        link_text=attachment.link_text, listing_url=page.final_url,
        evidence={"attachment_of": page.url, "agency": "report page", "year": "report page", "title": "report page"},
    )


def _attachment_content(extracted: AttachmentText, raw: bytes, year: int | None, snapshot_hash: str,
                        workbooks: Sequence[bytes] = (), url: str = "") -> ContentParse:
    """A document's content: its own text and tables, then the tables of the report's workbooks; a
    workbook's content is its own tables; a scan's is a flag."""
    if extracted.image_only:
        return no_text_content(url, extracted.units, snapshot_hash)
    html = to_simplified(extracted.content_html) if extracted.content_html else None
    grids = to_simplified(extracted.grid_html) if extracted.grid_html else None
    own = extracted.kind in WORKBOOK_KINDS
    content = parse_content(to_simplified(extracted.text), html=html, year=year,
                            xlsx=[raw] if own else [w for w in workbooks if w != raw], snapshot_hash=snapshot_hash,
                            grid_html=grids, origin="html" if own else extracted.kind)
    if extracted.empty_pages:  # some pages are scans: whatever they printed is not in the text
        pages = list(extracted.empty_pages)
        content = replace(content, flags=content.flags + [Flag(
            "image_only_pages", None, f"pages {', '.join(map(str, pages))} of {extracted.units} have no text layer",
            {"url": url, "pages": pages, "of": extracted.units})])
    return content


def build_document(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None,
                   limits: AttachmentLimits | None = None, parsed: ParsedPage | None = None) -> Document:
    """Extract, normalize and parse one fetched page into a loadable Document, or raise why not."""
    return _page_document(source, fetched, body, years, limits or AttachmentLimits.from_env(), parsed)[0]


def _page_document(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None,
                   limits: AttachmentLimits, parsed: ParsedPage | None = None) -> tuple[Document, _Region | None]:
    """The Document, and the simplified main-content region its tables were read from (None for an
    attachment-only report), so that attached workbooks can be parsed in without extracting again."""
    kind = document_kind(body, fetched.content_type, fetched.final_url)
    if kind != "html":
        return _attachment_only_document(source, fetched, body, years, kind, limits), None
    page = parsed or parse_page(body, fetched.content_type)
    extracted = _page_body(page, fetched.final_url, bool(fetched.attachments))
    text_original = extracted.text
    text = to_simplified(text_original)
    html = to_simplified(page.html)
    metadata = parse_metadata(
        html, text, url=fetched.final_url, link_text=fetched.link_text, default_agency=source.name,
        list_date=fetched.list_date, tree=page.tree if html == page.html else None,
    )
    _check_report(source, fetched, metadata, years)
    region = _simplified_region(extracted)
    content = parse_content(text, html=region.html, year=metadata.year, snapshot_hash=fetched.snapshot_hash,
                            html_nodes=region.nodes)
    return _document(source, fetched, kind, metadata, text, text_original, content), region


def _simplified_region(extracted: Extracted) -> _Region:
    """The content region in simplified script. Its nodes in the page's tree hold the same markup
    only when simplifying changed nothing; a traditional region is parsed again, simplified."""
    content_html = to_simplified(extracted.content_html)
    return _Region(content_html, extracted.content_nodes if content_html == extracted.content_html else None)


def _page_body(page: ParsedPage, url: str, has_attachments: bool) -> Extracted:
    """The page's body text. A page with next to no body of its own but attachments (the title, the
    metadata block and a 附件 link) is still the report's page: its document may be the report."""
    return extract_html(page.html, url, tree=page.tree, stub_ok=has_attachments)


def _attachment_only_document(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None,
                              kind: str, limits: AttachmentLimits) -> Document:
    """A listing link straight to a PDF/DOCX/XLSX: the attachment is the report (title from the link)."""
    extracted = extract_attachment(body, kind, limits)  # an AttachmentError is an ExtractionError
    text = to_simplified(extracted.text)
    metadata = parse_metadata(
        None, text, url=fetched.final_url, link_text=fetched.link_text, default_agency=source.name,
        list_date=fetched.list_date,
    )
    _check_report(source, fetched, metadata, years)
    content = _attachment_content(extracted, body, metadata.year, fetched.snapshot_hash, url=fetched.url)
    return _document(source, fetched, kind, metadata, text, extracted.text, content)


def _check_report(source: Source, fetched: FetchedDoc, metadata: Metadata, years: tuple[int, int] | None) -> None:
    year = metadata.year  # link text, then title, URL, metadata, body: in that order of trust
    lookalike = lookalike_in(re.sub(r"\s+", "", metadata.title or ""))
    if lookalike:
        raise NotAReportError(f"{fetched.url}: title {metadata.title!r} is a look-alike ({lookalike}), not a report")
    if not metadata.title or not _REPORT_TITLE.search(metadata.title):
        raise NotAReportError(f"{fetched.url}: no annual-report title found")
    if year is None:
        raise NotAReportError(f"{fetched.url}: no statistical year in link text, title, URL, metadata or body")
    if metadata.agency is None:
        raise NotAReportError(f"{fetched.url}: no agency in title or metadata, and source {source.id} has no default")
    if years and not years[0] <= year <= years[1]:
        raise NotAReportError(f"{fetched.url}: report year {year} outside --years {years[0]}-{years[1]}")


def _document(source: Source, fetched: FetchedDoc, kind: str, metadata: Metadata, text: str, text_original: str,
              content: ContentParse) -> Document:
    evidence = {"title": metadata.title_from, "agency": metadata.agency_from,
                "year": metadata.year_from,
                "published": metadata.published_from, "index_no": metadata.index_no,
                "publisher": metadata.publisher, "doc_no": metadata.doc_no}
    return Document(
        source_id=source.id, official=source.official, url=fetched.url, final_url=fetched.final_url, kind=kind,
        snapshot_hash=fetched.snapshot_hash, agency=metadata.agency, year=metadata.year, title=metadata.title,
        published=metadata.published, text=text, text_original=text_original, content=content,
        link_text=fetched.link_text, listing_url=fetched.listing_url, evidence=evidence,
    )


def content_of_copy(store: Store, copy: Copy, year: int) -> ContentParse:
    """Re-parse a stored copy's body from its snapshot (no network): for canonical switches and reparse."""
    body = store.load_snapshot(copy.snapshot_hash)
    # the statistics tables may be only in the report's workbooks (XLSX/XLS attachments, loaded as its copies)
    workbooks = [store.load_snapshot(h) for h in store.attachment_snapshots(copy.report_id, *WORKBOOK_KINDS)]
    if copy.kind != "html":  # an attachment copy: read again, bounded, from its snapshot
        extracted = extract_attachment(body, copy.kind, AttachmentLimits.from_env())
        return _attachment_content(extracted, body, year, copy.snapshot_hash, workbooks, copy.url)
    page = parse_page(body, store.snapshot_content_type(copy.snapshot_hash))
    extracted = _page_body(page, copy.final_url, has_attachments=True)  # it was loaded: a report page or a stub
    region = _simplified_region(extracted)
    return parse_content(to_simplified(extracted.text), html=region.html, year=year, xlsx=workbooks,
                         snapshot_hash=copy.snapshot_hash, html_nodes=region.nodes)
