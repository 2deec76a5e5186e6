"""The coverage ledger: for every agency known to the sources and every year in range, is the report
found, missing, or late?

Deadlines (政府信息公开条例; see shared DOMAIN.md): the report for year Y is due

* before the 2019 reports (the 2008 条例, Art. 31): **31 March of Y+1** for every body;
* from the 2019 reports on (the 2019 条例, Art. 49): **31 January of Y+1** for departments
  (政府部门) and **31 March of Y+1** for governments (人民政府, whose report is consolidated from
  their departments' reports).

"Government" is decided from the agency's name: a name ending in 人民政府 (or the short form
…市政府 / …县政府 / …区政府 that some sites use) is a government; everything else, including a
government's own office (…人民政府办公厅 / 办公室), is a department. A deadline ends at 24:00
Beijing time.

When is a report "late"? The legal deadline is about publication, so the evidence is, in order:

1. its **published** date (from the page's metadata) when we have one: late if after the deadline;
2. otherwise our **first-seen** date, but only if we *looked and did not find it*: some crawl run
   fetched from one of the agency's sources after the deadline and before the run that first saw
   the report. A report first seen by our very first crawl (years after its deadline) is simply
   found: not having looked earlier is not evidence of lateness.

Agencies "known to the sources": the ``name`` of every source (agency and mirror kinds name one
agency), plus every agency whose reports were found through these sources (portals list many).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Iterable

from core.dates import BEIJING, beijing_date, iso_date
from core.output import replacing
from core.regions import agency_kind_of
from core.sources import Source
from storage.reports import FoundReport
from storage.store import Store

NEW_RULES_FROM_YEAR = 2019  # the 2019 条例 governs the reports for 2019 on (published from 2020)
FOUND, MISSING, LATE = "found", "missing", "late"
CSV_FIELDS = ("agency", "year", "status", "first_seen", "published", "deadline", "evidence", "sources")


def is_government(agency: str) -> bool:
    """人民政府 and short forms (the one rule, ``core.regions``); a government's own office
    (办公厅/办公室) is a department here."""
    return agency_kind_of(agency) == "人民政府"


def deadline_for(agency: str, year: int) -> date:
    """The last day the report of ``agency`` for statistical year ``year`` may be published."""
    if year < NEW_RULES_FROM_YEAR or is_government(agency):
        return date(year + 1, 3, 31)
    return date(year + 1, 1, 31)


@dataclass(frozen=True)
class LedgerRow:
    agency: str
    year: int
    status: str  # found | missing | late
    deadline: date
    first_seen: date | None = None
    published: str | None = None
    evidence: str = ""  # why late, or "" for found / missing
    sources: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"agency": self.agency, "year": self.year, "status": self.status,
                "first_seen": self.first_seen.isoformat() if self.first_seen else "",
                "published": self.published or "", "deadline": self.deadline.isoformat(),
                "evidence": self.evidence, "sources": " ".join(self.sources)}


def ledger(sources: list[Source], years: tuple[int, int], found: Iterable[FoundReport],
           looks: dict[str, list[tuple[int, datetime]]]) -> list[LedgerRow]:
    """One row per (agency, year); ``looks`` maps a source id to its crawl runs (id, first fetch time)."""
    found = list(found)
    by_key = {(r.agency, r.year): r for r in found if years[0] <= r.year <= years[1]}
    agencies = sorted({s.name for s in sources if s.name} | {r.agency for r in found})  # any year: still known
    agency_sources = _sources_by_agency(sources, found)
    rows = []
    for agency in agencies:
        for year in range(years[0], years[1] + 1):
            report = by_key.get((agency, year))
            deadline = deadline_for(agency, year)
            if report is None:
                rows.append(LedgerRow(agency, year, MISSING, deadline, sources=agency_sources.get(agency, ())))
            else:
                rows.append(_found_row(report, deadline, looks))
    return rows


def _sources_by_agency(sources: list[Source], found: Iterable[FoundReport]) -> dict[str, tuple[str, ...]]:
    ids: dict[str, set[str]] = {}
    for source in sources:
        if source.name:
            ids.setdefault(source.name, set()).add(source.id)
    for report in found:
        ids.setdefault(report.agency, set()).update(report.source_ids)
    return {agency: tuple(sorted(v)) for agency, v in ids.items()}


def _found_row(report: FoundReport, deadline: date, looks: dict[str, list[tuple[int, datetime]]]) -> LedgerRow:
    end_of_deadline = datetime.combine(deadline + timedelta(days=1), time(0), BEIJING)
    first_seen_day = beijing_date(report.first_seen)
    base = dict(agency=report.agency, year=report.year, deadline=deadline, first_seen=first_seen_day,
                published=report.published, sources=report.source_ids)
    published = iso_date(report.published)
    if published is not None:
        if published > deadline:
            return LedgerRow(status=LATE, evidence=f"published {published} after the {deadline} deadline", **base)
        return LedgerRow(status=FOUND, **base)
    missed_by = _looked_and_missed(report, end_of_deadline, looks)
    if missed_by is not None:
        return LedgerRow(status=LATE, evidence=f"not found by run {missed_by} after the deadline; first seen later",
                         **base)
    return LedgerRow(status=FOUND, **base)


def _looked_and_missed(report: FoundReport, end_of_deadline: datetime,
                       looks: dict[str, list[tuple[int, datetime]]]) -> int | None:
    """The first run that crawled the report's sources after the deadline but did not find it."""
    for source_id in report.source_ids:
        for run_id, looked_at in sorted(looks.get(source_id, [])):
            if run_id < report.first_seen_run and looked_at >= end_of_deadline:
                return run_id
    return None


def coverage_ledger(store: Store, sources: list[Source], years: tuple[int, int]) -> list[LedgerRow]:
    """The ledger from the store: the reports found through ``sources`` and their runs."""
    source_ids = [s.id for s in sources]
    return ledger(sources, years, store.coverage_reports(source_ids), store.source_looks(source_ids))


def status_counts(rows: list[LedgerRow]) -> dict[str, int]:
    counts = {FOUND: 0, LATE: 0, MISSING: 0}
    for row in rows:
        counts[row.status] += 1
    return counts


def to_csv(rows: list[LedgerRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.as_dict())
    return buffer.getvalue()


def write_csv(rows: list[LedgerRow], out: Path) -> None:
    """UTF-8 with a BOM, so that Excel on a Chinese Windows reads it as UTF-8 and not as GBK."""
    with replacing(out) as temporary:
        temporary.write_text(to_csv(rows), encoding="utf-8-sig")


def default_years(found: Iterable[FoundReport]) -> tuple[int, int] | None:
    """The span of years with any report, when the user gives none."""
    years = [r.year for r in found]
    return (min(years), max(years)) if years else None
