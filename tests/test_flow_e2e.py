"""End to end: the real crawl flow (under the Prefect test harness) over the demo web served on
127.0.0.1, into a real SQLite file and a real Postgres database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govreports.demo.site import EXPECTED_REPORTS
from govreports.records import report_records
from storage import models
from storage.store import Store

pytestmark = pytest.mark.slow

EXPECTED_FIGURES = {
    ("深圳市公安局", 2012): {"applications_received": 32, "disclosed": 22, "partially_disclosed": 1,
                         "reconsiderations": 1, "lawsuits": 0},
    ("广东省公安厅", 2017): {"applications_received": 258, "disclosed": 41, "partially_disclosed": 8,
                         "reconsiderations": 11, "lawsuits": 4},
    ("广州市公安局", 2013): {"applications_received": 46, "disclosed": 17, "partially_disclosed": 7,
                         "reconsiderations": 1, "lawsuits": 3},
    ("杭州市公安局", 2019): {"applications_received": 91, "disclosed": 14, "partially_disclosed": 11,
                         "reconsiderations": 17, "lawsuits": 2},
    ("武汉市公安局", 2008): {},
}
EXPECTED_PUBLISHED = {("深圳市公安局", 2012): "2013-03-15", ("广州市公安局", 2013): "2014-03-28",
                      ("杭州市公安局", 2019): "2020-01-19", ("武汉市公安局", 2008): "2009-01-14",
                      ("广东省公安厅", 2017): None}


def run_crawl(sources, db: str, **kwargs) -> dict:
    from flows.crawl import crawl

    state = crawl(sources_file=str(sources), db=db, return_state=True, **kwargs)
    assert state.is_completed(), state.message
    return state.result()


def row_counts(url: str) -> dict[str, int]:
    store = Store(url)
    tables = (models.Report, models.Copy, models.Snapshot, models.FigureRow, models.StatRow, models.SectionRow,
              models.FlagRow, models.SourceRow, models.CrawlRun)
    with store.session() as s:
        counts = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in tables}
    store.close()
    return counts


@pytest.fixture(scope="module")
def crawled(prefect_harness, demo_sources, module_db_url):
    """One crawl per backend; the tests below read its results field by field."""
    summary = run_crawl(demo_sources, module_db_url)
    store = Store(module_db_url)
    records = {(r["agency"], r["year"]): r for r in report_records(store)}
    store.close()
    return summary, records, module_db_url


def test_each_seed_report_found_exactly_once(crawled):
    _, records, _ = crawled
    assert set(records) == EXPECTED_REPORTS


def test_mirror_copy_merged_with_its_original(crawled):
    _, records, _ = crawled
    shenzhen = records[("深圳市公安局", 2012)]
    assert len(shenzhen["urls"]) == 2
    assert sorted(shenzhen["source_ids"]) == ["mirror", "sz-gaj"]


def test_canonical_copy_is_the_official_one(crawled):
    _, records, _ = crawled
    shenzhen = records[("深圳市公安局", 2012)]
    assert "/gkml/xxgknb/" in shenzhen["url"]
    assert "official" in shenzhen["canonical_reason"]


@pytest.mark.parametrize("key", sorted(EXPECTED_FIGURES))
def test_key_figures(crawled, key):
    _, records, _ = crawled
    assert records[key]["figures"] == EXPECTED_FIGURES[key]


@pytest.mark.parametrize("key", sorted(EXPECTED_PUBLISHED))
def test_published_date(crawled, key):
    _, records, _ = crawled
    assert records[key]["published"] == EXPECTED_PUBLISHED[key]


def test_text_is_simplified_and_original_kept(crawled):
    _, records, _ = crawled
    guangdong = records[("广东省公安厅", 2017)]
    assert "广东省公安厅" in guangdong["text"] and "廣東省公安廳" not in guangdong["text"]
    assert "廣東省公安廳" in guangdong["text_original"]


def test_every_figure_has_evidence_and_snapshot(crawled):
    _, records, _ = crawled
    for record in records.values():
        for key, evidence in record["figures_evidence"].items():
            assert evidence["evidence"] and evidence["snapshot"], (record["agency"], key)


def test_lookalikes_and_robots_disallowed_pages_are_not_reports(crawled):
    summary, records, _ = crawled
    titles = " ".join(r["title"] for r in records.values())
    assert "解读" not in titles and "要点" not in titles and "草稿" not in titles
    assert summary["errors"]["by_class"] == {"robots_disallowed": 1}


def test_run_recorded_with_counts(crawled):
    summary, _, url = crawled
    store = Store(url)
    run = store.run(summary["run_id"])
    assert (run.state, run.counts["reports_new"], run.counts["sources"]) == ("completed", 5, 5)
    assert run.parameters["years"] is None


def test_rerun_adds_a_run_record_and_nothing_else(prefect_harness, demo_sources, db_url):
    url = db_url
    run_crawl(demo_sources, url)
    before = row_counts(url)
    summary = run_crawl(demo_sources, url)
    after = row_counts(url)
    assert after.pop("crawl_runs") == before.pop("crawl_runs") + 1
    assert after == before
    assert summary["counts"]["copies_unchanged"] == 6
    assert summary["counts"]["reports_new"] == 0


def test_rerun_uses_conditional_requests(prefect_harness, demo_sources, sqlite_url):
    url = sqlite_url
    run_crawl(demo_sources, url)
    summary = run_crawl(demo_sources, url)
    store = Store(url)
    outcomes = [row.outcome for row in store.fetch_rows(summary["run_id"]) if row.purpose == "detail"]
    assert outcomes.count("not_modified") == 6
    assert "ok" not in outcomes


def test_years_filter(prefect_harness, demo_sources, sqlite_url):
    run_crawl(demo_sources, sqlite_url, years="2012-2013")
    store = Store(sqlite_url)
    found = {(r["agency"], r["year"]) for r in report_records(store)}
    assert found == {("深圳市公安局", 2012), ("广州市公安局", 2013)}
