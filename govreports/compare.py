"""Year over year for one agency (``govreports compare``): every cell of the two reports side by
side in codebook order, the key figures and metrics, and the cross-year carry-over check
(``parsing.crossyear``, the same pure check the export flags with) for each pair of consecutive
years in the span that both have a report.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from analysis.dataviews import carry_over_for, report_numbers, report_ref
from core.errors import ConfigError
from analysis.metrics import METRICS, report_metrics
from core.codebook import load_codebook
from parsing.crossyear import CarryOver, carry_over_flag
from storage.models import FigureRow, Report, StatRow
from storage.store import Store

CSV_FIELDS = ("agency", "kind", "table", "row", "column", "label", "year_a", "value_a", "year_b", "value_b", "change",
              "change_pct", "empty_a", "empty_b", "report_a", "report_b")


@dataclass(frozen=True)
class Line:
    kind: str  # cell | figure | metric
    table: str
    row: str
    column: str
    label: str
    before: float | None
    after: float | None
    empty_before: bool = False
    empty_after: bool = False

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def change_pct(self) -> float | None:
        change = self.change
        return None if change is None or not self.before else change / self.before

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class CarryCheck:
    earlier: dict
    later: dict
    columns: list[CarryOver]
    flag_detail: str | None  # the flag the export puts on the later report, or None when every column holds


@dataclass(frozen=True)
class Comparison:
    agency: str
    year_a: int
    year_b: int
    report_a: dict
    report_b: dict
    lines: list[Line]
    carry: list[CarryCheck]


def _order(codebook) -> dict[tuple[str, str, str], tuple]:
    order = {}
    for t_index, table in enumerate(codebook.tables.values()):
        for r_index, row in enumerate(table.rows):
            for c_index, column in enumerate(table.columns):
                order[(table.code, row, column)] = (t_index, r_index, c_index)
    return order


def compare(store: Store, agency: str, years: tuple[int, int]) -> Comparison:
    year_a, year_b = years
    if year_a == year_b:
        raise ConfigError(f"--years {year_a}: give two years to compare, e.g. {year_a - 1}-{year_a}")
    with store.session() as s:
        reports = {r.year: r for r in s.scalars(select(Report).where(Report.agency == agency))}
        if not reports:
            known = sorted(set(s.scalars(select(Report.agency).where(Report.agency.contains(agency[:2])).distinct())))
            hint = f"; did you mean {', '.join(known[:8])}?" if known else ""
            raise ConfigError(f"no reports of {agency!r} in the database{hint}")
        for year in (year_a, year_b):
            if year not in reports:
                raise ConfigError(f"no {year} report of {agency} (years with a report: "
                                  f"{', '.join(str(y) for y in sorted(reports))})")
        a, b = reports[year_a], reports[year_b]
        lines = _cell_lines(s, a.id, b.id) + _figure_lines(s, a.id, b.id)
        carry = []
        for year in range(year_a + 1, year_b + 1):
            if year in reports and year - 1 in reports:
                earlier, checked = carry_over_for(s, reports[year])
                flag = carry_over_flag(checked, report_ref(earlier), report_ref(reports[year]))
                carry.append(CarryCheck(report_ref(earlier), report_ref(reports[year]), checked,
                                        flag.detail if flag else None))
        ref_a, ref_b = report_ref(a), report_ref(b)
    lines += _metric_lines(store, agency, year_a, year_b)
    return Comparison(agency, year_a, year_b, ref_a, ref_b, lines, carry)


def _cells(s, report_id: str) -> dict:
    cells = {}
    for c in s.scalars(select(StatRow).where(StatRow.report_id == report_id).order_by(StatRow.id)):
        cells.setdefault((c.table, c.row, c.column), c)
    return cells


def _cell_lines(s, id_a: str, id_b: str) -> list[Line]:
    codebook = load_codebook()
    order = _order(codebook)
    a, b = _cells(s, id_a), _cells(s, id_b)
    lines = []
    for key in sorted(set(a) | set(b), key=lambda k: order.get(k, (99, k))):
        table, row, column = key
        spec = codebook.tables.get(table)
        label = f"{spec.rows.get(row, row)} / {spec.columns.get(column, column)}" if spec else f"{row} / {column}"
        ca, cb = a.get(key), b.get(key)
        lines.append(Line("cell", table, row, column, label, ca.value if ca else None, cb.value if cb else None,
                          bool(ca and ca.empty), bool(cb and cb.empty)))
    return lines


def _figure_lines(s, id_a: str, id_b: str) -> list[Line]:
    figures = {rid: {f.key: f.value for f in s.scalars(select(FigureRow).where(FigureRow.report_id == rid))}
               for rid in (id_a, id_b)}
    keys = sorted(set(figures[id_a]) | set(figures[id_b]))
    return [Line("figure", "figures", key, "", key, figures[id_a].get(key), figures[id_b].get(key)) for key in keys]


def _metric_lines(store: Store, agency: str, year_a: int, year_b: int) -> list[Line]:
    numbers = {r.year: r for r in report_numbers(store, agency)}
    values = {}
    for year in (year_a, year_b):
        values[year] = {v.metric: v.value for v in report_metrics(numbers[year], numbers.get(year - 1))}
    names = {m.key: f"{m.name_zh} ({m.key})" for m in METRICS}
    return [Line("metric", "metrics", key, "", names[key], values[year_a].get(key), values[year_b].get(key))
            for key in names if key in values[year_a] or key in values[year_b]]


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{value:+.1%}"
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def render(comparison: Comparison, show_all: bool = False) -> list[str]:
    """The comparison as text lines: changed cells by row (all with ``show_all``), figures, metrics,
    then the carry-over check."""
    c = comparison
    out = [f"{c.agency}: {c.year_a} ({c.report_a['id']}, {c.report_a['url']}) → {c.year_b} ({c.report_b['id']}, "
           f"{c.report_b['url']})"]
    cells = [line for line in c.lines if line.kind == "cell"]
    shown = [line for line in cells if show_all or line.changed]
    out.append(f"cells: {len(cells)} in either report, {sum(1 for line in cells if line.changed)} changed"
               + ("" if show_all else " (--all shows every cell)"))
    current_row = None
    for line in shown:
        if (line.table, line.row) != current_row:
            current_row = (line.table, line.row)
            out.append(f"  {line.table} / {line.row}")
        blank = " (blank→0)" if line.empty_before or line.empty_after else ""
        out.append(f"    {line.column:<38} {_fmt(line.before):>8} → {_fmt(line.after):<8} "
                   f"{_fmt(line.change) if line.change is not None else '':>7}{blank}")
    for kind, title in (("figure", "key figures"), ("metric", "metrics")):
        out.append(f"{title}:")
        for line in (x for x in c.lines if x.kind == kind):
            percent = kind == "metric" and line.row != "applications" and line.row != "applications_change"
            change = _fmt(line.change) if not percent else (
                f"{line.change * 100:+.1f} pts" if line.change is not None else "-")
            before = f"{line.before:.1%}" if percent and line.before is not None else _fmt(line.before)
            after = f"{line.after:.1%}" if percent and line.after is not None else _fmt(line.after)
            out.append(f"  {line.label:<40} {before:>8} → {after:<8} {change}")
    if not c.carry:
        out.append("carry-over check: no two consecutive years with reports in the span")
    for check in c.carry:
        status = "holds" if check.flag_detail is None else "MISMATCH"
        out.append(f"carry-over check {check.earlier['year']} → {check.later['year']}: {status}")
        for column in check.columns:
            mark = "ok" if column.holds else "≠"
            out.append(f"    {column.column:<16} 结转下年度 {check.earlier['year']}: {_fmt(column.last_year_forward):>6}   "
                       f"上年结转 {check.later['year']}: {_fmt(column.this_year_over):>6}   {mark}")
    return out


def write_csv(comparison: Comparison, out: Path) -> int:
    """Every line (changed or not), plus one line per carry-over column; returns the rows written."""
    c = comparison
    rows = [{"agency": c.agency, "kind": line.kind, "table": line.table, "row": line.row, "column": line.column,
             "label": line.label, "year_a": c.year_a, "value_a": line.before, "year_b": c.year_b,
             "value_b": line.after, "change": line.change, "change_pct": line.change_pct,
             "empty_a": line.empty_before, "empty_b": line.empty_after, "report_a": c.report_a["id"],
             "report_b": c.report_b["id"]} for line in c.lines]
    for check in c.carry:
        for column in check.columns:
            rows.append({"agency": c.agency, "kind": "carry_over_check" if column.holds else "carry_over_mismatch",
                         "table": "requests", "row": "carried_forward → carried_over", "column": column.column,
                         "label": "结转下年度继续办理 (last year) → 上年结转 (this year)",
                         "year_a": check.earlier["year"], "value_a": column.last_year_forward,
                         "year_b": check.later["year"], "value_b": column.this_year_over,
                         "change": column.this_year_over - column.last_year_forward, "change_pct": None,
                         "empty_a": False, "empty_b": False, "report_a": check.earlier["id"],
                         "report_b": check.later["id"]})
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
