"""One document whose load fails costs that document, not its source: the real crawl flow (Prefect
test harness, a real SQLite file) over a fixture site on 127.0.0.1.

The trigger is real data, not a patched function: a report whose canonical copy must be re-parsed
from a stored snapshot that is gone. Run 1 stores the 2020 report's first post (A) and a later
post with one number changed (B, an earlier publication date, so A stays canonical). Then B's
snapshot goes missing from the database (what `govreports reparse` already counts as a failure of
that report) and the site takes B down. Run 2 finds a re-post of B dated after A (C): B's version
becomes the latest, so B becomes canonical and its content has to be read back from its snapshot,
inside the load transaction of C. That load raises; the reports listed after C must still load.
"""
from __future__ import annotations

import html

import pytest
from sqlalchemy import delete, func, select

from govreports.demo.server import serve
from govreports.demo.site import Page, Site
from storage import models
from storage.store import Store

pytestmark = pytest.mark.slow

AGENCY = "测试县人民政府"
BODY = ("一、总体情况。{year}年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息{a}条，"
        "其中规范性文件{b}件。二、主动公开政府信息情况。全年通过政府网站发布信息{c}条，召开新闻发布会{d}场。"
        "三、收到和处理政府信息公开申请情况。全年共受理政府信息公开申请{e}件，其中当面申请{f}件，网络申请{g}件。"
        "四、政府信息公开行政复议、行政诉讼情况。因政府信息公开被申请行政复议{h}件，被提起行政诉讼{i}件。"
        "五、存在的主要问题及改进情况。公开内容不够全面，解读形式较为单一，下一步将加强培训，提升公开质量。")


def report_text(year: int, received: int = 32) -> str:
    return BODY.format(year=year, a=1200 + year % 100, b=17, c=860, d=12, e=received, f=5, g=received - 5, h=1, i=0)


def report_page(year: int, published: str, text: str) -> Page:
    title = f"{AGENCY}{year}年政府信息公开工作年度报告"
    paragraphs = "".join(f"<p>{html.escape(part)}。</p>" for part in text.split("。") if part)
    markup = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_{AGENCY}</title></head><body>'
              f'<table class="xxgk"><tr><td>发布机构：</td><td>{AGENCY}办公室</td></tr>'
              f"<tr><td>发布日期：</td><td>{published}</td></tr></table>"
              f'<h1>{title}</h1><div class="TRS_Editor">{paragraphs}</div></body></html>')
    return Page(markup.encode("utf-8"), "text/html; charset=utf-8")


# path -> (year, published, the text's 受理 count): 2020 has three posts of one report
POSTS = {
    "/nb/r2019.html": (2019, "2020-01-20", 40),
    "/nb/a2020.html": (2020, "2021-01-10", 32),  # the first post
    "/nb/b2020.html": (2020, "2021-01-05", 35),  # a version with one number changed, dated earlier
    "/nb/c2020.html": (2020, "2021-03-01", 35),  # B's text re-posted later: B's version is now the latest
    "/nb/r2021.html": (2021, "2022-01-25", 51),
    "/nb/r2022.html": (2022, "2023-01-28", 62),
}
FIRST_LISTING = ["/nb/r2019.html", "/nb/a2020.html", "/nb/b2020.html"]
SECOND_LISTING = ["/nb/r2019.html", "/nb/a2020.html", "/nb/c2020.html", "/nb/r2021.html", "/nb/r2022.html"]


def listing(paths: list[str]) -> Page:
    items = "".join(f'<li><a href="{path.rsplit("/", 1)[1]}">{AGENCY}{POSTS[path][0]}年政府信息公开工作年度报告</a>'
                    f"<span>{POSTS[path][1]}</span></li>" for path in paths)
    markup = f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body><ul>{items}</ul></body></html>'
    return Page(markup.encode("utf-8"), "text/html; charset=utf-8")


def build_site() -> Site:
    pages = {path: report_page(year, published, report_text(year, received))
             for path, (year, published, received) in POSTS.items() if path in FIRST_LISTING}
    pages["/nb/index.html"] = listing(FIRST_LISTING)
    return Site(id="county", name=AGENCY, kind="agency", start_path="/nb/index.html", pages=pages)


def second_posting(site: Site) -> None:
    """Between the runs: B taken down, C, 2021 and 2022 posted."""
    del site.pages["/nb/b2020.html"]
    for path in SECOND_LISTING:
        year, published, received = POSTS[path]
        site.pages.setdefault(path, report_page(year, published, report_text(year, received)))
    site.pages["/nb/index.html"] = listing(SECOND_LISTING)


