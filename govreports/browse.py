"""The database as people browse it: a SQLite file shaped for reading (``export --format sqlite``)
and Datasette serving it on 127.0.0.1 (``govreports browse``).

Why an export and not the crawl database itself: the same file comes out of SQLite and Postgres
stores; the derived data (metrics, the cross-year check, the coverage ledger, agencies in their
place) are tables a reader can facet and query; labels from the codebook sit next to the labels as
printed; and the web server never holds the crawl's database open while a crawl writes to it.
``browse`` builds the file fresh when it starts (a few seconds for thousands of reports).

Tables (each described in Chinese and English in the Datasette metadata, ``metadata``):
``reports``, ``cells``, ``figures``, ``flags``, ``identity_breaks``, ``metrics``,
``metric_dictionary``, ``metrics_by_region``, ``agencies``, ``coverage``, ``codebook``, ``runs``.
Canned queries: the agency × year matrix of applications received, the reports breaking an identity
(with the identity and the numbers), one report's cells (labels as printed, links to the source URL
and to the stored snapshot) and the coverage ledger.

Snapshots: ``browse`` also serves the stored raw bytes of a copy at ``/-/snapshot/<sha256>`` (read
from the crawl database, sandboxed so a saved page's scripts never run), and every ``snapshot``
column links there.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from analysis.coverage import coverage_ledger, default_years
from analysis.dataviews import agency_places, report_numbers, sources_in_db
from govreports.records import report_records
from analysis.metrics import METRICS, all_metrics, roll_up
from core.sources import Source
from core.codebook import load_codebook
from core.regions import PLACE_FIELDS
from parsing.figures import FIGURE_KEYS
from storage.models import CrawlRun
from storage.store import Store

DB_NAME = "govreports"  # browse's file name, so the URLs read /govreports/reports

SCHEMA = f"""
CREATE TABLE reports (id TEXT PRIMARY KEY, agency TEXT NOT NULL, year INTEGER NOT NULL, title TEXT, url TEXT,
  published TEXT, format TEXT, {", ".join(f"{c} TEXT" for c in PLACE_FIELDS)},
  {", ".join(f"{k} INTEGER" for k in FIGURE_KEYS)}, n_copies INTEGER, n_cells INTEGER, n_flags INTEGER,
  flag_kinds TEXT, canonical_reason TEXT, source_ids TEXT, first_seen_run INTEGER, last_seen_run INTEGER);
CREATE TABLE cells (id INTEGER PRIMARY KEY, report_id TEXT NOT NULL REFERENCES reports(id), agency TEXT, year INTEGER,
  table_code TEXT, row_code TEXT, column_code TEXT, value REAL, empty INTEGER, row_label TEXT, column_label TEXT,
  codebook_row TEXT, codebook_column TEXT, table_index INTEGER, url TEXT, snapshot TEXT);
CREATE TABLE figures (report_id TEXT NOT NULL REFERENCES reports(id), agency TEXT, year INTEGER, key TEXT, value INTEGER,
  method TEXT, evidence TEXT, snapshot TEXT, PRIMARY KEY (report_id, key));
CREATE TABLE flags (id INTEGER PRIMARY KEY, report_id TEXT NOT NULL REFERENCES reports(id), agency TEXT, year INTEGER,
  kind TEXT, table_code TEXT, detail TEXT, data TEXT);
CREATE TABLE identity_breaks (id INTEGER PRIMARY KEY, report_id TEXT NOT NULL REFERENCES reports(id), agency TEXT,
  year INTEGER, kind TEXT, table_code TEXT, identity TEXT, "where" TEXT, lhs TEXT, rhs TEXT, lhs_total REAL,
  rhs_total REAL, other_report_id TEXT, url TEXT);
CREATE TABLE metrics (id INTEGER PRIMARY KEY, report_id TEXT NOT NULL REFERENCES reports(id), agency TEXT,
  year INTEGER, metric TEXT, name_zh TEXT, value REAL, value_pct REAL, numerator REAL, denominator REAL,
  expression TEXT, caveats TEXT, inputs TEXT, {", ".join(f"{c} TEXT" for c in PLACE_FIELDS)});
CREATE TABLE metric_dictionary (key TEXT PRIMARY KEY, name_zh TEXT, name_en TEXT, unit TEXT, definition TEXT,
  formula TEXT, caveats TEXT);
