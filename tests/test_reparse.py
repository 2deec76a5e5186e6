"""The reparse flow rebuilds every report from stored snapshots with the demo web switched off:
the figures come back identical, and the run is recorded with flow="reparse"."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import storage.reports
from govreports.cli import app
from govreports.demo.server import serve, sources_toml
from govreports.demo.site import EXPECTED_REPORTS, build_sites
from storage.store import Store

PARSED = {
    "figures": "SELECT report_id, key, value, evidence, method, copy_id, snapshot_hash FROM figures",
    "stats": 'SELECT report_id, "table", "row", "column", value, origin, table_index FROM stats',
    "sections": "SELECT report_id, position, key, heading, text FROM sections",
    "flags": "SELECT report_id, position, kind, detail FROM flags",
}


def summary(state) -> dict:
    """The flow's summary from its final state (Completed or Failed both carry it)."""
    return state.result(raise_on_failure=False)


def parsed_rows(store: Store) -> dict[str, list[tuple]]:
    with store.engine.connect() as connection:
        return {name: sorted(tuple(r) for r in connection.execute(text(sql))) for name, sql in PARSED.items()}


@pytest.fixture(scope="module")
def crawled_db(prefect_harness, tmp_path_factory) -> str:
    """A database crawled from the demo web, whose servers are stopped before any test runs."""
    from flows.crawl import crawl

    tmp = tmp_path_factory.mktemp("reparse")
    url = f"sqlite:///{tmp / 'crawled.db'}"
    sites = build_sites()
    with serve(sites) as bases:
        sources = tmp / "sources.toml"
        sources.write_text(sources_toml(sites, bases, delay=0.0), encoding="utf-8")
        assert crawl(sources_file=str(sources), db=url, return_state=True).is_completed()
    return url  # the demo web is gone from here on: any fetch would fail


@pytest.fixture
def db(crawled_db, tmp_path) -> str:
    """A private copy of the crawled database for one test."""
    copy = tmp_path / "copy.db"
    source = Store(crawled_db)
    with source.engine.connect() as connection:
        connection.exec_driver_sql(f"VACUUM INTO '{copy}'")
    source.close()
    return f"sqlite:///{copy}"


def test_reparse_with_the_network_gone_rebuilds_identical_figures(db, monkeypatch):
    from flows.reparse import reparse

    store = Store(db)
    before = parsed_rows(store)
    assert before["figures"], "the crawl should have parsed figures"
    with store.engine.begin() as connection:  # what an older parser left behind: nothing
        for table in PARSED:
            connection.execute(text(f"DELETE FROM {table}"))
    monkeypatch.setattr(storage.reports, "PARSER_VERSION", "reparse-test")  # the parsers "improved"

    state = reparse(db=db, return_state=True)

    assert state.is_completed(), state.message
    assert summary(state)["counts"] == {"reports": len(EXPECTED_REPORTS), "rewritten": len(EXPECTED_REPORTS),
                                    "unchanged": 0, "failed": 0, "near_keys_filled": 0}
    assert parsed_rows(store) == before
    [run] = [r for r in store.runs() if r.flow == "reparse"]
    assert (run.state, run.counts["rewritten"], run.parameters["force"]) == ("completed", 5, False)
    assert store.fetch_rows(run.id) == []  # not a single request


def test_reparse_skips_reports_whose_parse_key_is_unchanged_unless_forced(db):
    from flows.reparse import reparse

    store = Store(db)
    before = parsed_rows(store)
    assert summary(reparse(db=db, return_state=True))["counts"]["unchanged"] == len(EXPECTED_REPORTS)
    forced = reparse(db=db, force=True, return_state=True)
    assert summary(forced)["counts"]["rewritten"] == len(EXPECTED_REPORTS)
    assert parsed_rows(store) == before
    assert [r.flow for r in store.runs()][:2] == ["reparse", "reparse"]


def test_a_missing_snapshot_fails_its_report_and_the_run_but_not_the_others(db):
    from flows.reparse import reparse

    store = Store(db)
    victim = store.reparse_targets()[0]
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM snapshots WHERE content_hash = :h"),
                           {"h": victim.canonical.snapshot_hash})
    state = reparse(db=db, force=True, return_state=True)
    assert state.is_failed()
    assert set(summary(state)["errors"]) == {victim.report_id}
    assert summary(state)["counts"]["rewritten"] == len(EXPECTED_REPORTS) - 1
    assert store.runs(1)[0].state == "failed"


def test_the_reparse_command(db):
    result = CliRunner().invoke(app, ["reparse", "--db", db, "--force"])
    assert result.exit_code == 0, result.output
    assert f"{len(EXPECTED_REPORTS)} reports, {len(EXPECTED_REPORTS)} rewritten" in result.output
