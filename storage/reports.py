"""Reports and their loading: each copy goes to its (agency, year) report, and the report's
canonical copy, parsed rows (figures, cells, sections, flags) and provenance follow.

Which report a copy belongs to and which copy is canonical are decided in ``dedup`` (pure functions
of the stored copies); this module carries the decision out in one transaction per copy, under a
per-block lock (a Postgres advisory lock; SQLite's single writer), so that a kill -9 at any moment
leaves a consistent database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Callable

from sqlalchemy import JSON, func, select, text, update
from sqlalchemy.orm import Session, aliased

from core.document import ContentParse, Document
from core.sources import Source
from dedup.fold import exact_key
from dedup.identity import copy_id_for, report_id_for
from dedup.index import NearKeys, near_keys, similarity
from dedup.match import NEAR_THRESHOLD, CopyText, Match, MatchKind, place_copy
from storage.base import StoreBase, aware
from storage.models import Copy, CopyBand, CrawlRun, FigureRow, FlagRow, Report, SectionRow, SourceRow, StatRow
from storage.upsert import _insert, insert_ignore, upsert


@dataclass(frozen=True)
class FoundReport:
    """One stored report as the coverage ledger sees it (``Reports.coverage_reports``)."""

    agency: str
    year: int
    published: str | None  # YYYY-MM-DD
    first_seen: datetime
    first_seen_run: int
    source_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReparseTarget:
    report_id: str
    year: int
    parse_key: str
    canonical: Copy


class LoadOutcome(StrEnum):
    NEW = "new"  # a report not seen before
    CHANGED = "changed"  # its canonical copy changed (a correction, a better copy)
    COPY_ADDED = "copy_added"  # a new copy of a known report; canonical unchanged
    UNCHANGED = "unchanged"  # this copy was already stored


ContentFor = Callable[[Copy], ContentParse]


class Reports(StoreBase):
    def upsert_sources(self, sources: list[Source], run_id: int) -> None:
        rows = [dict(id=src.id, name=src.name, kind=src.kind, config=src.as_config(), first_seen_run=run_id,
                     last_seen_run=run_id) for src in sources]
        with self._tx() as s:
            upsert(s, SourceRow, rows, ["id"], ["name", "kind", "config", "last_seen_run"])

    def attachment_snapshots(self, report_id: str, *kinds: str) -> list[str]:
        """Snapshot hashes of a report's attachment copies of these kinds, in the order found."""
        with self.session() as s:
            return list(s.scalars(select(Copy.snapshot_hash).where(Copy.report_id == report_id, Copy.kind.in_(kinds))
                                  .order_by(Copy.seq)))

    def reports_found_before(self, source_id: str, before_run: int) -> int:
        """How many copies this source had yielded in earlier runs (regression detection)."""
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Copy).where(
                Copy.source_id == source_id, Copy.first_seen_run < before_run)) or 0

    def coverage_reports(self, source_ids: list[str]) -> list[FoundReport]:
        """Reports with a copy from one of ``source_ids``: agency, year, published, when first seen."""
        with self.session() as s:
            rows = s.execute(
                select(Report.agency, Report.year, Report.published, Report.first_seen_run, CrawlRun.started_at,
                       Copy.source_id)
                .join(Copy, Copy.report_id == Report.id)
                .join(CrawlRun, CrawlRun.id == Report.first_seen_run)
                .where(Copy.source_id.in_(source_ids))
            ).all()
        grouped: dict[tuple[str, int], dict] = {}
        for agency, year, published, first_run, started, source_id in rows:
            entry = grouped.setdefault((agency, year), dict(published=published, run=first_run,
                                                            seen=aware(started), sources=set()))
            entry["sources"].add(source_id)
        return [FoundReport(agency, year, e["published"], e["seen"], e["run"], tuple(sorted(e["sources"])))
                for (agency, year), e in sorted(grouped.items())]

    def parsed_snapshots(self, source_ids: list[str]) -> set[tuple[str, str]]:
        """(URL, snapshot hash) of the sources' copies whose report was parsed by this parser version:
        fetched again with the same bytes, such a copy has nothing new to parse (``touch_copies``).
        The parse key is the canonical copy's text key with ``PARSER_VERSION``: a report parsed by an
        older parser is parsed again, by the crawl, as it would be by ``govreports reparse``."""
        canonical = aliased(Copy)
        with self.session() as s:
            rows = s.execute(
                select(Copy.url, Copy.snapshot_hash, Report.parse_key, canonical.text_key)
                .join(Report, Report.id == Copy.report_id)
                .join(canonical, canonical.id == Report.canonical_copy_id)
                .where(Copy.source_id.in_(source_ids))
            ).all()
        return {(url, snapshot) for url, snapshot, parse_key, text_key in rows if parse_key == parse_key_for(text_key)}

    def touch_copies(self, seen: list[tuple[str, str]], run_id: int) -> int:
        """Record copies as seen in this run, by (URL, snapshot hash), without loading them again;
        returns how many copies that was (each one a load that would have said ``unchanged``)."""
        touched = 0
        with self._tx() as s:
            for url, snapshot in seen:
                rows = list(s.execute(select(Copy.id, Copy.report_id).where(Copy.url == url,
                                                                           Copy.snapshot_hash == snapshot)).all())
                for copy_id, report_id in rows:
                    self._touch(s, copy_id, report_id, run_id)
                touched += len(rows)
        return touched

    def load(self, doc: Document, run_id: int, content_for: ContentFor) -> LoadOutcome:
        """Add one copy to its (agency, year) report; returns what changed."""
        text_key = exact_key(doc.text)
        copy_id = copy_id_for(doc.url, text_key)
        report_id = report_id_for(doc.agency, doc.year)
        near = near_keys(doc.text) if text_key != NO_TEXT_KEY else None  # a scan has no text to be near
        with self._tx() as s:
            self._lock_block(s, report_id)
            if s.get(Copy, copy_id) is not None:
                self._touch(s, copy_id, report_id, run_id)
                return LoadOutcome.UNCHANGED
            report = s.get(Report, report_id)
            copies = list(s.scalars(select(Copy).where(Copy.report_id == report_id).order_by(Copy.seq)))
            tables_found = len({cell.table for cell in doc.content.cells})
            new_text = CopyText(copy_id=copy_id, agency=doc.agency, year=doc.year, text=doc.text, url=doc.url,
                                kind=doc.kind, official=doc.official, published=doc.published, title=doc.title or "",
                                tables=tables_found)
            placed = place_copy(new_text, [(_stored_text(c, doc.agency, doc.year), _stored_match(c)) for c in copies],
                                document_of=doc.document_of)
            found, canonical = placed.match, placed.canonical
            if report is None:
                insert_ignore(s, Report, [dict(
                    id=report_id, agency=doc.agency, year=doc.year, title=doc.title, published=doc.published,
                    url=doc.url, canonical_copy_id=copy_id, canonical_reason="only copy", text=doc.text,
                    text_original=doc.text_original, parse_key="", format=None, metadata_evidence=doc.evidence,
                    first_seen_run=run_id, last_seen_run=run_id, updated_run=run_id)], ["id"])
            new_copy = Copy(
                id=copy_id, report_id=report_id, source_id=doc.source_id, url=doc.url, final_url=doc.final_url,
                kind=doc.kind, official=doc.official, snapshot_hash=doc.snapshot_hash, text_key=text_key,
                title=doc.title, published=doc.published, link_text=doc.link_text, listing_url=doc.listing_url,
                text=doc.text, text_original=doc.text_original, seq=len(copies) + 1, match=found.kind.value,
                tables_found=tables_found, matched_copy_id=found.copy_id, similarity=found.similarity,
                changed_numbers=[c.__dict__ for c in found.changed_numbers], first_seen_run=run_id,
                last_seen_run=run_id, minhash=near.signature if near else None,
            )
            s.add(new_copy)
            s.flush()
            if near:
                _write_bands(s, copy_id, near)
            copies.append(new_copy)
            report = s.get(Report, report_id)
            if report.canonical_copy_id == canonical.copy_id and report.parse_key:
                report.last_seen_run = run_id
                report.canonical_reason = canonical.reason
                return LoadOutcome.COPY_ADDED
            chosen = new_copy if canonical.copy_id == copy_id else s.get(Copy, canonical.copy_id)
            content = doc.content if chosen is new_copy else content_for(chosen)
            self._set_canonical(s, report, chosen, canonical.reason, content, run_id)
            return LoadOutcome.NEW if len(copies) == 1 else LoadOutcome.CHANGED

    def replace_content(self, report_id: str, content: ContentParse, parse_key: str, run_id: int,
                        force: bool = False) -> bool:
        """Rewrite a report's parsed rows (reparse); returns False when nothing changed.
        ``force`` rewrites even when the parse key is the same (``govreports reparse --force``)."""
        with self._tx() as s:
            self._lock_block(s, report_id)
            report = s.get(Report, report_id)
            if report is None or (report.parse_key == parse_key and not force):
                return False
            chosen = s.get(Copy, report.canonical_copy_id)
            self._write_content(s, report, chosen, content)
            report.parse_key = parse_key
            report.updated_run = run_id
            return True

    def reparse_targets(self) -> list["ReparseTarget"]:
        """Every report with its canonical copy, in id order: what ``flows.reparse`` rebuilds."""
        with self.session() as s:
            rows = s.execute(select(Report.id, Report.year, Report.parse_key, Copy)
                             .join(Copy, Copy.id == Report.canonical_copy_id).order_by(Report.id)).all()
            for row in rows:
                s.expunge(row[3])  # usable after the session closes
        return [ReparseTarget(report_id, year, parse_key, copy) for report_id, year, parse_key, copy in rows]

    def fill_near_keys(self) -> int:
        """Store the near-duplicate keys of copies loaded before they existed; returns how many."""
        with self.session() as s:
            missing = list(s.execute(select(Copy.id, Copy.text).where(Copy.minhash.is_(None),
                                                                      Copy.text_key != NO_TEXT_KEY)).all())
        for copy_id, text_of_copy in missing:
            near = near_keys(text_of_copy)
            with self._tx() as s:
                s.execute(update(Copy).where(Copy.id == copy_id).values(minhash=near.signature))
                s.execute(CopyBand.__table__.delete().where(CopyBand.copy_id == copy_id))
                _write_bands(s, copy_id, near)
        return len(missing)

    def _lock_block(self, s: Session, report_id: str) -> None:
        if self.dialect == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": report_id})

    def _touch(self, s: Session, copy_id: str, report_id: str, run_id: int) -> None:
        s.execute(update(Copy).where(Copy.id == copy_id).values(last_seen_run=run_id))
        s.execute(update(Report).where(Report.id == report_id).values(last_seen_run=run_id))

    def _set_canonical(self, s: Session, report: Report, chosen: Copy, reason: str, content: ContentParse,
                       run_id: int) -> None:
        report.canonical_copy_id = chosen.id
        report.canonical_reason = reason
        report.url = chosen.url
        report.title = chosen.title
        report.published = chosen.published
        report.text = chosen.text
        report.text_original = chosen.text_original
        report.last_seen_run = run_id
        report.updated_run = run_id
        report.parse_key = parse_key_for(chosen.text_key)
        self._write_content(s, report, chosen, content)

    def _write_content(self, s: Session, report: Report, chosen: Copy, content: ContentParse) -> None:
        report.format = content.format
        carried = _file_flags(s, report.id, content)
        for model in (FigureRow, StatRow, SectionRow, FlagRow):
            s.execute(model.__table__.delete().where(model.report_id == report.id))
        provenance = dict(report_id=report.id, copy_id=chosen.id, snapshot_hash=chosen.snapshot_hash)
        _write_report_rows(s, FigureRow, [dict(key=f.key, value=f.value, evidence=f.evidence, method=f.method,
                                               **provenance)
                                          for f in content.figures.values()], ["report_id", "key"])
        _write_report_rows(s, StatRow, [dict(table=c.table, row=c.row, column=c.column, value=c.value,
                                             row_label=c.row_label, column_label=c.column_label,
                                             table_index=c.table_index, origin=c.origin, empty=c.empty, **provenance)
                                        for c in content.cells], ["report_id", "table", "row", "column"])
        _write_report_rows(s, SectionRow, [dict(report_id=report.id, position=i, key=sec.key, heading=sec.heading,
                                                text=sec.text) for i, sec in enumerate(content.sections)],
                           ["report_id", "position"])
        flags = [dict(kind=f.kind, table=f.table, detail=f.detail, data=f.data) for f in content.flags] + carried
        _write_report_rows(s, FlagRow, [dict(report_id=report.id, position=i, **flag) for i, flag in enumerate(flags)],
                           ["report_id", "position"])


