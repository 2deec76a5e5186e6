"""Reports published as documents, end to end: a fixture site on 127.0.0.1 whose detail pages are
one-line stubs linking the report as a PDF, a DOCX, a scan, or a PDF with its tables in an XLSX,
crawled by the real crawl flow (Prefect test harness, real SQLite file), then exported, crawled
again, and reparsed from the snapshots. The documents are built here (tests/report_documents.py):
2021-format tables drawn as ruled Word tables with merged cells, running headers, page numbers,
a publisher's wrong total."""
from __future__ import annotations

import html
import shutil

import pytest

from govreports.demo.server import serve
from govreports.demo.site import Page, Site
from govreports.records import report_records
from parsing.tables_xlsx import parse_xlsx_tables
from report_documents import ReportData, make_report_docx, make_report_pdf, make_scanned_pdf, text_f1
from storage.store import Store
from test_attachments import stats_2019_xlsx

pytestmark = pytest.mark.slow

AGENCY = "测试区人民政府"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORTS = {
    2023: ReportData(AGENCY, 2023, broken_total=True),  # the publisher printed a wrong 总计
    2022: ReportData(AGENCY, 2022, seed=2),
    2020: ReportData(AGENCY, 2020, seed=3, tables_in_document=False),  # tables in an XLSX beside the PDF
}
PUBLISHED = {2023: "2024-01-25", 2022: "2023-01-30", 2021: "2022-01-28", 2020: "2021-01-29"}
STUB_SENTENCES = {  # the wording varies: judged by content, not by a phrase
    2023: "现将《{title}》予以公布。",
    2022: "",  # nothing but the title, the metadata block and the 附件 link
    2021: "根据《中华人民共和国政府信息公开条例》规定，现公布本机关年度报告全文，欢迎社会各界监督。",
    2020: "按照有关要求，特发布{year}年度报告，请查阅附件。",
}


def stub_page(year: int, attachments: list[tuple[str, str]]) -> Page:
    title = f"{AGENCY}{year}年政府信息公开工作年度报告"
    links = "".join(f'<p>附件{i + 1}：<a href="{href}">{html.escape(text)}</a></p>' for i, (href, text) in enumerate(attachments))
    sentence = STUB_SENTENCES[year].format(title=title, year=year)
    markup = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}">'
        f"<title>{title}_{AGENCY}</title></head><body><div class=\"nav\">首页 &gt; 政府信息公开 &gt; 年报</div>"
        f'<table class="xxgk"><tr><td>索 引 号：</td><td>11330100X/{year + 1}-00{year % 100}</td>'
        f"<td>发布机构：</td><td>{AGENCY}办公室</td></tr>"
        f"<tr><td>发布日期：</td><td>{PUBLISHED[year]}</td><td>文号：</td><td></td></tr></table>"
        f'<h1>{title}</h1><div class="TRS_Editor"><p>{sentence}</p>{links}</div>'
        "<div class=\"footer\">主办单位：测试区人民政府办公室 网站标识码：3301000001</div></body></html>")
    return Page(markup.encode("utf-8"), "text/html; charset=utf-8")


def build_site() -> Site:
    items = "".join(f'<li><a href="{year + 1}01/t{year + 1}0125_{year}.html">{AGENCY}{year}年政府信息公开工作年度报告</a>'
                    f"<span>{PUBLISHED[year]}</span></li>" for year in PUBLISHED)
    index = f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>'
    pages = {"/nb/index.html": Page(index.encode("utf-8"), "text/html; charset=utf-8")}
    documents = {
        2023: ("P020240125.pdf", make_report_pdf(REPORTS[2023], page_numbers="of"), PDF_TYPE),
        2022: ("P020230130.docx", make_report_docx(REPORTS[2022], nested=True), DOCX_TYPE),
        2021: ("P020220128.pdf", make_scanned_pdf([f"{AGENCY}2021年政府信息公开工作年度报告", "一、总体情况"], pages=4),
               PDF_TYPE),
        2020: ("P020210129.pdf", make_report_pdf(REPORTS[2020]), PDF_TYPE),
    }
    for year, (name, body, content_type) in documents.items():
        links = [(name, f"{AGENCY}{year}年政府信息公开工作年度报告")]
        if year == 2020:
            links.append(("P020210129_tables.xlsx", "统计表"))
            pages[f"/nb/{year + 1}01/P020210129_tables.xlsx"] = Page(stats_2019_xlsx(), XLSX_TYPE)
        pages[f"/nb/{year + 1}01/t{year + 1}0125_{year}.html"] = stub_page(year, links)
        pages[f"/nb/{year + 1}01/{name}"] = Page(body, content_type)
    return Site(id="docs", name=AGENCY, kind="agency", start_path="/nb/index.html", pages=pages)


@pytest.fixture(scope="module")
def crawled(prefect_harness, tmp_path_factory):
    from flows.crawl import crawl

    site = build_site()
    db = f"sqlite:///{tmp_path_factory.mktemp('documents') / 'govreports.db'}"
    with serve([site]) as bases:
        sources = tmp_path_factory.mktemp("sources") / "sources.toml"
        sources.write_text(f'[[source]]\nid = "docs"\nname = "{AGENCY}"\nstart_urls = ["{bases["docs"]}/nb/index.html"]\n'
                           "delay = 0.0\n", encoding="utf-8")
        first = crawl(sources_file=str(sources), db=db, return_state=True)
        store = Store(db)
        records = {r["year"]: r for r in report_records(store)}
        store.close()
        second = crawl(sources_file=str(sources), db=db, return_state=True)
    assert first.is_completed(), first.message
    assert second.is_completed(), second.message
    store = Store(db)
    again = {r["year"]: r for r in report_records(store)}
    store.close()
    return {"db": db, "first": first.result(), "second": second.result(), "records": records, "again": again,
            "base": bases["docs"]}


