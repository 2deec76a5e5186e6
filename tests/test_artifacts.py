"""What a crawl run publishes for the Prefect UI: the builders as plain functions, then a real crawl
of the demo sites under the Prefect harness with its artifacts read back from the API, and a
regressed source ending the flow run Failed."""
from __future__ import annotations

import pytest

from flows.artifacts import artifact_key, source_rows, summary_markdown

SUMMARY = {
    "run_id": 7,
    "counts": {"sources": 2, "sources_failed": 1, "listing_pages": 3, "candidates": 4, "documents_fetched": 4,
               "resumed": 0, "not_reports": 1, "reports_new": 2, "reports_changed": 1, "copies_added": 0,
               "copies_unchanged": 0, "requests": 12,
               "per_source": {"a": {"listing_pages": 3, "candidates": 4, "fetched": 4, "new": 2, "changed": 1,
                                    "copy_added": 0, "unchanged": 0, "not_reports": 1,
                                    "failures": {"not_found": 2, "timeout": 1}, "platforms": ["trs"]}}},
    "errors": {"sources": {"b": "source b yielded no reports", "c": "source c: no listing page could be fetched"},
               "source_status": {"b": "regressed", "c": "refused"}, "source_failures": {"c": {"blocked": 1}},
               "by_class": {"not_found": 2, "blocked": 1}, "blocked_hosts": ["gov.example:443"], "parked_hosts": [],
               "run": ["1 source regressed (no reports where earlier runs found some): b"]},
}


def test_source_rows_cover_ok_and_failed_sources():
    rows = {r["source"]: r for r in source_rows(SUMMARY)}
    assert rows["a"]["list_pages"] == 3 and rows["a"]["candidate_links"] == 4 and rows["a"]["new"] == 2
    assert rows["a"]["failures"] == "not_found=2, timeout=1" and rows["a"]["state"] == "ok"
    assert rows["b"]["state"] == "regressed" and "yielded no reports" in rows["b"]["error"]


def test_source_rows_carry_a_refused_sites_failure_classes():
    rows = {r["source"]: r for r in source_rows(SUMMARY)}
    assert rows["c"]["state"] == "refused" and rows["c"]["failures"] == "blocked=1"


def test_source_rows_of_a_summary_from_before_source_statuses():
    legacy = {**SUMMARY, "errors": {"sources": {"b": "SourceFailed: boom"}, "by_class": {}, "blocked_hosts": [],
                                    "parked_hosts": []}}
    assert {r["source"]: r["state"] for r in source_rows(legacy)}["b"] == "FAILED"


def test_summary_lists_failed_sources_and_blocked_hosts():
    text = summary_markdown(SUMMARY)
    assert "| reports new | 2 |" in text and "**b regressed**" in text and "**c refused**" in text
    assert "**The run failed:** 1 source regressed" in text
    assert "Blocked hosts: `gov.example:443`" in text and "Parked hosts: none" in text


def test_shards_get_their_own_keys():
    assert artifact_key("crawl-sources") == "crawl-sources"
    assert artifact_key("crawl-sources", 1, 4) == "crawl-sources-shard-1-of-4"


def _artifacts_of(flow_run_id) -> dict:
    """The run's artifacts by key, read back through the Prefect client."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a.model_dump(mode="json") for a in found}


@pytest.mark.slow
def test_crawl_publishes_its_artifacts(prefect_harness, demo_sources, sqlite_url):
    import json

    from flows.crawl import crawl

    state = crawl(str(demo_sources), db=sqlite_url, return_state=True)
    assert state.is_completed()
    artifacts = _artifacts_of(state.state_details.flow_run_id)
    assert set(artifacts) == {"crawl-sources", "crawl-summary", "coverage-ledger", "crawl-progress", "coverage-heatmap"}
    table = json.loads(artifacts["crawl-sources"]["data"])
    assert {row["source"] for row in table} == {"sz-gaj", "gz-gaj", "hz-gaj", "wh-gaj", "mirror"}
    assert sum(row["new"] for row in table) == 5
    assert artifacts["crawl-progress"]["data"] == 100.0
    ledger = json.loads(artifacts["coverage-ledger"]["data"])
    assert {"agency": "杭州市公安局", "year": 2019, "status": "found"}.items() <= \
        next(r for r in ledger if r["agency"] == "杭州市公安局" and r["year"] == 2019).items()
    assert "# Crawl run" in artifacts["crawl-summary"]["data"]
    assert_heatmap_png(artifacts["coverage-heatmap"]["data"])


def assert_heatmap_png(markdown: str) -> tuple[int, int]:
    """The heatmap artifact embeds a real PNG as a data: URI (what the Prefect UI shows)."""
    import base64
    import re
    import struct

    found = re.search(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert found, markdown[:300]
    png = base64.b64decode(found.group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 400 and height >= 300
    return width, height


def test_heatmap_markdown_caps_the_agencies_and_says_so():
    from datetime import date

    from flows.artifacts import HEATMAP_MAX_AGENCIES, heatmap_markdown
    from analysis.coverage import LedgerRow
    from analysis.plot import heatmap_size

    rows = [LedgerRow(f"第{i:03d}市公安局", 2022, "missing", date(2023, 1, 31)) for i in range(HEATMAP_MAX_AGENCIES + 5)]
    text = heatmap_markdown(rows, 3)
    assert f"The first {HEATMAP_MAX_AGENCIES} of {HEATMAP_MAX_AGENCIES + 5} agencies" in text
    assert assert_heatmap_png(text) == heatmap_size(HEATMAP_MAX_AGENCIES, 1)


@pytest.mark.slow
def test_a_source_that_stops_yielding_reports_fails_the_run(prefect_harness, demo_web, tmp_path, sqlite_url):
    from flows.crawl import crawl
    from govreports.demo.server import sources_toml

    sites, bases = demo_web
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(sites, bases, delay=0.0), encoding="utf-8")
    assert crawl(str(sources), db=sqlite_url, source_ids=["hz-gaj"], return_state=True).is_completed()
    # The column moved: the old start URL now answers with a page that links to no report.
    moved = sources_toml(sites, bases, delay=0.0).replace(
        f'{bases["hz-gaj"]}{next(s for s in sites if s.id == "hz-gaj").start_path}', f'{bases["hz-gaj"]}/robots.txt')
    sources.write_text(moved, encoding="utf-8")
    state = crawl(str(sources), db=sqlite_url, source_ids=["hz-gaj"], return_state=True)
    assert state.is_failed()
    assert "1 source regressed (no reports where earlier runs found some): hz-gaj" in state.message
    table = {r["source"]: r for r in __import__("json").loads(
        _artifacts_of(state.state_details.flow_run_id)["crawl-sources"]["data"])}
    assert table["hz-gaj"]["state"] == "regressed"
    assert "yielded no reports this run, but 1 copies in earlier runs" in table["hz-gaj"]["error"]