CREATE TABLE metrics_by_region (id INTEGER PRIMARY KEY, grouping TEXT, "group" TEXT, year INTEGER, metric TEXT,
  name_zh TEXT, reports INTEGER, value REAL, numerator REAL, denominator REAL);
CREATE TABLE agencies (agency TEXT PRIMARY KEY, {", ".join(f"{c} TEXT" for c in PLACE_FIELDS)}, place_origin TEXT,
  reports INTEGER, first_year INTEGER, last_year INTEGER);
CREATE TABLE coverage (id INTEGER PRIMARY KEY, agency TEXT, year INTEGER, status TEXT, deadline TEXT,
  first_seen TEXT, published TEXT, evidence TEXT, sources TEXT, report_id TEXT, division TEXT, level TEXT,
  agency_kind TEXT);
CREATE TABLE codebook (id INTEGER PRIMARY KEY, table_code TEXT, kind TEXT, code TEXT, label TEXT);
CREATE TABLE runs (id INTEGER PRIMARY KEY, flow TEXT, state TEXT, started_at TEXT, ended_at TEXT, reports_new INTEGER,
  reports_changed INTEGER, documents_fetched INTEGER, requests INTEGER, parameters TEXT);
CREATE INDEX ix_reports_agency_year ON reports(agency, year);
CREATE INDEX ix_cells_report ON cells(report_id);
CREATE INDEX ix_cells_codes ON cells(table_code, row_code, column_code);
CREATE INDEX ix_flags_report ON flags(report_id);
CREATE INDEX ix_flags_kind ON flags(kind);
CREATE INDEX ix_metrics_metric_year ON metrics(metric, year);
CREATE INDEX ix_coverage_agency_year ON coverage(agency, year);
"""


@dataclass(frozen=True)
class BrowseDb:
    path: Path
    years: list[int]  # years with a report (the matrix query's columns)
    reports: int


def build_browse_db(store: Store, out: str | Path, sources: list[Source] | None = None,
                    years: tuple[int, int] | None = None) -> BrowseDb:
    """Write the browse database to ``out`` (replaced if it exists). ``sources`` and ``years`` set
    the coverage ledger's agencies and span (default: the sources recorded by crawls, the years found)."""
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    sources = sources if sources is not None else sources_in_db(store)
    places = agency_places(store, sources)
    connection = sqlite3.connect(tmp)
    try:
        connection.executescript(SCHEMA)
        report_years = _write_reports(connection, store, places)
        values = all_metrics(report_numbers(store))
        _write_metrics(connection, values, places)
        _write_agencies(connection, places)
        span = years or default_years(store.coverage_reports([s.id for s in sources]))
        if span is not None and sources:
            _write_coverage(connection, coverage_ledger(store, sources, span), places)
        _write_codebook(connection)
        _write_runs(connection, store)
        connection.commit()
        count = connection.execute("SELECT count(*) FROM reports").fetchone()[0]
    finally:
        connection.close()
    tmp.replace(out)
    return BrowseDb(out, sorted(report_years), count)


def _place_values(place) -> list:
    return [getattr(place, c) for c in PLACE_FIELDS]


