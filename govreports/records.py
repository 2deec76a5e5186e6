"""The export contract's record: one dict per deduplicated report, with its copies, cells, figures,
flags and provenance (README "Export contract and data model"). Every export format and the browse
database are written from these records.
"""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from core.regions import PLACE_FIELDS
from storage.models import Copy, FigureRow, FlagRow, Report, StatRow
from storage.reports import cross_report_flags
from storage.store import Store


def report_records(store: Store) -> Iterator[dict]:
    """Export records in a stable order (agency, year)."""
    from analysis.dataviews import agency_places, carry_over_flag_for

    agency_place = agency_places(store)
    with store.session() as s:
        for report in s.scalars(select(Report).order_by(Report.agency, Report.year)):
            copies = list(s.scalars(select(Copy).where(Copy.report_id == report.id).order_by(Copy.seq)))
            figures = list(s.scalars(select(FigureRow).where(FigureRow.report_id == report.id).order_by(FigureRow.key)))
            stats = list(s.scalars(select(StatRow).where(StatRow.report_id == report.id).order_by(StatRow.id)))
            flags = list(s.scalars(select(FlagRow).where(FlagRow.report_id == report.id).order_by(FlagRow.position)))
            elsewhere = cross_report_flags(s, report.id, copies)
            carried = _flag_dicts([carry_over_flag_for(s, report)])  # computed on read: load order never matters
            place = agency_place[report.agency]
            yield {
                "id": report.id,
                "agency": report.agency,
                "year": report.year,
                "title": report.title,
                "url": report.url,
                # every place it was found: its copies, and attachments we could not read (DOC, …)
                "urls": list(dict.fromkeys([*(c.url for c in copies),
                                            *(f.data["url"] for f in flags if f.kind == "attachment_failed")])),
                "published": report.published,
                "text": report.text,
                "text_original": report.text_original,
                "source_ids": sorted({c.source_id for c in copies}),
                "figures": {f.key: f.value for f in figures},
                "figures_evidence": {f.key: {"evidence": f.evidence, "method": f.method, "copy_id": f.copy_id,
                                             "snapshot": f.snapshot_hash} for f in figures},
                "stats": [{"table": c.table, "row": c.row, "column": c.column, "value": _number(c.value),
                           "row_label": c.row_label, "column_label": c.column_label, "table_index": c.table_index,
                           "empty": c.empty, "snapshot": c.snapshot_hash, "copy_id": c.copy_id, "origin": c.origin}
                          for c in stats],
                "flags": [{"kind": f.kind, "table": f.table, "detail": f.detail, "data": f.data} for f in flags]
                + elsewhere + carried,
                "format": report.format,
                "canonical_reason": report.canonical_reason,
                "copies": [{"id": c.id, "url": c.url, "kind": c.kind, "source_id": c.source_id, "official": c.official,
                            "match": c.match, "matched_copy_id": c.matched_copy_id, "similarity": c.similarity,
                            "tables_found": c.tables_found, "canonical": c.id == report.canonical_copy_id,
                            "snapshot": c.snapshot_hash, "changed_numbers": c.changed_numbers,
                            "first_seen_run": c.first_seen_run, "last_seen_run": c.last_seen_run} for c in copies],
                "first_seen_run": report.first_seen_run,
                "last_seen_run": report.last_seen_run,
                "place": {k: getattr(place, k) for k in (*PLACE_FIELDS, "origin")},
            }


def _flag_dicts(flags: list) -> list[dict]:
    return [{"kind": f.kind, "table": f.table, "detail": f.detail, "data": f.data} for f in flags if f is not None]


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
