"""Deduplication as stored: copies of one report join one record with a stable id; years and
agencies never merge (Store.load on a real SQLite file and a real Postgres database)."""
from __future__ import annotations

from pathlib import Path

import pytest

from dedup.calibration import as_correction, as_district, as_next_year, as_pdf_extraction, as_repost, \
    as_traditional_mirror
from govreports.records import report_records
from normalization import to_simplified
from core.document import ContentParse
from core.document import Document
from dedup.identity import report_id_for
from storage.reports import LoadOutcome
from storage.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "dedup"
HANGZHOU = (FIXTURES / "hangzhou_psb_2019.txt").read_text(encoding="utf-8")
GUANGZHOU = (FIXTURES / "guangzhou_psb_2013.txt").read_text(encoding="utf-8")
AGENCY = "杭州市公安局"
EMPTY = ContentParse(format=None, sections=[], cells=[], figures={}, flags=[])


def document(text: str, url: str, *, kind: str = "html", official: bool = True, year: int = 2019,
             agency: str = AGENCY, title: str | None = None, published: str = "2020-01-19") -> Document:
    return Document(source_id="mirror" if not official else "hz-gaj", official=official, url=url, final_url=url,
                    kind=kind, snapshot_hash="0" * 64, agency=agency, year=year,
                    title=title or f"{agency}{year}年度政府信息公开工作年度报告", published=published,
                    text=to_simplified(text), text_original=text, content=EMPTY)


def load(store: Store, doc: Document, run_id: int = 1) -> LoadOutcome:
    return store.load(doc, run_id, content_for=lambda copy: EMPTY)


@pytest.fixture
def store(db_url):
    store = Store(db_url)
    yield store
    store.close()


def records(store: Store) -> dict[tuple[str, int], dict]:
    return {(r["agency"], r["year"]): r for r in report_records(store)}


def test_mirror_official_attachment_and_repost_are_one_record(store):
    urls = ["http://mirror.org/wiki/hz2019", "http://hz.gov.cn/art/2020/1/19/art_1229_1.html",
            "http://hz.gov.cn/module/download/2019nb.pdf", "http://portal.gov.cn/art/2020/1/21/art_9_2.html"]
    load(store, document(as_traditional_mirror(HANGZHOU), urls[0], official=False))
    load(store, document(HANGZHOU, urls[1]))
    load(store, document(as_pdf_extraction(HANGZHOU, "杭州市公安局"), urls[2], kind="pdf"))
    load(store, document(as_repost(HANGZHOU), urls[3]))
    found = records(store)
    assert list(found) == [(AGENCY, 2019)]
    assert found[(AGENCY, 2019)]["urls"] == urls


def test_the_official_html_copy_is_canonical_and_says_why(store):
    load(store, document(as_traditional_mirror(HANGZHOU), "http://mirror.org/wiki/hz2019", official=False))
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"))
    record = records(store)[(AGENCY, 2019)]
    assert record["url"] == "http://hz.gov.cn/art/1.html"
    assert "official site over mirror" in record["canonical_reason"]


def test_a_correction_is_a_second_version_of_the_same_record(store):
    corrected, changes = as_correction(HANGZHOU, changes=3)
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"))
    assert load(store, document(corrected, "http://hz.gov.cn/art/2.html", title=f"{AGENCY}2019年度政府信息公开工作年度报告（更正版）",
                                published="2020-02-10")) is LoadOutcome.CHANGED
    record = records(store)[(AGENCY, 2019)]
    assert [c["match"] for c in record["copies"]] == ["first", "version"]
    assert {(c["old"], c["new"]) for c in record["copies"][1]["changed_numbers"]} == set(changes)
    assert record["url"] == "http://hz.gov.cn/art/2.html" and "latest correction" in record["canonical_reason"]


def test_consecutive_years_with_shared_text_are_two_records(store):
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/2019.html", year=2019))
    load(store, document(as_next_year(HANGZHOU, donor=GUANGZHOU), "http://hz.gov.cn/art/2020.html", year=2020))
    assert set(records(store)) == {(AGENCY, 2019), (AGENCY, 2020)}