def _write_reports(connection: sqlite3.Connection, store: Store, places: dict) -> set[int]:
    codebook = load_codebook()
    years: set[int] = set()
    for r in report_records(store):
        years.add(r["year"])
        place = places[r["agency"]]
        kinds = sorted({f["kind"] for f in r["flags"]})
        values = [
            r["id"], r["agency"], r["year"], r["title"], r["url"], r["published"], r["format"], *_place_values(place),
            *(r["figures"].get(k) for k in FIGURE_KEYS), len(r["copies"]), len(r["stats"]), len(r["flags"]),
            ", ".join(kinds), r["canonical_reason"], " ".join(r["source_ids"]), r["first_seen_run"],
            r["last_seen_run"]]
        connection.execute(f"INSERT INTO reports VALUES ({', '.join('?' * len(values))})", values)
        connection.executemany(
            "INSERT INTO cells (report_id, agency, year, table_code, row_code, column_code, value, empty, row_label, "
            "column_label, codebook_row, codebook_column, table_index, url, snapshot) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r["id"], r["agency"], r["year"], c["table"], c["row"], c["column"], c["value"], int(c["empty"]),
              c["row_label"], c["column_label"], *_codebook_labels(codebook, c), c["table_index"], r["url"],
              c["snapshot"]) for c in r["stats"]])
        connection.executemany(
            "INSERT INTO figures VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r["id"], r["agency"], r["year"], key, value, r["figures_evidence"][key]["method"],
              r["figures_evidence"][key]["evidence"], r["figures_evidence"][key]["snapshot"])
             for key, value in r["figures"].items()])
        connection.executemany(
            "INSERT INTO flags (report_id, agency, year, kind, table_code, detail, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r["id"], r["agency"], r["year"], f["kind"], f["table"], f["detail"],
              json.dumps(f["data"], ensure_ascii=False)) for f in r["flags"]])
        connection.executemany(
            "INSERT INTO identity_breaks (report_id, agency, year, kind, table_code, identity, \"where\", lhs, rhs, "
            "lhs_total, rhs_total, other_report_id, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r["id"], r["agency"], r["year"], *row, r["url"]) for f in r["flags"] for row in _breaks(f)])
    return years


def _codebook_labels(codebook, cell: dict) -> tuple[str | None, str | None]:
    table = codebook.tables.get(cell["table"])
    if table is None:
        return None, None
    return table.rows.get(cell["row"]), table.columns.get(cell["column"])


def _breaks(flag: dict) -> list[tuple]:
    """identity_breaks rows of one flag: (kind, table, identity, where, lhs, rhs, lhs_total, rhs_total, other)."""
    data = flag.get("data") or {}
    if flag["kind"] == "check_failed":
        lhs, rhs = data.get("lhs", {}), data.get("rhs", {})
        return [(flag["kind"], flag["table"], data.get("check"), data.get("where"), _terms(lhs), _terms(rhs),
                 data.get("lhs_total"), data.get("rhs_total"), None)]
    if flag["kind"] == "carry_over_mismatch":
        earlier = data.get("earlier", {})
        return [(flag["kind"], flag["table"], data.get("check"), f"column {c['column']}",
                 f"carried_over {_num(c['carried_over'])} ({data['later']['year']})",
                 f"carried_forward {_num(c['last_year_carried_forward'])} ({earlier.get('year')})",
                 c["carried_over"], c["last_year_carried_forward"], earlier.get("id")) for c in data.get("columns", [])]
    return []


def _terms(side: dict) -> str:
    shown = " + ".join(f"{code} {_num(value)}" for code, value in side.items()) or "0"
    return f"{shown} = {_num(sum(side.values()))}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _write_metrics(connection: sqlite3.Connection, values: list, places: dict) -> None:
    names = {m.key: m.name_zh for m in METRICS}
    connection.executemany(
        f"INSERT INTO metrics (report_id, agency, year, metric, name_zh, value, value_pct, numerator, denominator, "
        f"expression, caveats, inputs, {', '.join(PLACE_FIELDS)}) VALUES ({', '.join('?' * 18)})",
        [(v.report_id, v.agency, v.year, v.metric, names[v.metric], v.value, v.value_pct, v.numerator, v.denominator,
          v.expression, "; ".join(v.caveats), _inputs_text(v.inputs),
          *_place_values(places[v.agency])) for v in values])
    connection.executemany("INSERT INTO metric_dictionary VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(m.key, m.name_zh, m.name_en, m.unit, m.definition, m.formula, m.caveats) for m in METRICS])
    for grouping in ("division", "level", "province"):
        groups = {agency: getattr(place, grouping) for agency, place in places.items()}
        connection.executemany(
            'INSERT INTO metrics_by_region (grouping, "group", year, metric, name_zh, reports, value, numerator, '
            "denominator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(grouping, r.group, r.year, r.metric, names[r.metric], r.reports, r.value, r.numerator, r.denominator)
             for r in roll_up(values, groups)])


def _inputs_text(inputs) -> str:
    """The cells a metric read, compactly: "requests/disclosed/total=14, … | requests/total/total=83"
    (numerator | denominator; "(blank)" where the cell was empty and read as 0)."""
    sides: dict[str, list[str]] = {}
    for item in inputs:
        label = f"{item['ref']}={_num(item['value'])}" + (" (blank)" if item.get("empty") else "")
        if "year" in item:
            label = f"{item['year']}: {label}"
        sides.setdefault(item.get("side", ""), []).append(label)
    return " | ".join(", ".join(labels) for labels in sides.values())


def _write_agencies(connection: sqlite3.Connection, places: dict) -> None:
    for agency, place in places.items():
        connection.execute(
            f"INSERT INTO agencies VALUES (?, {', '.join('?' * len(PLACE_FIELDS))}, ?, "
            "(SELECT count(*) FROM reports WHERE agency = ?), (SELECT min(year) FROM reports WHERE agency = ?), "
            "(SELECT max(year) FROM reports WHERE agency = ?))",
            [agency, *_place_values(place), json.dumps(place.origin, ensure_ascii=False), agency, agency, agency])


def _write_coverage(connection: sqlite3.Connection, rows: list, places: dict) -> None:
    from dedup.identity import report_id_for

    connection.executemany(
        "INSERT INTO coverage (agency, year, status, deadline, first_seen, published, evidence, sources, report_id, "
        "division, level, agency_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(row.agency, row.year, row.status, row.deadline.isoformat(),
          row.first_seen.isoformat() if row.first_seen else None, row.published, row.evidence, " ".join(row.sources),
          report_id_for(row.agency, row.year) if row.status != "missing" else None,
          *(getattr(places[row.agency], c) if row.agency in places else None
            for c in ("division", "level", "agency_kind"))) for row in rows])


