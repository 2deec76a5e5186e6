"""The stages after fetching, as plain functions (no Prefect): the crawl flow's tasks, the reparse
flow and the benchmarks' direct runner all call these.

extract → normalize → parse → (dedupe + load in ``storage.store.Store.load``)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from extraction import extract_html
from fetching.classify import sniff_binary
from fetching.decode import decode_html
from govreports.errors import NotAReportError
from govreports.sources import Source
from normalization import to_simplified
from parsing.content import parse_content
from parsing.metadata import parse_metadata
from parsing.types import ContentParse
from storage.models import Copy
from storage.store import Document, Store

_REPORT_TITLE = re.compile(r"信息公开|政务公开")
_NOT_REPORT_TITLE = re.compile(r"解读|要点|指南|目录|决算|预算|法治政府|绩效|自评")


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


def build_document(source: Source, fetched: FetchedDoc, body: bytes, years: tuple[int, int] | None) -> Document:
    """Extract, normalize and parse one fetched page into a loadable Document, or raise why not."""
    kind = document_kind(body, fetched.content_type, fetched.final_url)
    if kind != "html":
        raise NotAReportError(f"{fetched.url}: {kind} documents are read as attachments of a report page")
    html_original = decode_html(body, fetched.content_type).text
    extracted = extract_html(html_original, fetched.final_url)
    text_original = extracted.text
    text = to_simplified(text_original)
    metadata = parse_metadata(
        to_simplified(html_original), text, url=fetched.final_url, link_text=fetched.link_text,
        default_agency=source.name, list_date=fetched.list_date,
    )
    year = metadata.year  # link text, then title, URL, metadata, body: in that order of trust
    if metadata.title and _NOT_REPORT_TITLE.search(metadata.title):
        raise NotAReportError(f"{fetched.url}: title {metadata.title!r} is a look-alike, not a report")
    if not metadata.title or not _REPORT_TITLE.search(metadata.title):
        raise NotAReportError(f"{fetched.url}: no annual-report title found")
    if year is None:
        raise NotAReportError(f"{fetched.url}: no statistical year in link text, title, URL, metadata or body")
    if metadata.agency is None:
        raise NotAReportError(f"{fetched.url}: no agency in title or metadata, and source {source.id} has no default")
    if years and not years[0] <= year <= years[1]:
        raise NotAReportError(f"{fetched.url}: report year {year} outside --years {years[0]}-{years[1]}")
    content = parse_content(text, html=to_simplified(extracted.content_html), year=year,
                            snapshot_hash=fetched.snapshot_hash)
    evidence = {"title": metadata.title_from, "agency": metadata.agency_from,
                "year": metadata.year_from,
                "published": metadata.published_from, "index_no": metadata.index_no,
                "publisher": metadata.publisher, "doc_no": metadata.doc_no}
    return Document(
        source_id=source.id, official=source.official, url=fetched.url, final_url=fetched.final_url, kind=kind,
        snapshot_hash=fetched.snapshot_hash, agency=metadata.agency, year=year, title=metadata.title,
        published=metadata.published, text=text, text_original=text_original, content=content,
        link_text=fetched.link_text, listing_url=fetched.listing_url, evidence=evidence,
    )


def content_of_copy(store: Store, copy: Copy, year: int) -> ContentParse:
    """Re-parse a stored copy's body from its snapshot (no network): for canonical switches and reparse."""
    body = store.load_snapshot(copy.snapshot_hash)
    html = decode_html(body).text
    extracted = extract_html(html, copy.final_url)
    return parse_content(to_simplified(extracted.text), html=to_simplified(extracted.content_html), year=year,
                         snapshot_hash=copy.snapshot_hash)