# Flags about the report's files rather than its text: found when a page's attachments are fetched
# and read, so a re-parse from one copy's snapshot cannot find them again. They are kept when the
# parsed rows are rewritten (reparse, a better canonical copy), unless the new content has them.
FILE_FLAGS = ("attachment_failed", "image_only_document")


def _file_flags(s: Session, report_id: str, content: ContentParse) -> list[dict]:
    present = {(f.kind, f.data.get("url")) for f in content.flags}
    kept = s.scalars(select(FlagRow).where(FlagRow.report_id == report_id, FlagRow.kind.in_(FILE_FLAGS))
                     .order_by(FlagRow.position))
    return [dict(kind=f.kind, table=f.table, detail=f.detail, data=f.data) for f in kept
            if (f.kind, (f.data or {}).get("url")) not in present]


def _write_report_rows(s: Session, model, rows: list[dict], keys: list[str]) -> None:
    """Insert a report's figures, cells, sections or flags, right after ``_write_content`` deleted
    the report's old ones under the block lock (or a new copy's band buckets): nothing can conflict
    but the rows themselves.

    Never a multi-VALUES insert: it is compiled anew for every row count, and that compile was ~70%
    of a report's load time (cProfile in bench/db_load.py, ~200 cells per 2019-format report).
    SQLite: one cached executemany. Postgres: executemany sends one statement per row, so the rows
    go in by COPY, de-duplicated on ``keys`` first as ON CONFLICT DO NOTHING would (the first row
    wins)."""
    if not rows:
        return
    if s.get_bind().dialect.name == "postgresql":
        _copy_rows(s, model.__table__, _first_per_key(rows, keys))
        return
    s.execute(_insert(s, model.__table__).on_conflict_do_nothing(index_elements=keys), rows)


