"""The stages after fetching, as plain functions (no Prefect): the crawl flow's tasks, the reparse
flow and the benchmarks' direct runner all call these.

extract → normalize → parse → (dedupe + load in ``storage.reports.Reports.load``)
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from extraction import extract_html
from extraction.attachments import (
    AttachmentError, AttachmentLimits, AttachmentText, UnsupportedAttachment, extract_attachment,
)
from fetching.classify import sniff_binary
from fetching.decode import decode_html
from core.errors import NotAReportError
from core.sources import Source
from core.titles import lookalike_in
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


@dataclass
class Built:
    """One fetched page as loadable Documents: the report first, then its attachments as copies."""

    documents: list[Document]
    attachment_failures: list[tuple[str, AttachmentError]]  # (attachment URL, why it could not be read)


def document_kind(body: bytes, content_type: str | None, url: str) -> str:
    """html | pdf | docx | xlsx | doc | xls, from magic bytes first, then type and name."""
    magic = sniff_binary(body)
    lowered = url.lower().split("?")[0]
    if magic == "pdf":
        return "pdf"
    if magic == "zip":
        if "spreadsheet" in (content_type or "") or lowered.endswith(".xlsx"):
            return "xlsx"
        return "docx"
    if magic == "ole":
        return "xls" if lowered.endswith(".xls") else "doc"
    return "html"


def build_documents(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None,
                    load_snapshot: Callable[[str], bytes], limits: AttachmentLimits | None = None) -> Built:
    """A fetched page and its attachments → Documents. An attachment that cannot be read fails alone:
    it is returned in ``attachment_failures`` and flagged on the report, never raised."""
    limits = limits or AttachmentLimits.from_env()
    page, content_html = _page_document(source, fetched, body, years, limits)  # not a report: no attachment is read
    read, failures = _read_attachments(fetched.attachments, load_snapshot, limits)
    xlsx = [raw for _, _, raw, kind in read if kind == "xlsx"]
    if xlsx:  # parse the page's body again with the workbooks' statistics tables (no second extraction)
        page.content = parse_content(page.text, html=content_html, year=page.year, xlsx=xlsx,
                                     snapshot_hash=fetched.snapshot_hash)
    if failures:
        flags = [Flag("attachment_failed", None, f"{error.outcome}: {url}: {error}",
                      {"url": url, "outcome": error.outcome}) for url, error in failures]
        page.content = replace(page.content, flags=page.content.flags + flags)
    copies = [_attachment_copy(page, attachment, extracted, raw, kind)
              for attachment, extracted, raw, kind in read]
    return Built([page, *copies], failures)


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
                     kind: str) -> Document:
    """An attachment of a report page is a copy of that report: the page's agency, year and title."""
    text = to_simplified(extracted.text)
    content = _attachment_content(extracted, raw, page.year, attachment.snapshot_hash)
    return Document(
        source_id=page.source_id, official=page.official, url=attachment.url, final_url=attachment.final_url,
        kind=kind, snapshot_hash=attachment.snapshot_hash, agency=page.agency, year=page.year, title=page.title,
        published=page.published, text=text, text_original=extracted.text, content=content,
        link_text=attachment.link_text, listing_url=page.final_url,
        evidence={"attachment_of": page.url, "agency": "report page", "year": "report page", "title": "report page"},
    )


def _attachment_content(extracted: AttachmentText, raw: bytes, year: int | None,
                        snapshot_hash: str) -> ContentParse:
    html = to_simplified(extracted.content_html) if extracted.content_html else None
    return parse_content(to_simplified(extracted.text), html=html, year=year,
                         xlsx=[raw] if extracted.kind == "xlsx" else (), snapshot_hash=snapshot_hash)


def build_document(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None,
                   limits: AttachmentLimits | None = None) -> Document:
    """Extract, normalize and parse one fetched page into a loadable Document, or raise why not."""
    return _page_document(source, fetched, body, years, limits or AttachmentLimits.from_env())[0]


def _page_document(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None,
                   limits: AttachmentLimits) -> tuple[Document, str | None]:
    """The Document, and the simplified main-content HTML its tables were read from (None for an
    attachment-only report), so that attached workbooks can be parsed in without extracting again."""
    kind = document_kind(body, fetched.content_type, fetched.final_url)
    if kind != "html":
        return _attachment_only_document(source, fetched, body, years, kind, limits), None
    html_original = decode_html(body, fetched.content_type).text
    extracted = extract_html(html_original, fetched.final_url)
    text_original = extracted.text
    text = to_simplified(text_original)
    metadata = parse_metadata(
        to_simplified(html_original), text, url=fetched.final_url, link_text=fetched.link_text,
        default_agency=source.name, list_date=fetched.list_date,
    )
    _check_report(source, fetched, metadata, years)
    content_html = to_simplified(extracted.content_html)
    content = parse_content(text, html=content_html, year=metadata.year, snapshot_hash=fetched.snapshot_hash)
    return _document(source, fetched, kind, metadata, text, text_original, content), content_html


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
    content = _attachment_content(extracted, body, metadata.year, fetched.snapshot_hash)
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
    if copy.kind != "html":  # an attachment copy: read again, bounded, from its snapshot
        extracted = extract_attachment(body, copy.kind, AttachmentLimits.from_env())
        return _attachment_content(extracted, body, year, copy.snapshot_hash)
    html = decode_html(body, store.snapshot_content_type(copy.snapshot_hash)).text
    extracted = extract_html(html, copy.final_url)
    # the page's statistics tables may be only in its XLSX attachments (loaded as copies of the report)
    xlsx = [store.load_snapshot(h) for h in store.attachment_snapshots(copy.report_id, "xlsx")]
    return parse_content(to_simplified(extracted.text), html=to_simplified(extracted.content_html), year=year,
                         xlsx=xlsx, snapshot_hash=copy.snapshot_hash)
