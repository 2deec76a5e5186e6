"""The export as two flat tables, for the formats a researcher opens in one line (CSV, Parquet):

* **reports**: one row per deduplicated report: its scalar fields, the key figures as typed
  columns, and its flags;
* **stats**: one row per statistics-table cell (long format): the report, the codebook codes of
  table, row and column, the value, the labels as printed, and where the cell came from.

The columns are declared once here (name, type, meaning); the CSV and Parquet writers, and the
README's schema table (checked by tests/test_docs.py), all read these declarations.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from sqlalchemy import select

from core.codebook import load_codebook
from core.dates import iso_date
from core.regions import PLACE_FIELDS
from storage.models import Copy, Report, StatRow
from storage.store import Store

STRING, INT, FLOAT, BOOL, DATE, STRINGS = "string", "int64", "float64", "bool", "date", "list[string]"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of the constants above (Parquet types; CSV writes them as text)
    meaning: str
    csv_name: str = ""  # the CSV header, when it differs (kept from the CSV's first version)

    @property
    def header(self) -> str:
        return self.csv_name or self.name


def figure_keys() -> tuple[str, ...]:
    """The key figures, in the codebook's order (the codebook is part of the export contract)."""
    return tuple(load_codebook().figures)


@lru_cache(maxsize=1)
def report_columns() -> tuple[Column, ...]:
    """The reports table. The CSV's first columns keep their first order (a CSV reader may go by
    position); columns added later come after them."""
    return (
        Column("id", STRING, "stable report id (derived from agency and year)"),
        Column("agency", STRING, "the agency, full name, simplified script"),
        Column("year", INT, "the statistical year the report covers"),
        Column("title", STRING, "title of the canonical copy"),
        Column("url", STRING, "URL of the canonical copy"),
        Column("published", DATE, "publication date as printed on the page (a Beijing calendar date), or null"),
        Column("first_seen_run", INT, "the crawl run that first found it"),
        Column("last_seen_run", INT, "the last crawl run that saw it"),
        Column("n_urls", INT, "places it or a copy of it was found"),
        Column("n_stats", INT, "statistics cells read (rows of stats for this report)"),
        Column("n_flags", INT, "flags raised on it"),
        Column("source_ids", STRINGS, "sources it was found through (CSV: space-separated)"),
        *(Column(key, INT, f"key figure `{key}` (codebook `figures`), null when not found",
                 csv_name=f"figures.{key}") for key in figure_keys()),
        Column("format", STRING, "statistics table format: 2019, 2021 or null (before the standard tables)"),
        Column("canonical_reason", STRING, "why this copy is the canonical one"),
        Column("n_copies", INT, "copies stored (HTML pages, attachments, mirrors)"),
        Column("flags", STRINGS, "kinds of its flags, e.g. check_failed, image_only_table (CSV: space-separated)"),
        *(Column(f"place_{key}", STRING, meaning, csv_name=f"place.{key}") for key, meaning in PLACE_COLUMNS),
    )


# What each of the agency's place fields (core.regions.PLACE_FIELDS) means: from the sources file,
# else inferred from its name.
_PLACE_MEANINGS = {
    "division": "行政区划 name of the agency's place",
    "division_code": "行政区划 code (six digits), only when the sources file gives it",
    "level": "省, 市 or 县",
    "agency_kind": "人民政府, 部门 or 办公厅",
    "parent": "the government the agency belongs to",
    "province": "the province (or 直辖市) of the place",
}
PLACE_COLUMNS = tuple((key, _PLACE_MEANINGS[key]) for key in PLACE_FIELDS)


STAT_COLUMNS = (
    Column("report_id", STRING, "the report (`id` in reports)"),
    Column("agency", STRING, "the report's agency"),
    Column("year", INT, "the report's statistical year"),
    Column("table", STRING, "codebook table code (requests, review_litigation, …)"),
    Column("row", STRING, "codebook row code"),
    Column("column", STRING, "codebook column code"),
    Column("value", FLOAT, "the number (counts are whole numbers; fees in 万元 may have decimals)"),
    Column("row_label", STRING, "the row's label as printed (heading path joined with ` / `)"),
    Column("column_label", STRING, "the column's label as printed"),
    Column("table_index", INT, "which table of the document (0-based)"),
    # not "empty" as in the JSONL: a DataFrame's .empty attribute would hide the column
    Column("blank", BOOL, "the printed cell was blank and read as 0 (`empty` in the JSONL; the report is flagged)"),
    Column("origin", STRING, "where the table was read: html, xlsx or text"),
    Column("copy_id", STRING, "the copy the cell was read from"),
    Column("url", STRING, "that copy's URL"),
    Column("snapshot", STRING, "sha256 of the stored raw bytes the cell was read from"),
)


def report_row(record: dict) -> dict:
    """One reports row (typed Python values) from an export record (``govreports.records.report_records``)."""
    row = {
        "id": record["id"], "agency": record["agency"], "year": record["year"], "title": record["title"],
        "url": record["url"], "published": iso_date(record["published"]),
        "first_seen_run": record["first_seen_run"], "last_seen_run": record["last_seen_run"],
        "n_urls": len(record["urls"]), "n_stats": len(record["stats"]), "n_flags": len(record["flags"]),
        "source_ids": list(record["source_ids"]),
        "format": record["format"], "canonical_reason": record["canonical_reason"],
        "n_copies": len(record["copies"]), "flags": sorted({f["kind"] for f in record["flags"]}),
    }
    row.update({key: record["figures"].get(key) for key in figure_keys()})
    row.update({f"place_{key}": record["place"].get(key) for key, _ in PLACE_COLUMNS})
    return row


def stat_rows(store: Store, batch: int = 10_000) -> Iterator[dict]:
    """Every stored statistics cell with its report and provenance, in (agency, year, cell) order;
    streamed from the database, so a large export holds one batch in memory, not all cells."""
    query = (select(StatRow.report_id, Report.agency, Report.year, StatRow.table, StatRow.row, StatRow.column,
                    StatRow.value, StatRow.row_label, StatRow.column_label, StatRow.table_index, StatRow.empty,
                    StatRow.origin, StatRow.copy_id, Copy.url, StatRow.snapshot_hash)
             .join(Report, Report.id == StatRow.report_id)
             .outerjoin(Copy, Copy.id == StatRow.copy_id)
             .order_by(Report.agency, Report.year, StatRow.id)
             .execution_options(yield_per=batch))
    names = [c.name for c in STAT_COLUMNS]
    with store.session() as s:
        for values in s.execute(query):
            row = dict(zip(names, values))
            row["blank"] = bool(row["blank"])
            yield row


def csv_value(value: object) -> object:
    """A typed value as CSV text: lists space-separated, whole floats without ``.0``, null empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def schema_markdown() -> str:
    """The README's table of both tables' columns (tests/test_docs.py keeps the README equal to it)."""
    parts = []
    for title, columns in (("`reports.parquet` / the reports CSV: one row per report", report_columns()),
                           ("`stats.parquet` / `NAME.stats.csv`: one row per statistics cell", STAT_COLUMNS)):
        parts += [f"**{title}**", "", "| column | type | meaning |", "|---|---|---|"]
        for column in columns:
            name = f"`{column.name}`" + (f" (CSV: `{column.csv_name}`)" if column.csv_name else "")
            parts.append(f"| {name} | {column.type} | {column.meaning} |")
        parts.append("")
    return "\n".join(parts).rstrip()