def _write_bands(s: Session, copy_id: str, near: NearKeys) -> None:
    _write_report_rows(s, CopyBand, [dict(copy_id=copy_id, band=band, bucket=bucket)
                                     for band, bucket in enumerate(near.buckets)], ["copy_id", "band"])


def cross_report_flags(s: Session, report_id: str, copies: list[Copy]) -> list[dict]:
    """Flags for a report's text found under another (agency, year): the same folded text
    (``same_text_as_other_report``), or a near one (``near_text_as_other_report``, with the
    similarity). Never merged — agency and year gate every merge — but a reader should know: a
    district that re-posted the city's report, or a page attributed to the wrong year."""
    text_keys = [c.text_key for c in copies if c.text_key != NO_TEXT_KEY]  # scans share the empty text: not the same report
    same = s.execute(select(Report.id, Report.agency, Report.year).join(Copy, Copy.report_id == Report.id)
                     .where(Copy.text_key.in_(text_keys), Report.id != report_id).distinct()
                     .order_by(Report.agency, Report.year)).all()
    flags = []
    if same:
        others = [{"id": r.id, "agency": r.agency, "year": r.year} for r in same]
        flags.append({"kind": "same_text_as_other_report", "table": None,
                      "detail": "same text as " + ", ".join(f"{o['agency']} {o['year']}" for o in others),
                      "data": {"reports": others}})
    near = _near_reports(s, report_id, copies, exclude={r.id for r in same})
    if near:
        flags.append({"kind": "near_text_as_other_report", "table": None,
                      "detail": "near-identical text to " + ", ".join(
                          f"{o['agency']} {o['year']} ({o['similarity']:.2f})" for o in near),
                      "data": {"reports": near}})
    return flags


