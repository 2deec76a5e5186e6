"""The CLI as a user runs it: a real subprocess of the installed entry point."""
from __future__ import annotations

import csv
import json

import pytest

from cli_helpers import assert_one_line_error, govreports


BAD_SOURCES = """
[[source]]
id = "ok-one"
name = "甲市公安局"
start_urls = ["http://127.0.0.1:9/index.html"]

[[source]]
id = "broken"
name = "乙市公安局"
start_urls = ["not a url"]
"""


def test_malformed_sources_file_exits_2_naming_the_entry(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(BAD_SOURCES, encoding="utf-8")
    db = tmp_path / "out.db"
    result = govreports("crawl", "--sources", str(sources), "--db", str(db))
    assert_one_line_error(result, 2, 'source #2 (id "broken")', "malformed start URL")


def test_malformed_sources_file_writes_nothing(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(BAD_SOURCES, encoding="utf-8")
    db = tmp_path / "out.db"
    govreports("crawl", "--sources", str(sources), "--db", str(db))
    assert not db.exists()


def test_unknown_source_id_exits_2(tmp_path, demo_sources):
    result = govreports("crawl", "--sources", str(demo_sources), "--source", "nope", "--db", str(tmp_path / "x.db"))
    assert_one_line_error(result, 2, "--source nope")


def test_bad_years_exits_2(tmp_path, demo_sources):
    result = govreports("crawl", "--sources", str(demo_sources), "--years", "2019-2008", "--db", str(tmp_path / "x.db"))
    assert_one_line_error(result, 2, "--years")


def test_validate(demo_sources):
    result = govreports("validate", "--sources", str(demo_sources))
    assert result.returncode == 0 and "5 sources OK" in result.stdout


@pytest.fixture(scope="module")
def crawled_db(demo_sources, tmp_path_factory):
    """One real `govreports crawl` (with its own temporary Prefect server)."""
    db = tmp_path_factory.mktemp("cli") / "cli.db"
    result = govreports("crawl", "--sources", str(demo_sources), "--db", str(db))
    assert result.returncode == 0, result.stdout + result.stderr
    return db, result



@pytest.mark.slow
def test_crawl_prints_the_run_summary_as_tables(crawled_db):
    _, result = crawled_db
    lines = result.stdout.splitlines()
    assert any(line.split() == ["reports", "new", "5"] for line in lines)
    assert any(line.split()[:2] == ["sources", "5"] for line in lines)
    assert "completed (exit 0)" in result.stdout and "{" not in result.stdout  # no Python dict reprs


@pytest.mark.slow
def test_crawl_progress_is_plain_lines_when_stdout_is_not_a_terminal(crawled_db):
    _, result = crawled_db
    progress = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(progress) == 5 and progress[-1].startswith("[5/5] ")
    assert all("elapsed" in line and "ETA" in line for line in progress)
    assert "\x1b[" not in result.stdout  # no terminal control codes in a log


@pytest.mark.slow
def test_crawl_shows_no_prefect_log_lines_without_verbose(crawled_db):
    _, result = crawled_db
    assert "| INFO" not in result.stdout + result.stderr and "Starting temporary server" not in result.stderr
    assert result.stderr == ""


@pytest.mark.slow
def test_runs_lists_the_run(crawled_db):
    db, _ = crawled_db
    result = govreports("runs", "--db", str(db))
    assert result.returncode == 0 and "completed" in result.stdout and "started (Beijing)" in result.stdout


@pytest.mark.slow
def test_runs_show(crawled_db):
    db, _ = crawled_db
    shown = govreports("runs", "--db", str(db), "show", "1").stdout
    assert "completed" in shown and '"years": null' in shown
    assert any(line.split()[-1:] == ["5"] for line in shown.splitlines() if "reports new" in line)


@pytest.mark.slow
def test_runs_show_with_the_db_after_the_run_id(crawled_db):
    db, _ = crawled_db
    result = govreports("runs", "show", "1", "--db", str(db))
    assert result.returncode == 0 and "Beijing time" in result.stdout, result.stderr


@pytest.mark.slow
def test_runs_show_unknown_id_exits_2(crawled_db):
    db, _ = crawled_db
    assert_one_line_error(govreports("runs", "--db", str(db), "show", "999"), 2, "no run 999")


@pytest.mark.slow
def test_runs_and_coverage_show_one_date_convention(crawled_db, demo_sources):
    """A run's start in `runs` and a report's first-seen day in `coverage` are both Beijing dates."""
    db, _ = crawled_db
    started = next(line for line in govreports("runs", "--db", str(db)).stdout.splitlines()[1:]).split()[3]
    ledger = govreports("coverage", "--db", str(db), "--sources", str(demo_sources), "--years", "2019").stdout
    assert f"first seen {started}" in ledger


@pytest.mark.slow
def test_reports_show_with_the_db_after_the_report_id(crawled_db):
    db, _ = crawled_db
    report_id = govreports("reports", "--db", str(db)).stdout.split()[0]
    result = govreports("reports", "show", report_id, "--db", str(db))
    assert result.returncode == 0 and json.loads(result.stdout)["id"] == report_id


@pytest.mark.slow
def test_export_jsonl(crawled_db, tmp_path):
    db, _ = crawled_db
    out = tmp_path / "reports.jsonl"
    assert govreports("export", "--db", str(db), "--out", str(out)).returncode == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    contract = {"agency", "year", "title", "url", "urls", "published", "text", "text_original", "source_ids",
                "figures", "stats", "first_seen_run", "last_seen_run"}
    assert len(records) == 5 and all(contract <= set(r) for r in records)


@pytest.mark.slow
def test_export_csv(crawled_db, tmp_path):
    db, _ = crawled_db
    out = tmp_path / "reports.csv"
    assert govreports("export", "--db", str(db), "--out", str(out), "--format", "csv").returncode == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,agency,year,")  # a BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert {(r["agency"], r["year"]) for r in rows} >= {("杭州市公安局", "2019")}
    assert next(r for r in rows if r["agency"] == "杭州市公安局")["figures.applications_received"] == "91"


@pytest.mark.slow
def test_reports_lists_figures(crawled_db):
    db, _ = crawled_db
    result = govreports("reports", "--db", str(db))
    assert "杭州市公安局" in result.stdout and "applications_received=91" in result.stdout
