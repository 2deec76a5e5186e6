"""The export: the contract's records, and the formats they are written in.

Contract fields: agency, year, title, url, urls, published, text, text_original, source_ids,
figures, stats, first_seen_run, last_seen_run. Added by us, never removed: id, canonical_reason,
format, copies (every copy with how it matched, the copy it matched — for a report document, its stub page —
and the statistics tables read from it), flags, figures_evidence; per stats cell its copy and origin;
place (the agency's division, level, kind and parent: ``core.regions``).

Formats are registered by name (``FORMATS``): each is one function from the store and ``--out`` to
the files it wrote, and says whether ``--out`` is a file or a directory (the CLI checks it before
any work). Adding a format is one decorated function:

* ``jsonl`` (a file): one full record per report;
* ``csv`` (a file): the reports table, plus the long-format statistics table beside it
  (``NAME.stats.csv``), UTF-8 with a BOM;
* ``parquet`` (a directory): ``reports.parquet`` and ``stats.parquet``, typed (``govreports.tabular``);
* ``sqlite`` (a file): the browse database ``govreports browse`` serves (``govreports.browse``).

Every file is written to a temporary name and renamed into place when complete.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable


from core.output import replacing
from govreports.tabular import STAT_COLUMNS, csv_value, report_columns, report_row, stat_rows
from govreports.records import report_records
from storage.store import Store

FILE, DIRECTORY = "file", "directory"
# UTF-8 with a byte-order mark: Excel on a Chinese Windows otherwise opens a CSV as GBK (mojibake).
CSV_ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class Written:
    path: Path
    rows: int
    what: str  # "reports" | "statistics cells"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    target: str  # FILE or DIRECTORY: what --out names
    write: Callable[[Store, Path], list[Written]]
    description: str


FORMATS: dict[str, ExportFormat] = {}


def export_format(name: str, target: str, description: str):
    """Register a writer ``(store, out) -> [Written]`` as the export format ``name``."""
    def register(write: Callable[[Store, Path], list[Written]]):
        if name in FORMATS:
            raise ValueError(f"export format {name!r} registered twice")
        FORMATS[name] = ExportFormat(name, target, write, description)
        return write
    return register


def export(store: Store, out: str | Path, fmt: str = "jsonl") -> list[Written]:
    """Write the export in format ``fmt``; returns what was written where."""
    return FORMATS[fmt].write(store, Path(out))


@export_format("jsonl", FILE, "one full record per report (the export contract)")
def write_jsonl(store: Store, out: Path) -> list[Written]:
    count = 0
    with replacing(out) as temporary, temporary.open("w", encoding="utf-8", newline="") as handle:
        for record in report_records(store):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return [Written(out, count, "reports")]


def stats_csv_path(out: Path) -> Path:
    """The long-format statistics CSV beside the reports CSV: reports.csv → reports.stats.csv."""
    return out.with_name(f"{out.stem}.stats{out.suffix or '.csv'}")


@export_format("csv", FILE, "the reports table, and NAME.stats.csv beside it (one row per statistics cell)")
def write_csv(store: Store, out: Path) -> list[Written]:
    reports = _write_csv_rows(out, report_columns(), (report_row(r) for r in report_records(store)))
    stats_out = stats_csv_path(out)
    stats = _write_csv_rows(stats_out, STAT_COLUMNS, stat_rows(store))
    return [Written(out, reports, "reports"), Written(stats_out, stats, "statistics cells")]


def _write_csv_rows(out: Path, columns, rows: Iterable[dict]) -> int:
    count = 0
    with replacing(out) as temporary, temporary.open("w", encoding=CSV_ENCODING, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in columns])
        for row in rows:
            writer.writerow([csv_value(row[c.name]) for c in columns])
            count += 1
    return count


@export_format("parquet", DIRECTORY, "reports.parquet and stats.parquet in the directory --out, typed columns")
def write_parquet(store: Store, out: Path) -> list[Written]:
    from govreports.parquet import write_table

    created = not out.exists()
    out.mkdir(exist_ok=True)
    try:
        reports = write_table(out / "reports.parquet", report_columns(), (report_row(r) for r in report_records(store)))
        stats = write_table(out / "stats.parquet", STAT_COLUMNS, stat_rows(store))
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()  # a failed export leaves no trace of itself
        raise
    return [Written(out / "reports.parquet", reports, "reports"), Written(out / "stats.parquet", stats,
                                                                          "statistics cells")]


@export_format("sqlite", FILE, "the browse database `govreports browse` serves: reports, cells, metrics, coverage")
def write_sqlite(store: Store, out: Path) -> list[Written]:
    from govreports.browse import build_browse_db

    built = build_browse_db(store, out)
    return [Written(out, built.reports, "reports")]