NO_TEXT_KEY = exact_key("")  # the text key of every copy without text (a scan)
_OWN_BANDS, _OTHER_BANDS = CopyBand.__table__.alias("own"), CopyBand.__table__.alias("other")


def _near_reports(s: Session, report_id: str, copies: list[Copy], exclude: set[str]) -> list[dict]:
    """Other reports with a copy whose MinHash is near one of ``copies``': candidates share an LSH
    bucket (an indexed lookup), then the signatures' estimate screens them."""
    mine = [c for c in copies if c.minhash is not None]
    if not mine:
        return []
    own, other = _OWN_BANDS, _OTHER_BANDS
    candidates = s.execute(
        select(Copy.id, Copy.minhash, Report.id, Report.agency, Report.year).distinct()
        .select_from(own.join(other, other.c.bucket == own.c.bucket))
        .join(Copy, Copy.id == other.c.copy_id).join(Report, Report.id == Copy.report_id)
        .where(own.c.copy_id.in_([c.id for c in mine]), Report.id != report_id, Copy.minhash.is_not(None))
    ).all()
    best: dict[str, dict] = {}
    for _, signature, other_id, agency, year in candidates:
        if other_id in exclude:
            continue
        score = max(similarity(c.minhash, signature) for c in mine)
        if score >= NEAR_THRESHOLD and score > best.get(other_id, {}).get("similarity", 0.0):
            best[other_id] = {"id": other_id, "agency": agency, "year": year, "similarity": round(score, 3)}
    return sorted(best.values(), key=lambda o: (o["agency"], o["year"]))