def _write_codebook(connection: sqlite3.Connection) -> None:
    codebook = load_codebook()
    connection.executemany("INSERT INTO codebook (table_code, kind, code, label) VALUES (?, ?, ?, ?)",
                           [(table.code, kind, code, label) for table in codebook.tables.values()
                            for kind, labels in (("table", {table.code: table.label}), ("row", table.rows),
                                                 ("column", table.columns)) for code, label in labels.items()])


def _write_runs(connection: sqlite3.Connection, store: Store) -> None:
    with store.session() as s:
        runs = list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    connection.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (run.id, run.flow, run.state, run.started_at.isoformat() if run.started_at else None,
         run.ended_at.isoformat() if run.ended_at else None, (run.counts or {}).get("reports_new"),
         (run.counts or {}).get("reports_changed"), (run.counts or {}).get("documents_fetched"),
         (run.counts or {}).get("requests"), json.dumps(run.parameters or {}, ensure_ascii=False)) for run in runs])


# -- Datasette metadata ----------------------------------------------------------------------------------

def _both(zh: str, en: str) -> str:
    return f"{zh} / {en}"


PLACE_DESCRIPTIONS = {
    "division": _both("行政区划名称", "administrative division (sources file, else inferred from the name)"),
    "division_code": _both("行政区划代码（GB/T 2260）", "division code, only when the sources file gives it"),
    "level": _both("层级：省 / 市 / 县", "level: provincial, prefectural, county"),
    "agency_kind": _both("机关类型：人民政府 / 部门 / 办公厅", "kind of agency: government, department, government office"),
    "parent": _both("所属人民政府", "the government the agency belongs to"),
    "province": _both("所在省级行政区（名称中写明时）", "provincial division, when the name states it"),
}
COMMON = {"report_id": _both("报告编号（按机关+年度稳定）", "report id, stable across crawls"),
          "agency": _both("机关全称", "agency, full name"), "year": _both("统计年度", "statistical year (not the publication year)")}


