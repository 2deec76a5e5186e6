"""Exports a researcher opens in one line: a real crawl of a site whose 2019 report has its
statistics tables (a saved real page) and of the demo web, then `govreports export` in each format
through the real CLI, read back with pyarrow, pandas and duckdb — the README's one-liners included,
as written."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli_helpers import govreports

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
README = Path(__file__).parent.parent / "README.md"
TITLE = "2019年上海市人民政府办公厅政府信息公开工作年度报告"


def table_site():
    """One agency whose 2019 report page carries the statistics tables of a real report."""
    from govreports.demo.site import Page, Site

    fragment = (FIXTURES / "parsing" / "fragment_shanghai_annual_report_2019_body_tables_utf8.html").read_text("utf-8")
    detail = (f'<html><head><meta charset="utf-8"><title>{TITLE}</title></head><body><h1>{TITLE}</h1>'
              f'<div class="TRS_Editor">{fragment}</div></body></html>')
    index = (f'<html><head><meta charset="utf-8"><title>年报</title></head><body><ul>'
             f'<li><a href="2020/nb2019.html">{TITLE}</a><span>2020-01-31</span></li></ul></body></html>')
    html = "text/html; charset=utf-8"
    return Site(id="sh-gov", name="上海市人民政府办公厅", kind="agency", start_path="/nb/index.html",
                pages={"/nb/index.html": Page(index.encode(), html), "/nb/2020/nb2019.html": Page(detail.encode(), html)})


@pytest.fixture(scope="module")
def db(prefect_harness, demo_web, tmp_path_factory) -> Path:
    from flows.crawl import crawl
    from govreports.demo.server import serve, sources_toml

    sites, bases = demo_web
    path = tmp_path_factory.mktemp("export") / "export.db"
    with serve([table_site()]) as table_base:
        sources = path.parent / "sources.toml"
        sources.write_text(sources_toml(sites, bases, delay=0.0) + f'\n[[source]]\nid = "sh-gov"\n'
                           f'name = "上海市人民政府办公厅"\nstart_urls = ["{table_base["sh-gov"]}/nb/index.html"]\n'
                           f'delay = 0.0\n', encoding="utf-8")
        assert crawl(str(sources), db=f"sqlite:///{path}", return_state=True).is_completed()
    return path


@pytest.fixture(scope="module")
def jsonl(db) -> list[dict]:
    out = db.parent / "reports.jsonl"
    assert govreports("export", "--db", str(db), "--out", str(out)).returncode == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def parquet(db) -> Path:
    out = db.parent / "export"  # does not exist yet: created
    result = govreports("export", "--db", str(db), "--format", "parquet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"wrote 6 reports to {out / 'reports.parquet'}",
                                          f"wrote 198 statistics cells to {out / 'stats.parquet'}"]
    return out


@pytest.fixture(scope="module")
def csv_out(db) -> Path:
    out = db.parent / "reports.csv"
    assert govreports("export", "--db", str(db), "--format", "csv", "--out", str(out)).returncode == 0
    return out


def test_parquet_schemas_are_the_declared_ones(parquet):
    from govreports.parquet import schema
    from govreports.tabular import STAT_COLUMNS, report_columns

    assert pq.read_schema(parquet / "reports.parquet").remove_metadata() == schema(report_columns()).remove_metadata()
    assert pq.read_schema(parquet / "stats.parquet").remove_metadata() == schema(STAT_COLUMNS).remove_metadata()


def test_reports_parquet_one_row_per_report_with_typed_figures(parquet, jsonl):
    import datetime

    reports = pq.read_table(parquet / "reports.parquet").to_pylist()
    assert sorted(r["id"] for r in reports) == sorted(r["id"] for r in jsonl)
    hz = next(r for r in reports if r["agency"] == "杭州市公安局")
    assert hz["year"] == 2019 and hz["applications_received"] == 91 and hz["lawsuits"] == 2
    assert hz["published"] == datetime.date(2020, 1, 19) and hz["source_ids"] == ["hz-gaj"]
    assert next(r for r in reports if r["agency"] == "武汉市公安局")["applications_received"] is None


def test_reports_parquet_flags_are_the_kinds_of_the_records_flags(parquet, jsonl):
    kinds = {r["id"]: sorted({f["kind"] for f in r["flags"]}) for r in jsonl}
    assert {r["id"]: r["flags"] for r in pq.read_table(parquet / "reports.parquet").to_pylist()} == kinds
    assert any(kinds.values())  # the table report is flagged (blank cells, a broken identity)


def test_stats_parquet_is_every_cell_of_the_records(parquet, jsonl):
    cells = pq.read_table(parquet / "stats.parquet").to_pylist()
    expected = sorted((r["id"], c["table"], c["row"], c["column"], float(c["value"]), c["row_label"],
                       c["column_label"], c["empty"]) for r in jsonl for c in r["stats"])
    assert sorted((c["report_id"], c["table"], c["row"], c["column"], c["value"], c["row_label"], c["column_label"],
                   c["blank"]) for c in cells) == expected
    assert len(expected) == 198


def test_each_cell_carries_its_provenance(parquet, db):
    import sqlite3

    cells = pq.read_table(parquet / "stats.parquet").to_pylist()
    with sqlite3.connect(db) as connection:
        snapshots = {row[0] for row in connection.execute("SELECT content_hash FROM snapshots")}
        copies = dict(connection.execute("SELECT id, url FROM copies"))
    for cell in cells:
        assert cell["snapshot"] in snapshots and copies[cell["copy_id"]] == cell["url"]
        assert cell["agency"] == "上海市人民政府办公厅" and cell["year"] == 2019 and cell["origin"] == "html"


def test_the_readme_one_liners_run_as_written(parquet, monkeypatch):
    code = re.search(r"<!-- export-one-liners:start -->\n```python\n(.*?)```", README.read_text(encoding="utf-8"),
                     re.S).group(1)
    monkeypatch.chdir(parquet.parent)  # the README reads from export/
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert len(scope["reports"]) == 6 and str(scope["reports"]["applications_received"].dtype) == "Int64"
    assert scope["requests"].loc[("上海市人民政府办公厅", 2019), ("received", "total")] == 859


def test_csv_has_a_bom_and_reads_back_in_pandas(csv_out):
    import pandas as pd

    raw = csv_out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,agency,year,title,url,published,first_seen_run,last_seen_run,n_urls,")
    frame = pd.read_csv(csv_out)
    assert list(frame.columns[:3]) == ["id", "agency", "year"] and len(frame) == 6
    assert frame.set_index("agency").loc["杭州市公安局", "figures.applications_received"] == 91


def test_the_stats_csv_beside_it_is_the_long_format(csv_out, parquet):
    import pandas as pd

    stats_csv = csv_out.with_name("reports.stats.csv")
    assert stats_csv.read_bytes().startswith(b"\xef\xbb\xbfreport_id,agency,year,table,row,column,value,")
    frame = pd.read_csv(stats_csv)
    assert len(frame) == 198 and frame["value"].dtype.kind in "if"
    with stats_csv.open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert first["value"] == str(int(float(first["value"])))  # counts print as 13, not 13.0
    assert first["blank"] in ("true", "false")


def test_exporting_again_replaces_the_files(db, parquet):
    before = (parquet / "reports.parquet").stat().st_ino
    assert govreports("export", "--db", str(db), "--format", "parquet", "--out", str(parquet)).returncode == 0
    assert (parquet / "reports.parquet").stat().st_ino != before  # renamed into place, not appended
    assert sorted(p.name for p in parquet.iterdir()) == ["reports.parquet", "stats.parquet"]  # no temporaries


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    from core.output import replacing

    target = tmp_path / "reports.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with replacing(target) as temporary:
            temporary.write_text("half", encoding="utf-8")
            raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old\n" and [p.name for p in tmp_path.iterdir()] == ["reports.jsonl"]
