"""`browse`: the browse database and the real Datasette app over it (its ASGI test client), on both
backends; then the demo web crawled by the real flow and served by a real `govreports browse`
subprocess on 127.0.0.1, its canned queries read over HTTP."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from core.sources import Source
from statsdb import load_report, simple_requests
from storage.store import Store

ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
SOURCE = Source("test", None, ("http://127.0.0.1:9/",), kind="portal")


def get_json(ds, path: str):
    async def fetch():
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    return asyncio.run(fetch())


def get(ds, path: str):
    async def fetch():
        return await ds.client.get(path)

    return asyncio.run(fetch())


@pytest.fixture
def served(db_url, tmp_path):
    """东莞市公安局 2021 and 2022 (2022 says it carried over 6, 2021 carried 4 forward; published late),
    佛山市公安局 2022 whose 总计 breaks its column identity; served by Datasette."""
    from govreports.browse import build_browse_db, make_datasette, store_snapshot_reader

    store = Store(db_url)
    ids = {
        ("东莞市公安局", 2021): load_report(store, "东莞市公安局", 2021, simple_requests(40, 0, 10, 5, 3, 18, 4)),
        ("东莞市公安局", 2022): load_report(store, "东莞市公安局", 2022, simple_requests(50, 6, 20, 5, 3, 24, 4),
                                     published="2023-03-15"),
    }
    broken = simple_requests(30, 0, 10, 2, 1, 12, 5)
    broken[("total", "natural_person")] = broken[("total", "total")] = 26  # the rows add up to 25
    ids[("佛山市公安局", 2022)] = load_report(store, "佛山市公安局", 2022, broken)
    built = build_browse_db(store, tmp_path / "govreports.db", sources=[SOURCE], years=(2021, 2022))
    yield make_datasette(built, store_snapshot_reader(store)), ids, store
    store.close()


def test_matrix_has_applications_per_agency_and_year(served):
    ds, _, _ = served
    rows = get_json(ds, "/govreports/applications_matrix.json?_shape=array")
    assert {r["agency"]: (r["2021"], r["2022"]) for r in rows} == {"东莞市公安局": (40, 50), "佛山市公安局": (None, 30)}


def test_identity_breaks_list_the_identity_and_the_numbers(served):
    ds, ids, _ = served
    rows = get_json(ds, "/govreports/identity_breaks.json?_shape=array")
    by_kind = {}
    for row in rows:
        by_kind.setdefault((row["agency"], row["year"], row["kind"]), []).append(row)
    assert set(by_kind) == {("佛山市公安局", 2022, "check_failed"), ("东莞市公安局", 2022, "carry_over_mismatch")}
    column = next(r for r in by_kind[("佛山市公安局", 2022, "check_failed")]
                  if r["identity"] == "every column: received + carried_over == total + carried_forward"
                  and r["where"] == "column natural_person")
    assert (column["lhs_total"], column["rhs_total"]) == (30, 31)  # 30 + 0 ≠ 26 + 5
    assert column["lhs"] == "received 30 + carried_over 0 = 30" and column["rhs"] == "total 26 + carried_forward 5 = 31"
    carry = {r["where"]: r for r in by_kind[("东莞市公安局", 2022, "carry_over_mismatch")]}
    assert set(carry) == {"column natural_person", "column total"}
    assert (carry["column natural_person"]["lhs_total"], carry["column natural_person"]["rhs_total"]) == (6, 4)
    assert carry["column total"]["other_report_id"] == ids[("东莞市公安局", 2021)]


def test_report_cells_show_labels_as_printed_url_and_snapshot(served):
    ds, ids, store = served
    report_id = ids[("东莞市公安局", 2022)]
    rows = get_json(ds, f"/govreports/report_cells.json?_shape=array&report_id={report_id}&_size=max")
    from sqlalchemy import func, select

    from storage.models import StatRow

    with store.session() as s:
        stored = s.scalar(select(func.count()).select_from(StatRow).where(StatRow.report_id == report_id))
    assert len(rows) == stored and stored > 100
    cell = next(r for r in rows if (r["table_code"], r["row_code"], r["column_code"]) == ("requests", "carried_over",
                                                                                          "natural_person"))
    assert cell["value"] == 6 and cell["empty"] == 0
    assert cell["row_label"] == "二、上年结转政府信息公开申请数量" and cell["column_label"] == "申请人情况 / 自然人"
    assert cell["codebook_row"] == "二、上年结转政府信息公开申请数量" and cell["codebook_column"] == "自然人"
    assert cell["url"].startswith("http://127.0.0.1:9/") and len(cell["snapshot"]) == 64
    page = get(ds, f"/govreports/report_cells?report_id={report_id}").text
    assert f'href="/-/snapshot/{cell["snapshot"]}"' in page and f'href="{cell["url"]}"' in page


def test_the_snapshot_link_serves_the_stored_bytes_sandboxed(served):
    ds, ids, store = served
    rows = get_json(ds, f"/govreports/report_cells.json?_shape=array&report_id={ids[('佛山市公安局', 2022)]}")
    response = get(ds, f"/-/snapshot/{rows[0]['snapshot']}")
    assert response.status_code == 200
    assert response.content == store.load_snapshot(rows[0]["snapshot"])
    assert response.headers["content-security-policy"] == "sandbox"
    assert get(ds, "/-/snapshot/" + "0" * 64).status_code == 404


def test_coverage_ledger(served):
    ds, _, _ = served
    rows = get_json(ds, "/govreports/coverage_ledger.json?_shape=array")
    assert {(r["agency"], r["year"]): r["status"] for r in rows} == {
        ("东莞市公安局", 2021): "found", ("东莞市公安局", 2022): "late", ("佛山市公安局", 2021): "missing",
        ("佛山市公安局", 2022): "found"}


def test_metrics_table_carries_the_caveats(served):
    ds, ids, _ = served
    rows = get_json(ds, "/govreports/metrics.json?_shape=array&metric=disclosure_rate")
    by_agency = {(r["agency"], r["year"]): r for r in rows}
    broken = by_agency[("佛山市公安局", 2022)]
    assert broken["expression"] == "(10 + 2) / (26)" and "broken_identity" in broken["caveats"]
    assert broken["inputs"] == ("requests/disclosed/total=10, requests/partially_disclosed/total=2 | "
                                "requests/total/total=26")
    assert by_agency[("东莞市公安局", 2021)]["value"] == pytest.approx(15 / 36)


def test_facets_and_bilingual_descriptions(served):
    ds, _, _ = served
    data = get_json(ds, "/govreports/flags.json?_facet=kind")
    kinds = {f["value"] for f in data["facet_results"]["kind"]["results"]}
    assert {"check_failed", "carry_over_mismatch", "empty_cells_as_zero"} <= kinds
    metadata = get_json(ds, "/-/metadata.json")
    reports = metadata["databases"]["govreports"]["tables"]["reports"]
    assert "年度报告" in reports["description"] and "deduplicated report" in reports["description"]
    assert set(reports["facets"]) >= {"agency", "year", "format"}


def test_agencies_are_placed_and_rolled_up(served):
    ds, _, _ = served
    agencies = get_json(ds, "/govreports/agencies.json?_shape=array")
    assert {a["agency"]: (a["division"], a["level"], a["agency_kind"], a["parent"]) for a in agencies} == {
        "东莞市公安局": ("东莞市", "市", "部门", "东莞市人民政府"), "佛山市公安局": ("佛山市", "市", "部门", "佛山市人民政府")}
    rolled = get_json(ds, "/govreports/metrics_by_region.json?_shape=array&grouping=level&metric=applications")
    assert {(r["group"], r["year"]): r["value"] for r in rolled} == {("市", 2021): 40, ("市", 2022): 80}


# -- the demo web, crawled and served by the real command --------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo_db(prefect_harness, tmp_path_factory):
    """`govreports demo`'s web (the seed reports and the statistics sites), crawled by the real flow."""
    from flows.crawl import crawl
    from govreports.demo.server import serve, sources_toml
    from govreports.demo.site import build_sites
    from govreports.demo.tables import place_keys, stats_sites

    folder = tmp_path_factory.mktemp("demo-browse")
    sites = build_sites() + stats_sites()
    with serve(sites) as bases:
        sources = folder / "sources.toml"
        sources.write_text(sources_toml(sites, bases, delay=0.0, extra=place_keys()), encoding="utf-8")
        state = crawl(str(sources), db=str(folder / "demo.db"), return_state=True)
    assert state.is_completed()
    return folder / "demo.db"


