"""Attachments end to end: a fixture site on 127.0.0.1 crawled by the real crawl flow (Prefect test
harness, real SQLite file), then the export read field by field. The site has (a) an HTML report
page with its PDF attachment, (b) a report published only as a DOCX that the listing links to, and
(c) an HTML page whose statistics tables exist only in an attached XLSX (2019 format), plus a broken
DOC attachment (an OLE header and nothing else) and an attachment on a host the source does not allow."""
from __future__ import annotations

import html

import pytest

from govreports.demo.server import serve
from govreports.demo.site import Page, Site
from govreports.records import report_records
from flows.pipeline import FetchedAttachment, FetchedDoc, build_documents
from core.sources import Source
from storage.store import Store
from test_attachments import OLE_HEADER, make_docx, make_pdf, stats_2019_xlsx, zip_bomb

pytestmark = pytest.mark.slow

AGENCY = "测试市公安局"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_lines(year: int) -> list[str]:
    return [
        f"{AGENCY}{year}年政府信息公开工作年度报告",
        "一、总体情况",
        f"{year}年，{AGENCY}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
        "持续推进决策、执行、管理、服务、结果公开，主动回应社会关切，政府信息公开工作取得新进展。",
        "二、主动公开政府信息情况",
        "全年通过门户网站主动公开政府信息一千余条，其中规范性文件和政策解读材料均按时发布。",
        "三、收到和处理政府信息公开申请情况",
        f"{year}年共受理政府信息公开申请32件，同意公开22件，部分公开1件，均在法定期限内答复。",
        "四、政府信息公开行政复议、行政诉讼情况",
        "全年因政府信息公开引发行政复议1件，行政诉讼0件。",
        "五、存在的主要问题及改进情况",
        "公开内容的规范性仍需提高，下一步将加强培训，完善制度。",
        "六、其他需要报告的事项",
        "无。",
    ]


def detail_page(year: int, attachments: list[tuple[str, str]]) -> Page:
    lines = report_lines(year)
    links = "".join(f'<p><a href="{href}">{html.escape(text)}</a></p>' for href, text in attachments)
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)  # the title is repeated in the body
    markup = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{lines[0]}">'
              f"<title>{lines[0]}</title></head><body><h1>{lines[0]}</h1>"
              f'<div class="TRS_Editor">{body}</div><div class="attachments">{links}</div></body></html>')
    return Page(markup.encode("utf-8"), "text/html; charset=utf-8")


def build_site() -> Site:
    listing = [("202001/t20200120_1.html", 2019), ("files/2018nb.docx", 2018), ("202101/t20210125_2.html", 2020)]
    items = "".join(f'<li><a href="{href}">{AGENCY}{year}年政府信息公开工作年度报告</a><span>{year + 1}-01-20</span></li>'
                    for href, year in listing)
    index = f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>'
    return Site(id="att", name=AGENCY, kind="agency", start_path="/gknb/index.html", pages={
        "/gknb/index.html": Page(index.encode("utf-8"), "text/html; charset=utf-8"),
        "/gknb/202001/t20200120_1.html": detail_page(2019, [
            ("../files/2019nb.pdf", "附件：2019年年度报告.pdf"),
            ("http://127.0.0.2:9/elsewhere.pdf", "附件：镜像"),  # a host the source does not allow
        ]),
        "/gknb/files/2019nb.pdf": Page(make_pdf(report_lines(2019)), PDF_TYPE),
        "/gknb/files/2018nb.docx": Page(make_docx(report_lines(2018)[:3], [["项目", "件数"], ["申请", "32"]],
                                                  report_lines(2018)[3:]), DOCX_TYPE),
        "/gknb/202101/t20210125_2.html": detail_page(2020, [
            ("../files/2020tables.xlsx", "附件1：统计表.xlsx"), ("../files/2020note.doc", "附件2：说明.doc"),
        ]),
        "/gknb/files/2020tables.xlsx": Page(stats_2019_xlsx(), XLSX_TYPE),
        "/gknb/files/2020note.doc": Page(OLE_HEADER, "application/msword"),
    })


@pytest.fixture(scope="module")
def crawled(prefect_harness, tmp_path_factory):
    from flows.crawl import crawl

    site = build_site()
    db = f"sqlite:///{tmp_path_factory.mktemp('attachments') / 'govreports.db'}"
    with serve([site]) as bases:
        sources = tmp_path_factory.mktemp("sources") / "sources.toml"
        sources.write_text(f'[[source]]\nid = "att"\nname = "{AGENCY}"\nstart_urls = ["{bases["att"]}/gknb/index.html"]\n'
                           "delay = 0.0\n", encoding="utf-8")
        state = crawl(sources_file=str(sources), db=db, return_state=True)
    assert state.is_completed(), state.message
    store = Store(db)
    records = {r["year"]: r for r in report_records(store)}
    fetch_purposes = {row.url.rsplit("/", 1)[-1]: row.purpose for row in store.fetch_rows(state.result()["run_id"])}
    store.close()
    return {**state.result(), "db": db}, records, bases["att"], fetch_purposes


