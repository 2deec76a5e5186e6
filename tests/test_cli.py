"""The CLI as a user runs it: a real subprocess of the installed entry point."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def govreports(*args: str, cwd=None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govreports", *args], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=timeout)


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
    assert result.returncode == 2
    assert 'source #2 (id "broken")' in result.stderr and "malformed start URL" in result.stderr


def test_malformed_sources_file_writes_nothing(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(BAD_SOURCES, encoding="utf-8")
    db = tmp_path / "out.db"
    govreports("crawl", "--sources", str(sources), "--db", str(db))
    assert not db.exists()


def test_unknown_source_id_exits_2(tmp_path, demo_sources):
    result = govreports("crawl", "--sources", str(demo_sources), "--source", "nope", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2 and "--source nope" in result.stderr


def test_bad_years_exits_2(tmp_path, demo_sources):
    result = govreports("crawl", "--sources", str(demo_sources), "--years", "2019-2008", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2 and "--years" in result.stderr


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
def test_crawl_prints_the_run_summary(crawled_db):
    _, result = crawled_db
    assert "reports: 5 new" in result.stdout


@pytest.mark.slow
def test_runs_lists_the_run(crawled_db):
    db, _ = crawled_db
    result = govreports("runs", "--db", str(db))
    assert result.returncode == 0 and "completed" in result.stdout


@pytest.mark.slow
def test_runs_show(crawled_db):
    db, _ = crawled_db
    shown = govreports("runs", "--db", str(db), "show", "1").stdout
    assert "completed" in shown and '"years": null' in shown
    assert any(line.split()[-1:] == ["5"] for line in shown.splitlines() if "reports new" in line)


@pytest.mark.slow
def test_runs_show_unknown_id_exits_2(crawled_db):
    db, _ = crawled_db
    assert govreports("runs", "--db", str(db), "show", "999").returncode == 2


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
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {(r["agency"], r["year"]) for r in rows} >= {("杭州市公安局", "2019")}
    assert next(r for r in rows if r["agency"] == "杭州市公安局")["figures.applications_received"] == "91"


@pytest.mark.slow
def test_reports_lists_figures(crawled_db):
    db, _ = crawled_db
    result = govreports("reports", "--db", str(db))
    assert "杭州市公安局" in result.stdout and "applications_received=91" in result.stdout