def test_city_and_district_from_one_template_are_two_records(store):
    district = "杭州市公安局西湖区分局"
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"))
    load(store, document(as_district(HANGZHOU, AGENCY, district, donor=GUANGZHOU), "http://xh.gov.cn/art/1.html",
                         agency=district))
    assert set(records(store)) == {(AGENCY, 2019), (district, 2019)}


def test_recrawl_adds_a_new_copy_to_the_existing_record_id(store):
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"), run_id=1)
    first_id = records(store)[(AGENCY, 2019)]["id"]
    assert load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"), run_id=2) is LoadOutcome.UNCHANGED
    assert load(store, document(as_repost(HANGZHOU), "http://portal.gov.cn/a.html"), run_id=2) is LoadOutcome.COPY_ADDED
    record = records(store)[(AGENCY, 2019)]
    assert record["id"] == first_id == report_id_for(AGENCY, 2019)
    assert (record["first_seen_run"], record["last_seen_run"], len(record["urls"])) == (1, 2, 2)


def test_the_same_text_under_another_agency_is_flagged_not_merged(store):
    district = "杭州市公安局西湖区分局"
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"))
    load(store, document(HANGZHOU, "http://xh.gov.cn/art/1.html", agency=district))  # re-posted verbatim
    found = records(store)
    assert set(found) == {(AGENCY, 2019), (district, 2019)}
    flag = next(f for f in found[(district, 2019)]["flags"] if f["kind"] == "same_text_as_other_report")
    assert flag["data"]["reports"] == [{"id": report_id_for(AGENCY, 2019), "agency": AGENCY, "year": 2019}]


def test_a_report_with_its_own_text_has_no_cross_report_flag(store):
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"))
    load(store, document(as_next_year(HANGZHOU, donor=GUANGZHOU), "http://hz.gov.cn/art/2020.html", year=2020))
    assert all(not r["flags"] for r in records(store).values())


def _flags(record: dict, kind: str) -> list[dict]:
    return [f for f in record["flags"] if f["kind"] == kind]


def test_a_near_text_under_another_year_is_flagged_with_its_similarity(store):
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/2019.html"))
    # last year's report re-posted as this year's, through a traditional mirror (junk characters, script)
    load(store, document(as_traditional_mirror(HANGZHOU), "http://mirror.org/hz2020", official=False, year=2020))
    found = records(store)
    [flag] = _flags(found[(AGENCY, 2020)], "near_text_as_other_report")
    [other] = flag["data"]["reports"]
    assert (other["id"], other["year"]) == (report_id_for(AGENCY, 2019), 2019)
    assert 0.85 <= other["similarity"] < 1.0
    assert [f["data"]["reports"][0]["year"] for f in _flags(found[(AGENCY, 2019)], "near_text_as_other_report")] == [2020]


def test_the_same_text_elsewhere_is_flagged_once_as_same_not_also_as_near(store):
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"))
    load(store, document(HANGZHOU, "http://xh.gov.cn/art/1.html", agency="杭州市公安局西湖区分局"))
    kinds = [f["kind"] for r in records(store).values() for f in r["flags"]]
    assert kinds == ["same_text_as_other_report", "same_text_as_other_report"]


def test_a_district_copy_of_the_template_is_not_near(store):
    load(store, document(HANGZHOU, "http://hz.gov.cn/art/1.html"))
    district = "杭州市公安局西湖区分局"
    load(store, document(as_district(HANGZHOU, AGENCY, district, donor=GUANGZHOU), "http://xh.gov.cn/art/1.html",
                         agency=district))
    assert all(not r["flags"] for r in records(store).values())


def test_copies_loaded_before_near_keys_existed_get_them_on_fill(store):
    from sqlalchemy import update

    from storage.models import Copy, CopyBand

    load(store, document(HANGZHOU, "http://hz.gov.cn/art/2019.html"))
    load(store, document(as_traditional_mirror(HANGZHOU), "http://mirror.org/hz2020", official=False, year=2020))
    with store._tx() as s:  # as a database migrated from before copies had keys
        s.execute(CopyBand.__table__.delete())
        s.execute(update(Copy).values(minhash=None))
    assert all(not r["flags"] for r in records(store).values())
    assert store.fill_near_keys() == 2
    assert store.fill_near_keys() == 0
    assert _flags(records(store)[(AGENCY, 2020)], "near_text_as_other_report")
