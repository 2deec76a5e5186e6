"""Derived metrics, each computed from a report's cells (or key figures) so every value links back to
the numbers it came from, with a dictionary that says what each one means.

The dictionary (``METRICS``) gives each metric its definition, its formula in codebook codes
(``table/row/column``; ``withheld.*`` sums every row with that prefix) and its caveats. The
computation is pure (``report_metrics``): the browse database, ``govreports metrics`` and the
plots read it from here.

Caveats carried on every value, never hidden:

* an empty cell was read as 0 by the parser: a value built on one lists it (``empty_cells``);
* a report whose table breaks one of its own identities (勾稽关系) still gets the metric, computed
  from the cells as published, with ``broken_identity`` naming the identities;
* a denominator of 0 gives no value (``value`` None, caveat ``denominator_zero``), never 0 or 1;
* a cell the formula names that the report does not have: no metric at all (nothing to compute).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

CellKey = tuple[str, str, str]  # (table, row, column)


@dataclass(frozen=True)
class Cell:
    table: str
    row: str
    column: str
    value: float
    empty: bool = False


@dataclass(frozen=True)
class ReportNumbers:
    """What the metrics read of one report."""

    report_id: str
    agency: str
    year: int
    cells: Mapping[CellKey, Cell]
    figures: Mapping[str, int] = field(default_factory=dict)
    figure_methods: Mapping[str, str] = field(default_factory=dict)  # key -> table | prose | appendix
    broken: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # table -> identities it breaks


@dataclass(frozen=True)
class Term:
    """One addend of a formula: ``requests/disclosed/total``, or ``requests/withheld.*/total``."""

    table: str
    row: str
    column: str

    @classmethod
    def parse(cls, text: str) -> "Term":
        table, row, column = text.split("/")
        return cls(table, row, column)

    @property
    def is_prefix(self) -> bool:
        return self.row.endswith("*")

    def cells(self, cells: Mapping[CellKey, Cell]) -> list[Cell] | None:
        """The cells this term adds; None when a named (non-prefix) cell is missing."""
        if not self.is_prefix:
            cell = cells.get((self.table, self.row, self.column))
            return None if cell is None else [cell]
        prefix = self.row[:-1]
        return [c for (t, r, col), c in sorted(cells.items()) if t == self.table and col == self.column
                and r.startswith(prefix)]

    def __str__(self) -> str:
        return f"{self.table}/{self.row}/{self.column}"


@dataclass(frozen=True)
class MetricDef:
    key: str
    name_zh: str
    name_en: str
    definition: str
    formula: str  # in codes, as the dictionary prints it
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]  # empty: not a ratio
    caveats: str
    unit: str = "ratio"  # ratio | count | change


def _terms(*texts: str) -> tuple[Term, ...]:
    return tuple(Term.parse(t) for t in texts)


_REVIEW_CONCLUDED = ("review_litigation/count/reconsideration.upheld", "review_litigation/count/reconsideration.corrected",
                     "review_litigation/count/reconsideration.other")
_LITIGATION_CONCLUDED = tuple(f"review_litigation/count/{group}.{result}"
                              for group in ("litigation_direct", "litigation_after_review")
                              for result in ("upheld", "corrected", "other"))
_COMMON_CAVEATS = ("Empty cells are read as 0 (listed in the value's empty_cells). A report whose table breaks "
                   "its own identities is computed from its cells as published and marked broken_identity.")

METRICS: tuple[MetricDef, ...] = (
    MetricDef(
        "disclosure_rate", "公开率", "disclosure rate",
        "Share of the applications answered this year (办结, （七）总计) that were disclosed in full or in part.",
        "(requests/disclosed/total + requests/partially_disclosed/total) / requests/total/total",
        _terms("requests/disclosed/total", "requests/partially_disclosed/total"), _terms("requests/total/total"),
        _COMMON_CAVEATS + " 办结 is the （七）总计 row: it includes 不予处理 and 其他处理, so the rate is a share of all "
        "answers, not of answerable requests. Only 2019+ reports have the table."),
    MetricDef(
        "withheld_share", "不予公开占比", "withheld share",
        "Share of the applications answered this year that were refused (（三）不予公开, all eight grounds).",
        "sum(requests/withheld.*/total) / requests/total/total",
        _terms("requests/withheld.*/total"), _terms("requests/total/total"),
        _COMMON_CAVEATS + " The eight 不予公开 rows are summed as present."),
    MetricDef(
        "reconsideration_correction_rate", "复议纠错率", "reconsideration correction rate",
        "Share of the concluded administrative reconsiderations (结果维持 + 结果纠正 + 其他结果; pending cases "
        "have no result yet) whose result corrected the agency.",
        "review_litigation/count/reconsideration.corrected / (reconsideration.upheld + reconsideration.corrected + "
        "reconsideration.other)",
        _terms("review_litigation/count/reconsideration.corrected"), _terms(*_REVIEW_CONCLUDED),
        _COMMON_CAVEATS + " Cases pending (尚未审结) are left out of the denominator; no concluded case gives no value."),
    MetricDef(
        "litigation_correction_rate", "诉讼纠错率", "litigation correction rate",
        "Share of the concluded lawsuits (direct and after reconsideration) whose result corrected the agency.",
        "(litigation_direct.corrected + litigation_after_review.corrected) / (upheld + corrected + other of both groups), "
        "all in review_litigation/count",
        _terms("review_litigation/count/litigation_direct.corrected",
               "review_litigation/count/litigation_after_review.corrected"),
        _terms(*_LITIGATION_CONCLUDED),
        _COMMON_CAVEATS + " Cases pending (尚未审结) are left out of the denominator."),
    MetricDef(
        "applications", "申请数", "applications received",
        "Information disclosure applications received in the year (新收; 上年结转 not included).",
        "figures/applications_received (2019+: requests/received/total; earlier reports: the appendix table or prose)",
        (), (), "Before 2019 the figure comes from prose or appendix tables (its method and evidence are kept); "
        "the sentence may count 受理 rather than 收到.", unit="count"),
    MetricDef(
        "applications_change", "申请数同比变化", "change in applications from last year",
        "Applications received this year minus last year's, for the same agency; value_pct is the relative change.",
        "figures/applications_received (year) - figures/applications_received (year - 1)",
        (), (), "Only when the agency has a report for the year before. Figures read by different methods "
        "(a table one year, prose the other) may count differently: the caveat says so.", unit="change"),
)
METRIC_KEYS = tuple(m.key for m in METRICS)
RATE_METRICS = tuple(m for m in METRICS if m.unit == "ratio")


@dataclass(frozen=True)
class MetricValue:
    report_id: str
    agency: str
    year: int
    metric: str
    value: float | None
    numerator: float | None
    denominator: float | None
    expression: str  # the formula with the numbers: "(14 + 11) / 83"
    inputs: tuple[dict, ...]  # every cell or figure read: {"ref", "value", "empty"}
    caveats: tuple[str, ...]
    value_pct: float | None = None  # applications_change only

    def as_dict(self) -> dict:
        return {"report_id": self.report_id, "agency": self.agency, "year": self.year, "metric": self.metric,
                "value": self.value, "value_pct": self.value_pct, "numerator": self.numerator,
                "denominator": self.denominator, "expression": self.expression, "inputs": list(self.inputs),
                "caveats": list(self.caveats)}


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _side(terms: tuple[Term, ...], cells: Mapping[CellKey, Cell]) -> list[Cell] | None:
    picked: list[Cell] = []
    for term in terms:
        found = term.cells(cells)
        if found is None:
            return None
        picked.extend(found)
    return picked


def _ratio(metric: MetricDef, report: ReportNumbers) -> MetricValue | None:
    top, bottom = _side(metric.numerator, report.cells), _side(metric.denominator, report.cells)
    if top is None or bottom is None:
        return None
    numerator, denominator = sum(c.value for c in top), sum(c.value for c in bottom)
    caveats = []
    empty = sorted({f"{c.table}/{c.row}/{c.column}" for c in top + bottom if c.empty})
    if empty:
        caveats.append("empty_cells: " + ", ".join(empty))
    tables = {t.table for t in metric.numerator + metric.denominator}
    broken = [identity for table in sorted(tables) for identity in report.broken.get(table, ())]
    if broken:
        caveats.append("broken_identity: " + "; ".join(dict.fromkeys(broken)))
    if denominator == 0:
        caveats.append("denominator_zero")
    expression = f"({' + '.join(_fmt(c.value) for c in top) or '0'}) / ({' + '.join(_fmt(c.value) for c in bottom)})"
    inputs = tuple({"ref": f"{c.table}/{c.row}/{c.column}", "value": c.value, "empty": c.empty, "side": side}
                   for side, cells in (("numerator", top), ("denominator", bottom)) for c in cells)
    return MetricValue(report.report_id, report.agency, report.year, metric.key,
                       None if denominator == 0 else numerator / denominator, numerator, denominator, expression,
                       inputs, tuple(caveats))


def _applications(report: ReportNumbers) -> MetricValue | None:
    value = report.figures.get("applications_received")
    if value is None:
        return None
    method = report.figure_methods.get("applications_received", "")
    cell = report.cells.get(("requests", "received", "total"))
    caveats = ("empty_cells: requests/received/total",) if method == "table" and cell is not None and cell.empty else ()
    return MetricValue(report.report_id, report.agency, report.year, "applications", float(value), None, None,
                       _fmt(value), ({"ref": "figures/applications_received", "value": value, "method": method},),
                       caveats)


def _change(report: ReportNumbers, previous: ReportNumbers | None) -> MetricValue | None:
    if previous is None or previous.year != report.year - 1:
        return None
    now, before = report.figures.get("applications_received"), previous.figures.get("applications_received")
    if now is None or before is None:
        return None
    methods = (previous.figure_methods.get("applications_received", ""),
               report.figure_methods.get("applications_received", ""))
    caveats = [f"methods_differ: {methods[0]} → {methods[1]}"] if methods[0] != methods[1] else []
    pct = None if before == 0 else (now - before) / before
    if before == 0:
        caveats.append("last_year_zero")
    inputs = ({"ref": "figures/applications_received", "report_id": previous.report_id, "year": previous.year,
               "value": before, "method": methods[0]},
              {"ref": "figures/applications_received", "report_id": report.report_id, "year": report.year,
               "value": now, "method": methods[1]})
    return MetricValue(report.report_id, report.agency, report.year, "applications_change", float(now - before),
                       float(now), float(before), f"{_fmt(now)} - {_fmt(before)}", inputs, tuple(caveats), pct)


def report_metrics(report: ReportNumbers, previous: ReportNumbers | None = None) -> list[MetricValue]:
    """Every metric of one report; ``previous`` is the same agency's report for the year before."""
    values = [_ratio(metric, report) for metric in RATE_METRICS]
    values += [_applications(report), _change(report, previous)]
    return [v for v in values if v is not None]


