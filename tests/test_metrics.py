"""Derived metrics on hand-computed examples: ordinary numbers, empty cells, broken identities, zero
denominators, missing cells, and the cells of a real parsed table in a real store."""
from __future__ import annotations

import pytest

from analysis.metrics import METRICS, Cell, ReportNumbers, all_metrics, report_metrics, roll_up
from statsdb import load_report, simple_requests


def numbers(cells: dict, *, agency="甲市公安局", year=2021, figures=None, methods=None, broken=None, rid="r1"):
    built = {}
    for (table, row, column), value in cells.items():
        empty = value is None
        built[(table, row, column)] = Cell(table, row, column, 0.0 if empty else float(value), empty)
    return ReportNumbers(rid, agency, year, built, figures or {}, methods or {}, broken or {})


def by_metric(values):
    return {v.metric: v for v in values}


REQUESTS = {("requests", "disclosed", "total"): 14, ("requests", "partially_disclosed", "total"): 11,
            ("requests", "withheld.state_secret", "total"): 1, ("requests", "withheld.third_party", "total"): 3,
            ("requests", "total", "total"): 83}
REVIEW = {("review_litigation", "count", f"reconsideration.{k}"): v
          for k, v in {"upheld": 1, "corrected": 5, "other": 3, "pending": 8, "total": 17}.items()}
REVIEW |= {("review_litigation", "count", f"litigation_direct.{k}"): v
           for k, v in {"upheld": 2, "corrected": 1, "other": 0, "pending": 1, "total": 4}.items()}
REVIEW |= {("review_litigation", "count", f"litigation_after_review.{k}"): v
           for k, v in {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1}.items()}


def test_disclosure_rate_is_disclosed_plus_partial_over_answered():
    rate = by_metric(report_metrics(numbers(REQUESTS)))["disclosure_rate"]
    assert (rate.numerator, rate.denominator, rate.value) == (25, 83, pytest.approx(25 / 83))
    assert rate.expression == "(14 + 11) / (83)"
    assert rate.caveats == ()


def test_withheld_share_sums_every_withheld_row():
    share = by_metric(report_metrics(numbers(REQUESTS)))["withheld_share"]
    assert (share.numerator, share.denominator, share.value) == (4, 83, pytest.approx(4 / 83))


def test_reconsideration_correction_rate_leaves_pending_cases_out():
    rate = by_metric(report_metrics(numbers(REVIEW)))["reconsideration_correction_rate"]
    assert (rate.numerator, rate.denominator, rate.value) == (5, 9, pytest.approx(5 / 9))  # 1 + 5 + 3, not 17


def test_litigation_correction_rate_pools_both_groups():
    rate = by_metric(report_metrics(numbers(REVIEW)))["litigation_correction_rate"]
    assert (rate.numerator, rate.denominator, rate.value) == (1, 4, 0.25)  # (1 + 0) / (2 + 1 + 0 + 1 + 0 + 0)


def test_every_metric_lists_the_cells_it_read():
    rate = by_metric(report_metrics(numbers(REQUESTS)))["disclosure_rate"]
    assert [(i["ref"], i["value"], i["side"]) for i in rate.inputs] == [
        ("requests/disclosed/total", 14, "numerator"), ("requests/partially_disclosed/total", 11, "numerator"),
        ("requests/total/total", 83, "denominator")]


def test_an_empty_cell_counts_as_zero_and_says_so():
    cells = {**REQUESTS, ("requests", "partially_disclosed", "total"): None}
    rate = by_metric(report_metrics(numbers(cells)))["disclosure_rate"]
    assert (rate.numerator, rate.value) == (14, pytest.approx(14 / 83))
    assert rate.caveats == ("empty_cells: requests/partially_disclosed/total",)


def test_a_broken_identity_is_computed_as_published_and_marked():
    identity = "every column: received + carried_over == total + carried_forward"
    report = numbers(REQUESTS, broken={"requests": (identity,)})
    rate = by_metric(report_metrics(report))["disclosure_rate"]
    assert rate.value == pytest.approx(25 / 83)
    assert rate.caveats == (f"broken_identity: {identity}",)
    review = by_metric(report_metrics(numbers(REVIEW, broken={"requests": (identity,)})))
    assert review["reconsideration_correction_rate"].caveats == ()  # another table's identity is not its caveat


def test_zero_denominator_gives_no_value_not_zero():
    cells = {("requests", "disclosed", "total"): 0, ("requests", "partially_disclosed", "total"): 0,
             ("requests", "total", "total"): 0}
    rate = by_metric(report_metrics(numbers(cells)))["disclosure_rate"]
    assert rate.value is None and "denominator_zero" in rate.caveats


def test_a_missing_cell_gives_no_metric():
    cells = {k: v for k, v in REQUESTS.items() if k[1] != "partially_disclosed"}
    assert "disclosure_rate" not in by_metric(report_metrics(numbers(cells)))
    assert "withheld_share" in by_metric(report_metrics(numbers(cells)))  # it does not need that cell


def test_applications_and_change_from_last_year():
    before = numbers({}, year=2021, figures={"applications_received": 100}, methods={"applications_received": "table"},
                     rid="r2021")
    now = numbers({}, year=2022, figures={"applications_received": 120}, methods={"applications_received": "table"},
                  rid="r2022")
    values = by_metric(report_metrics(now, before))
    assert values["applications"].value == 120
    change = values["applications_change"]
    assert (change.value, change.value_pct, change.expression, change.caveats) == (20, pytest.approx(0.2), "120 - 100", ())
    assert [i["report_id"] for i in change.inputs] == ["r2021", "r2022"]