def table_metadata(codebook_note: str) -> dict:
    return {
        "reports": {
            "title": _both("年度报告", "reports"),
            "description": _both("每个机关每个年度一份去重后的政府信息公开工作年度报告；关键数据取自统计表或正文",
                                 "one deduplicated report per agency and year, with its key figures (from the "
                                 "tables, or from prose before 2019)"),
            "label_column": "title", "sort": "agency",
            "facets": ["agency", "year", "format", "level", "agency_kind", "flag_kinds"],
            "columns": {"id": COMMON["report_id"], "agency": COMMON["agency"], "year": COMMON["year"],
                        "title": _both("标题", "title"), "url": _both("规范副本网址", "URL of the canonical copy"),
                        "published": _both("发布日期", "published (YYYY-MM-DD)"),
                        "format": _both("统计表格式：2019 / 2021 / 空（2019年前）", "table format: 2019, 2021, or none"),
                        **PLACE_DESCRIPTIONS,
                        "applications_received": _both("本年新收申请数", "applications received"),
                        "disclosed": _both("予以公开", "disclosed"), "partially_disclosed": _both("部分公开", "partially disclosed"),
                        "reconsiderations": _both("行政复议数", "administrative reconsiderations"),
                        "lawsuits": _both("行政诉讼数", "lawsuits"),
                        "n_copies": _both("副本数", "copies found"), "n_cells": _both("统计表数字数", "table cells"),
                        "n_flags": _both("标记数", "flags"), "flag_kinds": _both("标记类型", "kinds of flags"),
                        "canonical_reason": _both("选为规范副本的理由", "why this copy is canonical"),
                        "source_ids": _both("来源编号", "sources it was found through"),
                        "first_seen_run": _both("首次发现的运行", "first seen by run"),
                        "last_seen_run": _both("最近发现的运行", "last seen by run")},
        },
        "cells": {
            "title": _both("统计表数字", "table cells"),
            "description": _both("统计表中的每个数字，带表格、行、列编码（" + codebook_note + "），原表中的行列标签，以及出处网址和快照",
                                 "every number of the statistics tables with codebook codes, the labels as printed, "
                                 "and the URL and stored snapshot it was read from"),
            "facets": ["table_code", "year", "agency", "empty"],
            "columns": {"report_id": COMMON["report_id"], "agency": COMMON["agency"], "year": COMMON["year"],
                        "table_code": _both("表格编码", "codebook table code"), "row_code": _both("行编码", "row code"),
                        "column_code": _both("列编码", "column code"), "value": _both("数值", "value"),
                        "empty": _both("原表空白，按 0 读取", "the cell was blank and read as 0"),
                        "row_label": _both("原表行标签", "row label as printed"),
                        "column_label": _both("原表列标签", "column label as printed"),
                        "codebook_row": _both("代码表行标签（官方表述）", "the codebook's official row label"),
                        "codebook_column": _both("代码表列标签（官方表述）", "the codebook's official column label"),
                        "table_index": _both("文档中第几个表（从0起）", "position of the table in the document"),
                        "url": _both("来源网址", "source URL"),
                        "snapshot": _both("存储的原始快照（sha256）", "stored raw snapshot (sha256); browse serves it")},
        },
        "figures": {
            "title": _both("关键数据", "key figures"),
            "description": _both("每份报告的关键数据及其出处（统计表单元格或原文句子）",
                                 "key figures of every report with the cell or sentence each came from"),
            "facets": ["key", "method", "year"],
            "columns": {"key": _both("数据项", "figure key (codebook figures)"), "value": _both("数值", "value"),
                        "method": _both("读取方式：table / appendix / prose", "how it was read"),
                        "evidence": _both("出处原文", "the sentence or cell it came from"),
                        "snapshot": _both("快照", "snapshot")},
        },
        "flags": {
            "title": _both("标记", "flags"),
            "description": _both("读者应当知道的问题：勾稽关系不成立、跨年度结转不一致、表格为图片、空白按0读取、附件无法读取等",
                                 "what a reader must know: broken identities, cross-year carry-over mismatches, "
                                 "image-only tables, blanks read as 0, unreadable attachments…"),
            "facets": ["kind", "agency", "year", "table_code"],
            "columns": {"kind": _both("标记类型", "kind"), "detail": _both("说明（含等式与数字）", "detail, with the numbers"),
                        "data": _both("机器可读的数字", "the numbers, machine-readable (JSON)"),
                        "table_code": _both("表格编码", "table code")},
        },
        "identity_breaks": {
            "title": _both("勾稽关系不成立", "broken identities"),
            "description": _both("数字不满足勾稽关系的报告：等式、位置和两边的数字（从不修正）",
                                 "reports whose numbers break an identity: the identity, where, and both sides' "
                                 "numbers (never corrected)"),
            "facets": ["kind", "agency", "year"],
            "columns": {"identity": _both("等式", "identity"), "where": _both("位置（行/列）", "where (row or column)"),
                        "lhs": _both("左边", "left-hand side"), "rhs": _both("右边", "right-hand side"),
                        "other_report_id": _both("跨年度核对的上年报告", "last year's report (cross-year check)")},
        },
        "metrics": {
            "title": _both("衍生指标", "derived metrics"),
            "description": _both("由统计表数字计算的指标，含公式中的数字、所用单元格与注意事项；定义见 metric_dictionary",
                                 "metrics computed from the cells, with the numbers in the formula, the cells read "
                                 "and the caveats; definitions in metric_dictionary"),
            "facets": ["metric", "year", "level", "division"],
            "columns": {"metric": _both("指标", "metric key"), "name_zh": _both("指标名称", "metric name"),
                        "value": _both("值（比率为 0-1）", "value (rates 0-1)"),
                        "value_pct": _both("同比变化率", "relative change (applications_change)"),
                        "expression": _both("代入数字的公式", "the formula with the numbers"),
                        "inputs": _both("所用单元格：分子 | 分母", "cells read: numerator | denominator"),
                        "caveats": _both("注意事项：空白按0、勾稽关系不成立、分母为0", "caveats")},
        },
        "metric_dictionary": {
            "title": _both("指标说明", "metric dictionary"),
            "description": _both("每个指标的定义、以代码表编码写的公式和注意事项",
                                 "each metric's definition, formula in codebook codes, and caveats"),
        },
        "metrics_by_region": {
            "title": _both("按地区汇总的指标", "metrics by region"),
            "description": _both("按行政区划、层级或省汇总：比率为分子之和除以分母之和（不是比率的平均）",
                                 "rolled up by division, level or province: rates pooled (sum of numerators over "
                                 "sum of denominators), never averaged"),
            "facets": ["grouping", "metric", "year"],
        },
        "agencies": {
            "title": _both("机关", "agencies"),
            "description": _both("每个机关的行政区划、层级、类型和所属人民政府（来源文件给出，或由名称推断）",
                                 "every agency in its place: division, level, kind, parent (sources file, or "
                                 "inferred from the name; place_origin says which)"),
            "facets": ["level", "agency_kind", "division", "province"],
            "columns": {**PLACE_DESCRIPTIONS, "place_origin": _both("各字段来源", "where each field came from")},
        },
        "coverage": {
            "title": _both("覆盖台账", "coverage ledger"),
            "description": _both("每个机关每个年度：已找到、迟发布（晚于法定期限）或缺失",
                                 "per agency and year: found, late (after the legal deadline) or missing"),
            "facets": ["status", "year", "level", "agency_kind"],
            "columns": {"status": _both("状态：found / late / missing", "status"),
                        "deadline": _both("法定发布期限", "legal deadline"),
                        "first_seen": _both("首次发现日期", "first seen"),
                        "evidence": _both("判定迟发布的依据", "why late")},
        },
        "codebook": {
            "title": _both("代码表", "codebook"),
            "description": _both("统计表的表格、行、列编码及官方标签（导出契约的一部分）",
                                 "the codes of the statistics tables with their official labels (part of the "
                                 "export contract)"),
            "facets": ["table_code", "kind"],
        },
        "runs": {"title": _both("运行记录", "runs"), "description": _both("抓取和重新解析的运行", "crawl and reparse runs"),
                 "facets": ["flow", "state"]},
    }


