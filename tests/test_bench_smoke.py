"""Smoke tests of bench/: the synthetic web is deterministic and served as generated, and every
benchmark entry point runs end to end on a minimal size. No timing is asserted (speed is measured
in bench/, never asserted here); what is asserted is that each run did the work it reports."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch):
    """The bench package (it lives beside the installed packages, not in them)."""
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.synthetic_web

    return bench


def _run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    completed = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                               timeout=timeout, env={"PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                                                     "PREFECT_HOME": os.environ["PREFECT_HOME"],
                                                     "PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def test_web_digest_is_the_same_in_two_processes_and_changes_with_the_shape():
    first = _run("bench.synthetic_web", "digest", "--hosts", "3", "--reports", "12").stdout.strip()
    second = _run("bench.synthetic_web", "digest", "--hosts", "3", "--reports", "12").stdout.strip()
    other = _run("bench.synthetic_web", "digest", "--hosts", "3", "--reports", "11").stdout.strip()
    assert first == second
    assert first != other


def test_stats_years_carry_three_tables_with_the_agency_substituted(bench):
    web = bench.synthetic_web.Web(2, 30)
    reports = web.reports_of(1)
    stats = [r for r in reports if r.year in bench.synthetic_web.STATS_YEARS]
    assert 0.3 <= len(stats) / len(reports) <= 0.5
    body = web.page(1, stats[0].path).body.decode("utf-8")
    assert body.count("<table") >= 3 and stats[0].agency in body
    assert bench.synthetic_web.STATS_AGENCY not in body


def test_listing_pages_link_every_report_once_and_page_on(bench):
    web = bench.synthetic_web.Web(1, 25)
    linked = "".join(web.page(0, path).body.decode("utf-8") for path in
                     ["/xxgk/ndbg/index.html", "/xxgk/ndbg/index_1.html", "/xxgk/ndbg/index_2.html"])
    assert web.page(0, "/xxgk/ndbg/index_3.html") is None
    for report in web.reports_of(0):
        assert linked.count(f'href="{report.path}"') == 1
    assert 'href="index_1.html">下一页' in web.page(0, "/xxgk/ndbg/index.html").body.decode("utf-8")


def test_served_pages_are_the_generated_bytes(bench):
    web = bench.synthetic_web.Web(2, 4)
    report = web.report(1, 2)
    with bench.synthetic_web.WebServer(web, max_seconds=60) as ports, httpx.Client(trust_env=False) as client:
        page = client.get(f"http://127.0.0.1:{ports[1]}{report.path}")
        pdf = client.get(f"http://127.0.0.1:{ports[1]}{report.attachment}")
        missing = client.get(f"http://127.0.0.1:{ports[0]}/nope.html")
    assert page.status_code == 200 and page.content == web.page(1, report.path).body
    assert pdf.content.startswith(b"%PDF-") and pdf.headers["content-type"] == "application/pdf"
    assert missing.status_code == 404


@pytest.mark.slow
def test_crawl_benchmark_runs_direct_on_a_tiny_web(tmp_path):
    out = tmp_path / "crawl.json"
    _run("bench.crawl_throughput", "--hosts", "2", "--reports", "3", "--small-hosts", "0", "--modes",
         "stages,direct,direct-again", "--delay", "0.05", "--out", str(out))
    runs = json.loads(out.read_text())[0]["runs"]
    for run in (runs["stages"], runs["direct"]):
        assert run["reports_new"] == 6 and run["sources_failed"] == 0
        assert run["pages"] >= 2 * (1 + 1 + 3) and run["wall_over_bound"] > 0
    assert runs["stages"]["stage_calls"]["parse"] >= 12  # metadata + content, per report
    assert runs["direct-again"]["pages_parsed"] == 0 and runs["direct-again"]["reports_new"] == 0


@pytest.mark.slow
def test_memory_benchmark_runs_each_size_in_its_own_process(tmp_path):
    out = tmp_path / "memory.json"
    _run("bench.memory", "--sizes", "1,2", "--reports", "1", "--modes", "direct", "--delay", "0", "--out", str(out))
    results = json.loads(out.read_text())
    assert [r["hosts"] for r in results] == [1, 2]
    assert len({r["pid"] for r in results}) == 2
    assert all(r["peak_rss_mb"] > 0 and r["reports_new"] == r["hosts"] for r in results)
    # the whole tree (the crawl and its page-building workers) weighs at least the crawl itself
    assert all(r["peak_tree_rss_mb"] >= r["rss_before_crawl_mb"] > 0 for r in results)
    assert all(0 < r["peak_tree_pss_mb"] <= r["peak_tree_rss_mb"] for r in results)


@pytest.mark.slow
def test_db_load_benchmark_loads_then_finds_everything_unchanged(tmp_path):
    out = tmp_path / "db.json"
    _run("bench.db_load", "--hosts", "1", "--reports", "8", "--backends", "sqlite", "--out", str(out))
    sqlite = json.loads(out.read_text())["sqlite"]
    assert sqlite["first_load"]["outcomes"] == {"new": 8}
    assert sqlite["reload_unchanged"]["outcomes"] == {"unchanged": 8}
    assert sqlite["stats_cells"] > 0  # reports 6 and 7 are 2019-format


@pytest.mark.slow
def test_extraction_benchmark_parses_the_fixtures(tmp_path):
    out = tmp_path / "extraction.json"
    _run("bench.extraction", "--repeat", "1", "--out", str(out))
    results = json.loads(out.read_text())
    assert results["pipeline"]["outcomes"]["report"] > 0 and results["pipeline"]["outcomes"]["stats_cells"] > 0
    assert results["trafilatura"]["cpu_s"] > 0


def test_dedup_scale_loads_and_looks_up_every_copy(tmp_path):
    out = tmp_path / "dedup_scale.json"
    _run("bench.dedup_scale", "60", "--chars", "400", "--db-dir", str(tmp_path), "--out", str(out))
    [row] = json.loads(out.read_text())["rows"]
    assert row["copies"] == sum(row["load_outcomes"].values()) == sum(row["matches"].values()) == 60
    assert row["reports"] == row["matches"]["first"] and row["lookup_seconds"] > 0
@pytest.mark.slow
def test_documents_benchmark_prints_the_cost_per_pdf_page_of_text_and_tables(tmp_path):
    out = tmp_path / "documents.json"
    printed = _run("bench.documents", "--repeat", "1", "--long-pages", "2", "--out", str(out)).stdout
    assert "CPU ms per page" in printed and "plumber text" in printed
    rows = json.loads(out.read_text())["rows"]
    assert {"reportlab ruled", "reportlab unruled"} <= {r["document"] for r in rows}
    for row in rows:
        assert row["pages"] >= 1 and row["ms_per_page"]["plumber_text_tables"] > 0 and row["ms_per_page"]["pypdf_text"] > 0
        assert row["cells_right"]["pdfplumber"] == row["cells_right"]["printed"]
