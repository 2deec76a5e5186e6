"""The coverage ledger: deadlines by year and agency kind, found / late / missing, and the CLI over a
real crawl of the demo sites."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from storage.reports import FoundReport
from analysis.coverage import (
    FOUND, LATE, MISSING, deadline_for, is_government, ledger, status_counts, to_csv,
)
from core.sources import Source


def _source(source_id: str, name: str | None, kind: str = "agency") -> Source:
    return Source(id=source_id, name=name, start_urls=(f"http://127.0.0.1:1/{source_id}/",), kind=kind)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("agency, year, due", [
    ("杭州市公安局", 2018, date(2019, 3, 31)),  # old rules: 31 March for everyone
    ("杭州市人民政府", 2018, date(2019, 3, 31)),
    ("杭州市公安局", 2019, date(2020, 1, 31)),  # 2019 条例: departments by 31 January
    ("杭州市人民政府", 2019, date(2020, 3, 31)),  # governments by 31 March
    ("杭州市人民政府办公厅", 2019, date(2020, 1, 31)),  # a government's office is a department
    ("深圳市政府", 2020, date(2021, 3, 31)),
])
def test_deadline(agency, year, due):
    assert deadline_for(agency, year) == due


def test_government_from_name():
    assert is_government("乾安县人民政府") and is_government("西湖区人民政府")
    assert not is_government("乾安县人民政府办公室") and not is_government("广东省公安厅")


SOURCES = [_source("hz", "杭州市公安局"), _source("portal", None, kind="portal")]


def _row(rows, agency, year):
    return next(r for r in rows if r.agency == agency and r.year == year)


def test_published_after_deadline_is_late():
    found = [FoundReport("杭州市公安局", 2019, "2020-02-10", _at("2026-01-01"), 1, ("hz",))]
    row = _row(ledger(SOURCES, (2019, 2019), found, {}), "杭州市公安局", 2019)
    assert row.status == LATE and "2020-02-10" in row.evidence


def test_published_on_deadline_day_is_found():
    found = [FoundReport("杭州市公安局", 2019, "2020-01-31", _at("2026-01-01"), 1, ("hz",))]
    assert _row(ledger(SOURCES, (2019, 2019), found, {}), "杭州市公安局", 2019).status == FOUND


def test_unpublished_report_first_seen_by_the_first_crawl_is_found():
    found = [FoundReport("杭州市公安局", 2019, None, _at("2026-01-01"), 1, ("hz",))]
    looks = {"hz": [(1, _at("2026-01-01"))]}
    row = _row(ledger(SOURCES, (2019, 2019), found, looks), "杭州市公安局", 2019)
    assert row.status == FOUND and row.first_seen == date(2026, 1, 1)


def test_unpublished_report_missed_by_a_crawl_after_the_deadline_is_late():
    found = [FoundReport("杭州市公安局", 2019, None, _at("2020-05-01"), 7, ("hz",))]
    looks = {"hz": [(3, _at("2020-01-20")), (5, _at("2020-02-03")), (7, _at("2020-05-01"))]}
    row = _row(ledger(SOURCES, (2019, 2019), found, looks), "杭州市公安局", 2019)
    assert row.status == LATE and "run 5" in row.evidence  # run 3 looked before the deadline: no evidence


def test_missing_years_and_portal_agencies_are_listed():
    found = [FoundReport("余杭区人民政府", 2020, "2021-03-01", _at("2026-01-01"), 1, ("portal",))]
    rows = ledger(SOURCES, (2019, 2021), found, {})
    assert {(r.agency, r.year) for r in rows} == {(a, y) for a in ("杭州市公安局", "余杭区人民政府")
                                                  for y in (2019, 2020, 2021)}
    assert status_counts(rows) == {FOUND: 1, LATE: 0, MISSING: 5}
    assert _row(rows, "余杭区人民政府", 2019).sources == ("portal",)


def test_csv_has_a_header_and_one_line_per_row():
    rows = ledger(SOURCES, (2019, 2020), [], {})
    lines = to_csv(rows).splitlines()
    assert lines[0].startswith("agency,year,status,first_seen") and len(lines) == 1 + len(rows)


@pytest.mark.slow
def test_cli_coverage_over_a_real_crawl(prefect_harness, demo_sources, sqlite_url, tmp_path):
    from typer.testing import CliRunner

    from flows.crawl import crawl
    from govreports.cli import app

    assert crawl(str(demo_sources), db=sqlite_url, return_state=True).is_completed()
    out = tmp_path / "coverage.csv"
    result = CliRunner().invoke(app, ["coverage", "--db", sqlite_url, "--sources", str(demo_sources),
                                      "--years", "2012-2013", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2012  found    深圳市公安局  first seen" in result.output
    assert "2013  found    广州市公安局" in result.output
    assert "2012  missing  广东省公安厅  due 2013-03-31" in result.output  # known only from the mirror's reports
    assert "10 agency-years: 2 found, 0 late, 8 missing" in result.output
    assert out.read_text(encoding="utf-8").count("\n") == 11