def test_three_reports_one_per_year(crawled):
    _, records, _, _ = crawled
    assert sorted(records) == [2018, 2019, 2020]
    assert {r["agency"] for r in records.values()} == {AGENCY}


def test_pdf_attachment_is_a_copy_of_its_page(crawled):
    _, records, base, _ = crawled
    report = records[2019]
    assert report["urls"] == [f"{base}/gknb/202001/t20200120_1.html", f"{base}/gknb/files/2019nb.pdf"]
    assert [c["kind"] for c in report["copies"]] == ["html", "pdf"]
    assert report["copies"][0]["canonical"] and report["copies"][1]["match"] in ("exact", "near")


def test_attachments_fetched_as_attachments(crawled):
    _, _, _, purposes = crawled
    assert purposes["2019nb.pdf"] == "attachment" and purposes["2020tables.xlsx"] == "attachment"
    assert "elsewhere.pdf" not in purposes  # off-host: never requested


def test_attachment_only_docx_is_a_report(crawled):
    _, records, base, _ = crawled
    report = records[2018]
    assert report["url"] == f"{base}/gknb/files/2018nb.docx"
    assert [c["kind"] for c in report["copies"]] == ["docx"]
    assert report["title"] == f"{AGENCY}2018年政府信息公开工作年度报告"
    assert "一、总体情况" in report["text"] and "申请\t32" in report["text"]


def test_xlsx_statistics_tables_reach_the_export(crawled):
    _, records, base, _ = crawled
    report = records[2020]
    assert f"{base}/gknb/files/2020tables.xlsx" in report["urls"]
    assert report["format"] == "2019"
    assert {s["table"] for s in report["stats"]} == {"proactive", "requests", "review_litigation"}
    assert report["copies"][0]["canonical"] and report["copies"][0]["kind"] == "html"


def test_unreadable_doc_flagged_on_its_report(crawled):
    _, records, base, _ = crawled
    flags = [f for f in records[2020]["flags"] if f["kind"] == "attachment_failed"]
    assert [(f["data"]["url"], f["data"]["outcome"]) for f in flags] == [(f"{base}/gknb/files/2020note.doc", "unreadable")]
    # no text, so not a copy; but it is a place the report was published: listed in urls
    assert f"{base}/gknb/files/2020note.doc" in records[2020]["urls"]
    assert f"{base}/gknb/files/2020note.doc" not in [c["url"] for c in records[2020]["copies"]]


def test_attachment_failures_counted_by_class(crawled):
    summary, _, _, _ = crawled
    by_class = summary["errors"]["by_class"]
    assert by_class.get("attachment_off_host") == 1 and by_class.get("attachment_unreadable") == 1


# -- the pipeline alone: one bad attachment fails only itself -------------------------------------

def test_zip_bomb_attachment_fails_alone():
    source = Source(id="t", name=AGENCY, start_urls=("http://127.0.0.1/gknb/index.html",))
    page = detail_page(2019, [])
    snapshots = {"bomb": zip_bomb("docx"), "pdf": make_pdf(report_lines(2019))}
    fetched = FetchedDoc("http://127.0.0.1/gknb/a.html", "http://127.0.0.1/gknb/a.html", "page", page.content_type,
                         f"{AGENCY}2019年政府信息公开工作年度报告", None, None, attachments=(
                             FetchedAttachment("http://127.0.0.1/b.docx", "http://127.0.0.1/b.docx", "bomb", DOCX_TYPE, "附件1"),
                             FetchedAttachment("http://127.0.0.1/c.pdf", "http://127.0.0.1/c.pdf", "pdf", PDF_TYPE, "附件2")))
    built = build_documents(source, fetched, page.body, None, snapshots.__getitem__)
    assert [d.kind for d in built.documents] == ["html", "pdf"]
    assert [(url, e.outcome) for url, e in built.attachment_failures] == [("http://127.0.0.1/b.docx", "too_large")]
    assert [f.data["outcome"] for f in built.documents[0].content.flags if f.kind == "attachment_failed"] == ["too_large"]


def test_reparse_keeps_statistics_read_from_an_xlsx_attachment(crawled, tmp_path):
    """Reparse re-reads the page's XLSX attachments from their snapshots (no network)."""
    import shutil

    from flows.reparse import reparse

    summary, records, _, _ = crawled
    copy_db = tmp_path / "copy.db"  # reparse a copy: the module's other tests read the original
    shutil.copy(summary["db"].removeprefix("sqlite:///"), copy_db)
    state = reparse(db=f"sqlite:///{copy_db}", force=True, return_state=True)
    assert state.is_completed(), state.message
    reparsed = {r["year"]: r for r in report_records(Store(f"sqlite:///{copy_db}"))}
    assert reparsed[2020]["stats"] == records[2020]["stats"]


def test_reports_command_shows_flags_by_kind(crawled):
    from typer.testing import CliRunner

    from govreports.cli import app

    summary, _, _, _ = crawled
    result = CliRunner().invoke(app, ["reports", "--db", summary["db"]])
    line = next(line for line in result.output.splitlines() if "  2020  " in line)
    assert "attachment_failed" in line and "stats=" in line
