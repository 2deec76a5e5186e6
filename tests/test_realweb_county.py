"""An old county government site crawled end to end by the real flow (issue 13, classes 3, 4, 5): GBK
pages declared only in <meta>, a <dl> list whose <dd> holds the dates, detail pages with no date at
all and titles naming only the county (清溪县…), and pre-2019 reports whose key figures are said in
words, put before the noun, or printed in an appendix table with a 历年累计 column."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from catalogue_server import CatalogueServer

SITE = Path(__file__).parent / "fixtures" / "sites" / "county_old"


@pytest.fixture(scope="module")
def records(tmp_path_factory, prefect_harness):
    from flows.crawl import crawl
    from govreports.records import report_records
    from storage.store import Store

    site = tomllib.loads((SITE / "routes.toml").read_text(encoding="utf-8"))
    routes = {r["path"]: (SITE / r["file"], r["content_type"]) for r in site["route"]}
    tmp = tmp_path_factory.mktemp("county")
    with CatalogueServer(routes) as server:
        sources = tmp / "sources.toml"
        sources.write_text(f'[[source]]\nid = "qx"\nname = "{site["name"]}"\nstart_urls = ["{server.base}{site["start"]}"]\n'
                           "delay = 0.0\n", encoding="utf-8")
        crawl(sources_file=str(sources), db=f"sqlite:///{tmp / 'r.db'}")
    store = Store(f"sqlite:///{tmp / 'r.db'}")
    found = {r["year"]: r for r in report_records(store)}
    store.close()
    return found


def test_three_reports_and_not_the_解读(records):
    assert sorted(records) == [2012, 2016, 2017]


@pytest.mark.parametrize("year", [2012, 2016, 2017])
def test_a_title_naming_the_county_is_the_county_government(records, year):
    assert records[year]["agency"] == "清溪县人民政府"


@pytest.mark.parametrize("year, date", [(2012, "2013-03-28"), (2016, "2017-03-30"), (2017, "2018-03-29")])
def test_a_page_without_a_date_gets_the_date_its_list_printed_beside_it(records, year, date):
    assert records[year]["published"] == date


def test_no_application_said_in_words(records):
    assert records[2012]["figures"] == {"applications_received": 0, "disclosed": 0, "partially_disclosed": 0,
                                        "reconsiderations": 0, "lawsuits": 0}


def test_appendix_year_column_not_the_running_total(records):
    assert records[2016]["figures"] == {"applications_received": 15, "disclosed": 9, "partially_disclosed": 3,
                                        "reconsiderations": 2, "lawsuits": 1}
    assert records[2016]["figures_evidence"]["applications_received"]["method"] == "appendix"


def test_zero_said_as_为零(records):
    assert records[2017]["figures"] == {"applications_received": 0, "disclosed": 0, "partially_disclosed": 0,
                                        "reconsiderations": 0, "lawsuits": 0}
