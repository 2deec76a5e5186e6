"""The export contract: JSONL (one object per deduplicated report) and CSV (the scalar fields).

Contract fields: agency, year, title, url, urls, published, text, text_original, source_ids,
figures, stats, first_seen_run, last_seen_run. Added by us, never removed: id, canonical_reason,
format, copies (every copy with how it matched, the copy it matched — for a report document, its stub page —
and the statistics tables read from it), flags, figures_evidence; per stats cell its copy and origin;
place (the agency's division, level, kind and parent: ``core.regions``).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Iterator

from sqlalchemy import select

from storage.models import Copy, FigureRow, FlagRow, Report, StatRow
from storage.reports import cross_report_flags
from storage.store import Store

FIGURE_KEYS = ("applications_received", "disclosed", "partially_disclosed", "reconsiderations", "lawsuits")
PLACE_FIELDS = ("division", "division_code", "level", "agency_kind", "parent", "province")
CSV_FIELDS = ["id", "agency", "year", "title", "url", "published", "first_seen_run", "last_seen_run", "n_urls",
              "n_stats", "n_flags", "source_ids", *(f"figures.{k}" for k in FIGURE_KEYS),
              *(f"place.{k}" for k in PLACE_FIELDS)]


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


def export(store: Store, out: str | Path, fmt: str = "jsonl") -> int:
    """Write the export; returns the number of reports written."""
    out = Path(out)
    count = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for record in report_records(store):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        elif fmt == "csv":
            writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for record in report_records(store):
                writer.writerow(_flat(record))
                count += 1
        else:
            raise ValueError(f"unknown export format {fmt!r}")
    return count


def _flat(record: dict) -> dict:
    row = {k: record[k] for k in ("id", "agency", "year", "title", "url", "published", "first_seen_run", "last_seen_run")}
    row.update({"n_urls": len(record["urls"]), "n_stats": len(record["stats"]), "n_flags": len(record["flags"]),
                "source_ids": " ".join(record["source_ids"])})
    row.update({f"figures.{k}": record["figures"].get(k) for k in FIGURE_KEYS})
    row.update({f"place.{k}": record["place"].get(k) for k in PLACE_FIELDS})
    return row