def lose_snapshot(db: str, url: str) -> None:
    store = Store(db)
    with store._tx() as s:
        snapshot = s.scalar(select(models.Copy.snapshot_hash).where(models.Copy.url == url))
        s.execute(delete(models.Snapshot).where(models.Snapshot.content_hash == snapshot))
    store.close()


def stored(db: str) -> dict:
    store = Store(db)
    with store.session() as s:
        found = {
            "reports": sorted(s.execute(select(models.Report.year, models.Report.canonical_copy_id)).all()),
            "copies": sorted(s.scalars(select(models.Copy.url)).all()),
            "rows": {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                     for m in (models.Report, models.Copy, models.FigureRow, models.StatRow, models.SectionRow,
                               models.FlagRow)},
            "canonical_2020": s.scalar(select(models.Copy.url).join(
                models.Report, models.Report.canonical_copy_id == models.Copy.id).where(models.Report.year == 2020)),
        }
    store.close()
    return found


@pytest.fixture(scope="module")
def crawled(prefect_harness, tmp_path_factory):
    from flows.crawl import crawl
    from flows.runtime import summary_of

    site = build_site()
    db = f"sqlite:///{tmp_path_factory.mktemp('isolation') / 'govreports.db'}"
    with serve([site]) as bases:
        base = bases["county"]
        sources = tmp_path_factory.mktemp("sources") / "sources.toml"
        sources.write_text(f'[[source]]\nid = "county"\nname = "{AGENCY}"\nstart_urls = ["{base}/nb/index.html"]\n'
                           "delay = 0.0\n", encoding="utf-8")
        first = crawl(sources_file=str(sources), db=db, return_state=True)
        after_first = stored(db)
        lose_snapshot(db, f"{base}/nb/b2020.html")
        second_posting(site)
        second = crawl(sources_file=str(sources), db=db, return_state=True)
        after_second = stored(db)
        third = crawl(sources_file=str(sources), db=db, return_state=True)
        after_third = stored(db)
    return {"base": base, "first": first, "second": second, "third": third, "after_first": after_first,
            "after_second": after_second, "after_third": after_third,
            "second_summary": summary_of(second), "third_summary": summary_of(third)}


def test_the_first_run_stores_the_first_post_as_canonical(crawled):
    assert crawled["first"].is_completed(), crawled["first"].message
    assert crawled["after_first"]["canonical_2020"] == f"{crawled['base']}/nb/a2020.html"
    assert [year for year, _ in crawled["after_first"]["reports"]] == [2019, 2020]


def test_the_reports_after_the_failed_load_are_loaded(crawled):
    assert [year for year, _ in crawled["after_second"]["reports"]] == [2019, 2020, 2021, 2022]
    assert crawled["second_summary"]["counts"]["reports_new"] == 2


def test_the_failed_load_is_rolled_back(crawled):
    after = crawled["after_second"]
    assert f"{crawled['base']}/nb/c2020.html" not in after["copies"]
    assert after["canonical_2020"] == f"{crawled['base']}/nb/a2020.html"


def test_the_failure_is_counted_named_and_fails_the_run(crawled):
    summary = crawled["second_summary"]
    assert summary["errors"]["by_class"] == {"load_failed": 1}
    assert summary["counts"]["per_source"]["county"]["failures"] == {"load_failed": 1}
    assert f"{crawled['base']}/nb/c2020.html" in summary["errors"]["sources"]["county"]
    assert summary["errors"]["source_status"] == {"county": "error"}  # our side: a person must look
    assert crawled["second"].is_failed()


def test_a_rerun_duplicates_nothing(crawled):
    assert crawled["after_third"] == crawled["after_second"]
    assert crawled["third_summary"]["errors"]["by_class"] == {"load_failed": 1}  # the snapshot is still gone
    assert crawled["third_summary"]["counts"]["reports_new"] == 0


@pytest.mark.postgres
def test_the_database_going_away_is_raised_for_the_task_to_retry_not_counted(postgres_url, postgres_server):
    """OperationalError is the database, not the document: raised, so the process task's retry
    condition (flows.crawl._db_is_transient) retries the whole task."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from storage.loading import load_isolated
    from test_store_dedup import EMPTY, HANGZHOU, document

    store = Store(postgres_url)
    run_id = store.start_run("crawl", {})
    with postgres_server.connect() as connection:  # the database goes away under the crawl
        connection.execute(text(f'DROP DATABASE "{postgres_url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    with pytest.raises(OperationalError):
        load_isolated(store, document(HANGZHOU, "http://gov.example/nb/2019.html"), run_id, lambda copy: EMPTY)
    store.close()