@pytest.mark.slow
def test_the_demo_database_opens_in_browse(demo_db):
    from govreports.demo.tables import BROKEN_IDENTITY, CARRY_OVER_BREAK

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "govreports", "browse", "--db", str(demo_db), "--port", str(port)],
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/govreports"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read() if server.poll() else ""
            time.sleep(0.5)
        breaks = httpx.get(f"{base}/identity_breaks.json?_shape=array").json()
        assert {(r["agency"], r["year"], r["kind"]) for r in breaks} == {
            (*BROKEN_IDENTITY, "check_failed"), (*CARRY_OVER_BREAK, "carry_over_mismatch")}
        matrix = {r["agency"]: r for r in httpx.get(f"{base}/applications_matrix.json?_shape=array").json()}
        assert matrix["杭州市公安局"]["2019"] == 91  # the seed report's prose figure beside the tables' years
        assert len(matrix) == 10  # five seed agencies and six with tables, 杭州市公安局 in both
        coverage = httpx.get(f"{base}/coverage_ledger.json?_shape=array&_size=max").json()
        assert {(r["agency"], r["year"]) for r in coverage if r["status"] == "late"} == {("宁波市市场监督管理局", 2021)}
        assert next(r for r in coverage if (r["agency"], r["year"]) == ("杭州市西湖区人民政府", 2020))["status"] == "missing"
        agencies = {a["agency"]: a for a in httpx.get(f"{base}/agencies.json?_shape=array").json()}
        assert agencies["浙江省公安厅"]["division_code"] == "330000"  # from the sources file
        assert agencies["杭州市西湖区人民政府"]["parent"] == "杭州市人民政府"  # inferred from the name
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_browse_without_a_database_exits_2_and_creates_nothing(tmp_path):
    missing = tmp_path / "none.db"
    result = subprocess.run([sys.executable, "-m", "govreports", "browse", "--db", str(missing)], env=ENV,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "no database at" in result.stderr and "Traceback" not in result.stderr
    assert not missing.exists()


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("chromium") is None, reason="chromium not installed (apt-get install chromium)")
def test_browse_check_screenshots_the_canned_queries(demo_db, tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, str(root / "scripts" / "browse_check.py"), str(demo_db), str(tmp_path)],
                            cwd=root, env=ENV, capture_output=True, text=True, timeout=500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    shots = {p.name: p.stat().st_size for p in tmp_path.glob("*.png")}
    assert set(shots) == {"browse-applications-matrix.png", "browse-identity-breaks.png", "browse-report-cells.png",
                          "browse-coverage-ledger.png", "browse-metrics.png"}
    assert min(shots.values()) > 10_000  # pages with content, not blank frames