def all_metrics(reports: Iterable[ReportNumbers]) -> list[MetricValue]:
    """Metrics of many reports, each with its agency's previous year where there is one."""
    by_key = {(r.agency, r.year): r for r in reports}
    out: list[MetricValue] = []
    for (agency, year), report in sorted(by_key.items()):
        out.extend(report_metrics(report, by_key.get((agency, year - 1))))
    return out


@dataclass(frozen=True)
class RollUp:
    group: str  # the division, level or province
    year: int
    metric: str
    reports: int
    value: float | None  # pooled: sum of numerators / sum of denominators; applications: the sum
    numerator: float | None
    denominator: float | None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def roll_up(values: Iterable[MetricValue], group_of: Mapping[str, str | None]) -> list[RollUp]:
    """Metrics per group (``group_of`` maps an agency to its division, level or province) and year.
    Rates are pooled (Σ numerators / Σ denominators), never averages of rates: an agency with 2
    applications does not weigh as much as one with 2,000."""
    sums: dict[tuple[str, int, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for v in values:
        group = group_of.get(v.agency)
        if group is None or v.metric == "applications_change":
            continue
        entry = sums[(group, v.year, v.metric)]
        entry[0] += 1
        if v.metric == "applications":
            entry[1] += v.value or 0
        elif v.numerator is not None and v.denominator is not None:
            entry[1] += v.numerator
            entry[2] += v.denominator
    rows = []
    for (group, year, metric), (count, top, bottom) in sorted(sums.items()):
        if metric == "applications":
            rows.append(RollUp(group, year, metric, int(count), top, top, None))
        else:
            rows.append(RollUp(group, year, metric, int(count), top / bottom if bottom else None, top, bottom))
    return rows