def test_change_says_when_the_two_years_were_read_differently():
    before = numbers({}, year=2018, figures={"applications_received": 50}, methods={"applications_received": "prose"})
    now = numbers({}, year=2019, figures={"applications_received": 40}, methods={"applications_received": "table"})
    change = by_metric(report_metrics(now, before))["applications_change"]
    assert change.value == -10 and change.caveats == ("methods_differ: prose → table",)


def test_no_change_across_a_gap_year():
    reports = [numbers({}, year=2019, figures={"applications_received": 10}, rid="a"),
               numbers({}, year=2021, figures={"applications_received": 30}, rid="b")]
    assert "applications_change" not in {v.metric for v in all_metrics(reports)}


def test_roll_up_pools_rates_instead_of_averaging_them():
    small = numbers({("requests", "disclosed", "total"): 2, ("requests", "partially_disclosed", "total"): 0,
                     ("requests", "total", "total"): 2}, agency="甲", rid="a")  # 100 %
    large = numbers({("requests", "disclosed", "total"): 100, ("requests", "partially_disclosed", "total"): 0,
                     ("requests", "total", "total"): 1000}, agency="乙", rid="b")  # 10 %
    rows = roll_up(all_metrics([small, large]), {"甲": "深圳市", "乙": "深圳市"})
    pooled = next(r for r in rows if r.metric == "disclosure_rate")
    assert (pooled.group, pooled.reports, pooled.value) == ("深圳市", 2, pytest.approx(102 / 1002))


def test_the_dictionary_defines_every_metric():
    for metric in METRICS:
        assert metric.name_zh and metric.name_en and metric.definition and metric.formula and metric.caveats


# -- from a real parsed table, in a real store -----------------------------------------------------------

def test_metrics_from_a_parsed_table_with_a_blank_cell(db_url):
    from analysis.dataviews import report_numbers
    from storage.store import Store

    store = Store(db_url)
    # 40 received + 2 carried over = 10 disclosed + (blank) partial + 3 withheld + 25 not held + 4 carried forward
    load_report(store, "甲市公安局", 2021, simple_requests(40, 2, 10, 0, 3, 25, 4, blank_partial=True))
    [report] = report_numbers(store)
    rate = by_metric(report_metrics(report))["disclosure_rate"]
    assert (rate.numerator, rate.denominator) == (10, 38)
    assert "empty_cells: requests/partially_disclosed/total" in rate.caveats
    assert not any(c.startswith("broken_identity") for c in rate.caveats)
    store.close()


def test_metrics_of_a_report_that_breaks_its_identity(db_url):
    from analysis.dataviews import report_numbers
    from storage.store import Store

    store = Store(db_url)
    cells = simple_requests(40, 2, 10, 5, 3, 20, 4)
    cells[("total", "natural_person")] = cells[("total", "total")] = 39  # printed 39; the rows add up to 38
    load_report(store, "乙市公安局", 2022, cells)
    [report] = report_numbers(store)
    rate = by_metric(report_metrics(report))["disclosure_rate"]
    assert (rate.numerator, rate.denominator, rate.value) == (15, 39, pytest.approx(15 / 39))  # as published
    assert any(c.startswith("broken_identity") and "received + carried_over == total + carried_forward" in c
               for c in rate.caveats)
    store.close()


# -- the metrics' own export, and the browse database from either backend ---------------------------------

def _cli(*args: str):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "govreports", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})


def test_metrics_command_exports_per_report_and_rolled_up(db_url, tmp_path):
    import csv

    from storage.store import Store

    store = Store(db_url)
    load_report(store, "东莞市公安局", 2021, simple_requests(40, 0, 10, 5, 3, 18, 4))
    load_report(store, "佛山市公安局", 2021, simple_requests(20, 0, 2, 0, 1, 17, 0))
    store.close()
    per_report = tmp_path / "m.csv"
    result = _cli("metrics", "--db", db_url, "--out", str(per_report))
    assert result.returncode == 0, result.stderr
    assert "公开率" in result.stdout and "formula: (requests/disclosed/total" in result.stdout
    rows = {(r["agency"], r["metric"]): r for r in csv.DictReader(per_report.open(encoding="utf-8"))}
    assert float(rows[("东莞市公安局", "disclosure_rate")]["value"]) == pytest.approx(15 / 36)
    assert rows[("东莞市公安局", "disclosure_rate")]["level"] == "市"
    rolled = tmp_path / "r.csv"
    assert _cli("metrics", "--db", db_url, "--by", "level", "--out", str(rolled)).returncode == 0
    pooled = next(r for r in csv.DictReader(rolled.open(encoding="utf-8")) if r["metric"] == "disclosure_rate")
    assert (pooled["group"], pooled["reports"]) == ("市", "2")
    assert float(pooled["value"]) == pytest.approx((15 + 2) / (36 + 20))


def test_export_sqlite_from_either_backend(db_url, tmp_path):
    import sqlite3

    from storage.store import Store

    store = Store(db_url)
    load_report(store, "东莞市公安局", 2021, simple_requests(40, 0, 10, 5, 3, 18, 4))
    store.close()
    out = tmp_path / "browse.db"
    result = _cli("export", "--db", db_url, "--format", "sqlite", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(out) as connection:
        assert connection.execute("SELECT agency, year, applications_received FROM reports").fetchall() == [
            ("东莞市公安局", 2021, 40)]
        assert connection.execute("SELECT count(*) FROM cells").fetchone()[0] > 100
        assert connection.execute("SELECT value FROM metrics WHERE metric = 'disclosure_rate'").fetchone()[0] == \
            pytest.approx(15 / 36)