def matrix_sql(years: list[int]) -> str:
    """The agency × year matrix of applications received (one column per year with a report)."""
    columns = ",\n  ".join(f'max(CASE WHEN year = {y} THEN applications_received END) AS "{y}"' for y in years)
    return (f"SELECT agency, level, division,\n  {columns}\nFROM reports\nGROUP BY agency, level, division\n"
            f"ORDER BY level DESC, division, agency")


BREAKS_SQL = """SELECT b.agency, b.year, b.kind, b.identity, b."where", b.lhs, b.rhs, b.lhs_total, b.rhs_total,
  b.other_report_id, b.report_id, r.url
FROM identity_breaks b JOIN reports r ON r.id = b.report_id
ORDER BY b.agency, b.year, b.id"""

REPORT_CELLS_SQL = """SELECT c.row_label, c.column_label, c.value, c.empty, c.snapshot, c.url, c.codebook_row,
  c.codebook_column, c.table_code, c.row_code, c.column_code
FROM cells c
WHERE c.report_id = :report_id
ORDER BY c.id"""

COVERAGE_SQL = """SELECT agency, year, status, deadline, published, first_seen, evidence, sources, level, agency_kind,
  report_id
FROM coverage
ORDER BY agency, year"""

REGION_SQL = """SELECT grouping, "group", year, name_zh, metric, reports, value, numerator, denominator
FROM metrics_by_region
WHERE grouping = :grouping
ORDER BY metric, "group", year"""


