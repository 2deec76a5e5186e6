"""`compare`: two years of one agency, cell by cell, with the carry-over check (the same pure check
the export flags with)."""
from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from govreports.compare import compare, render, write_csv
from core.errors import ConfigError
from statsdb import load_report, simple_requests
from storage.store import Store

ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


@pytest.fixture
def two_years(db_url):
    store = Store(db_url)
    load_report(store, "东莞市公安局", 2021, simple_requests(40, 0, 10, 5, 3, 18, 4))
    load_report(store, "东莞市公安局", 2022, simple_requests(50, 6, 20, 5, 3, 24, 4))  # says 6 carried over, not 4
    yield store
    store.close()


def test_cells_side_by_side_with_their_change(two_years):
    result = compare(two_years, "东莞市公安局", (2021, 2022))
    lines = {(l.table, l.row, l.column): l for l in result.lines if l.kind == "cell"}
    received = lines[("requests", "received", "natural_person")]
    assert (received.before, received.after, received.change, received.change_pct) == (40, 50, 10, 0.25)
    unchanged = lines[("requests", "partially_disclosed", "total")]
    assert unchanged.changed is False
    metrics = {l.row: l for l in result.lines if l.kind == "metric"}
    assert metrics["disclosure_rate"].before == pytest.approx(15 / 36)
    assert metrics["disclosure_rate"].after == pytest.approx(25 / 52)


def test_the_carry_over_check_names_both_numbers(two_years):
    result = compare(two_years, "东莞市公安局", (2021, 2022))
    [check] = result.carry
    broken = {c.column: (c.last_year_forward, c.this_year_over) for c in check.columns if not c.holds}
    assert broken == {"natural_person": (4, 6), "total": (4, 6)}
    assert check.flag_detail and "natural_person: 6 ≠ 4" in check.flag_detail
    text = "\n".join(render(result))
    assert "carry-over check 2021 → 2022: MISMATCH" in text
    assert "结转下年度 2021:      4   上年结转 2022:      6   ≠" in text


def test_csv_has_every_line_and_the_check(two_years, tmp_path):
    result = compare(two_years, "东莞市公安局", (2021, 2022))
    out = tmp_path / "c.csv"
    count = write_csv(result, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == count == len(result.lines) + len(result.carry[0].columns)
    mismatch = [r for r in rows if r["kind"] == "carry_over_mismatch"]
    assert {(r["column"], r["value_a"], r["value_b"]) for r in mismatch} == {("natural_person", "4.0", "6.0"),
                                                                           ("total", "4.0", "6.0")}


def test_missing_year_and_unknown_agency_are_bad_input(two_years):
    with pytest.raises(ConfigError, match="no 2020 report of 东莞市公安局 \\(years with a report: 2021, 2022\\)"):
        compare(two_years, "东莞市公安局", (2020, 2021))
    with pytest.raises(ConfigError, match="did you mean 东莞市公安局"):
        compare(two_years, "东莞市公安", (2021, 2022))


def test_compare_command_prints_and_exports(tmp_path):
    db = tmp_path / "g.db"
    store = Store(f"sqlite:///{db}")
    load_report(store, "东莞市公安局", 2021, simple_requests(40, 0, 10, 5, 3, 18, 4))
    load_report(store, "东莞市公安局", 2022, simple_requests(50, 4, 20, 5, 3, 22, 4))
    store.close()
    out = tmp_path / "c.csv"
    result = subprocess.run([sys.executable, "-m", "govreports", "compare", "--db", str(db), "--agency", "东莞市公安局",
                             "--years", "2021-2022", "--out", str(out)], env=ENV, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "carry-over check 2021 → 2022: holds" in result.stdout and "requests / received" in result.stdout
    assert out.exists()
    bad = subprocess.run([sys.executable, "-m", "govreports", "compare", "--db", str(db), "--agency", "东莞市公安局",
                          "--years", "2019-2020"], env=ENV, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("error: no 2019 report") and "Traceback" not in bad.stderr