def _first_per_key(rows: list[dict], keys: list[str]) -> list[dict]:
    first: dict[tuple, dict] = {}
    for row in rows:
        first.setdefault(tuple(row[k] for k in keys), row)
    return list(first.values())


def _copy_rows(s: Session, table, rows: list[dict]) -> None:
    from psycopg.types.json import Json

    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = s.connection().connection.cursor()  # the session's own connection: the same transaction
    quoted = ", ".join(f'"{column}"' for column in columns)
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if c in as_json else row[c] for c in columns])


# Bump when parsers change what they produce; `govreports reparse` then rewrites. 2: PDFs read with
# pdfplumber (tables by cell geometry), XLS/DOC/WPS read; 3: Word tables aligned by header text, one
# table per kind, pre-2019 zeros in words, page dates over listing dates, short place names.
PARSER_VERSION = "3"


def parse_key_for(text_key: str) -> str:
    return hashlib.sha256(f"{text_key}\x1f{PARSER_VERSION}".encode()).hexdigest()[:24]


def _stored_text(copy: Copy, agency: str, year: int) -> CopyText:
    return CopyText(copy_id=copy.id, agency=agency, year=year, text=copy.text, url=copy.url, kind=copy.kind,
                    official=copy.official, published=copy.published, title=copy.title or "",
                    tables=copy.tables_found or 0)


def _stored_match(copy: Copy) -> Match:
    return Match(MatchKind(copy.match), copy_id=copy.matched_copy_id, similarity=copy.similarity or 0.0)