def canned_queries(years: list[int]) -> dict:
    return {
        "applications_matrix": {
            "title": _both("各机关各年度收到申请数", "applications received, agency × year"),
            "description": _both("本年新收政府信息公开申请数（2019年前取自正文或附表）；空白为未找到报告或报告未写明",
                                 "applications received (before 2019 from prose or appendix tables); blank: no "
                                 "report, or the report does not say"),
            "sql": matrix_sql(years)},
        "identity_breaks": {
            "title": _both("勾稽关系不成立的报告", "reports breaking an identity"),
            "description": _both("等式、位置和两边的数字；跨年度结转核对同列", "the identity, where, and the numbers on both "
                                 "sides; the cross-year carry-over check included"),
            "sql": BREAKS_SQL},
        "report_cells": {
            "title": _both("一份报告的统计表数字", "one report's cells"),
            "description": _both("原表的行列标签、代码表标签、数值，以及来源网址和存储的快照",
                                 "labels as printed and from the codebook, values, the source URL and the stored "
                                 "snapshot; report_id from the reports table"),
            "sql": REPORT_CELLS_SQL},
        "coverage_ledger": {
            "title": _both("覆盖台账", "the coverage ledger"),
            "description": _both("每个机关每个年度：found / late / missing", "per agency and year: found, late or missing"),
            "sql": COVERAGE_SQL},
        "region_rollup": {  # not named like the table: a canned query would shadow it
            "title": _both("按地区汇总的指标", "metrics rolled up by region"),
            "description": _both("grouping 填 division、level 或 province", "grouping: division, level or province"),
            "sql": REGION_SQL},
    }


def metadata(built: BrowseDb) -> dict:
    note = "见 codebook 表 / see the codebook table"
    return {
        "title": "govreports: 政府信息公开工作年度报告 / government information disclosure annual reports",
        "description": _both("每个机关、每个年度、每个数字，均可追溯到报告、网址、快照和单元格",
                             "every agency, every year, every number, traceable to its report, URL, snapshot and cell"),
        "source": "govreports", "source_url": "https://github.com/govreports/govreports",
        # Datasette names a database after its file: browse writes govreports.db, so URLs read /govreports/…
        "databases": {built.path.stem: {"tables": table_metadata(note), "queries": canned_queries(built.years)}},
    }


# -- serving ---------------------------------------------------------------------------------------------

SnapshotReader = Callable[[str], tuple[bytes, str | None]]


def make_datasette(built: BrowseDb, snapshots: SnapshotReader | None = None):
    """The Datasette app over the browse database (immutable: it is a snapshot for reading)."""
    from datasette.app import Datasette

    from govreports import browse_plugin

    browse_plugin.register()
    ds = Datasette(immutables=[str(built.path)], metadata=metadata(built),
                   settings={"default_page_size": 50, "sql_time_limit_ms": 5000, "facet_time_limit_ms": 500,
                             "max_returned_rows": 5000, "allow_download": False},
                   cors=False)
    ds.govreports_snapshots = snapshots  # read by browse_plugin's /-/snapshot/<hash> route
    return ds


def store_snapshot_reader(store: Store) -> SnapshotReader:
    def read(content_hash: str) -> tuple[bytes, str | None]:
        return store.load_snapshot(content_hash), store.snapshot_content_type(content_hash)

    return read


def serve(ds, port: int, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve on 127.0.0.1 until interrupted (Ctrl-C)."""
    import uvicorn

    config = uvicorn.Config(ds.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready(f"http://127.0.0.1:{port}/{ds.get_database().name}")
    server.run()


def _port_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run_browse(store: Store, port: int, keep: Path | None, sources: list[Source] | None = None,
               years: tuple[int, int] | None = None, echo: Callable[[str], None] = print) -> None:
    """Build the browse database (kept at ``keep``, else in a temporary directory) and serve it until
    interrupted."""
    import tempfile

    from core.errors import ConfigError

    if not _port_free(port):
        raise ConfigError(f"port {port} on 127.0.0.1 is in use: pass --port")
    with tempfile.TemporaryDirectory(prefix="govreports-browse-") as tmp:
        path = Path(keep) if keep is not None else Path(tmp) / f"{DB_NAME}.db"
        built = build_browse_db(store, path, sources, years)
        echo(f"browse database {path}: {built.reports} reports")
        ds = make_datasette(built, store_snapshot_reader(store))
        serve(ds, port, on_ready=lambda url: echo(f"serving on {url}  (Ctrl-C stops)"))