def _cells(record: dict) -> dict[tuple[str, str, str], float]:
    return {(s["table"], s["row"], s["column"]): float(s["value"]) for s in record["stats"]}


def _copy(record: dict, kind: str) -> dict:
    return next(c for c in record["copies"] if c["kind"] == kind)


def test_four_reports_one_per_year(crawled):
    assert sorted(crawled["records"]) == [2020, 2021, 2022, 2023]
    assert {r["agency"] for r in crawled["records"].values()} == {AGENCY}


@pytest.mark.parametrize("year, kind", [(2023, "pdf"), (2022, "docx")])
def test_the_document_is_the_record(crawled, year, kind):
    record = crawled["records"][year]
    document, page = _copy(record, kind), _copy(record, "html")
    assert document["canonical"] and record["url"] == document["url"]
    assert document["match"] == "document" and document["matched_copy_id"] == page["id"]  # cell → document → page
    assert record["urls"] == [page["url"], document["url"]]
    assert text_f1(record["text"], REPORTS[year].expected_text()) >= 0.95
    assert "主办单位" not in record["text"] and "第1页" not in record["text"]


@pytest.mark.parametrize("year, origin", [(2023, "pdf"), (2022, "docx")])
def test_every_table_cell_from_the_document(crawled, year, origin):
    record = crawled["records"][year]
    document = _copy(record, origin)
    assert _cells(record) == REPORTS[year].expected_cells()  # the 2021 single-value cells too
    assert {(s["copy_id"], s["snapshot"], s["origin"]) for s in record["stats"]} == \
        {(document["id"], document["snapshot"], origin)}
    assert record["format"] == "2021"


@pytest.mark.parametrize("year, kind", [(2023, "pdf"), (2022, "docx")])
def test_every_key_figure_from_the_document(crawled, year, kind):
    record = crawled["records"][year]
    assert record["figures"] == REPORTS[year].expected_figures()
    assert {e["snapshot"] for e in record["figures_evidence"].values()} == {_copy(record, kind)["snapshot"]}


def test_the_publishers_broken_total_is_flagged_not_fixed(crawled):
    record = crawled["records"][2023]
    broken = [f for f in record["flags"] if f["kind"] == "check_failed"]
    assert broken and all(f["table"] == "requests" for f in broken)
    assert any("natural_person" in f["detail"] for f in broken)
    assert _cells(record)[("requests", "total", "natural_person")] == REPORTS[2023].requests["total"][0]
    assert not [f for f in crawled["records"][2022]["flags"] if f["kind"] == "check_failed"]


def test_the_page_supplies_title_date_and_metadata(crawled):
    record = crawled["records"][2023]
    assert record["title"] == f"{AGENCY}2023年政府信息公开工作年度报告"
    assert record["published"] == PUBLISHED[2023]  # the page's 发布日期, not the document's signing date


def test_a_scanned_document_is_flagged_with_its_pages_never_zeros(crawled):
    record = crawled["records"][2021]
    flags = [f for f in record["flags"] if f["kind"] == "image_only_document"]
    assert [(f["data"]["pages"], f["data"]["url"]) for f in flags] == [(4, _copy(record, "pdf")["url"])]
    assert record["stats"] == [] and record["figures"] == {}
    assert _copy(record, "pdf")["match"] == "no_text" and _copy(record, "html")["canonical"]


def test_text_in_a_pdf_and_tables_in_an_xlsx_are_one_report(crawled):
    record = crawled["records"][2020]
    pdf = _copy(record, "pdf")
    assert pdf["canonical"] and pdf["match"] == "document"
    assert text_f1(record["text"], REPORTS[2020].expected_text()) >= 0.95
    expected = {(c.table, c.row, c.column): c.value for c in parse_xlsx_tables([stats_2019_xlsx()]).cells}
    assert _cells(record) == expected and {s["origin"] for s in record["stats"]} == {"xlsx"}
    assert [c["kind"] for c in record["copies"]] == ["html", "pdf", "xlsx"]


def test_first_crawl_counts_new_reports_not_changes(crawled):
    counts = crawled["first"]["counts"]
    assert counts["reports_new"] == 4 and counts["reports_changed"] == 0


def test_rerunning_changes_nothing(crawled):
    counts = crawled["second"]["counts"]
    assert counts["reports_new"] == counts["reports_changed"] == counts["copies_added"] == 0
    strip = lambda r: {k: v for k, v in r.items() if k not in ("last_seen_run", "copies")}  # noqa: E731
    assert {y: strip(r) for y, r in crawled["again"].items()} == {y: strip(r) for y, r in crawled["records"].items()}


def test_reparse_rebuilds_the_same_from_snapshots(crawled, tmp_path):
    from flows.reparse import reparse

    copy_db = tmp_path / "copy.db"  # reparse a copy: the module's other tests read the original
    shutil.copy(crawled["db"].removeprefix("sqlite:///"), copy_db)
    state = reparse(db=f"sqlite:///{copy_db}", force=True, return_state=True)
    assert state.is_completed(), state.message
    store = Store(f"sqlite:///{copy_db}")
    reparsed = {r["year"]: r for r in report_records(store)}
    store.close()
    for year, record in crawled["again"].items():
        for field in ("text", "stats", "figures", "figures_evidence", "flags", "format", "title", "published", "url"):
            assert reparsed[year][field] == record[field], (year, field)
