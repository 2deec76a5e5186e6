"""parse_content end to end on saved pages."""
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from normalization import to_simplified
from parsing.content import decide_format, parse_content

FIXTURES = Path(__file__).parent / "fixtures"


def _page(name):
    html = (FIXTURES / "parsing" / name).read_text(encoding="utf-8")
    return html, BeautifulSoup(html, "lxml").get_text("\n")


@pytest.fixture(scope="module")
def shanghai():
    html, text = _page("fragment_shanghai_annual_report_2019_body_tables_utf8.html")
    return parse_content(text, html=html, year=2019)


@pytest.fixture(scope="module")
def messy2021():
    html, text = _page("report_2021_messy.html")
    return parse_content(text, html=html, year=2021)


def test_shanghai_format(shanghai):
    assert shanghai.format == "2019"


def test_shanghai_cells_not_duplicated_from_text(shanghai):
    assert {c.origin for c in shanghai.cells} == {"html"} and len(shanghai.cells) == 198


def test_shanghai_blank_totals_fail_checks(shanghai):
    assert any(f.kind == "check_failed" and f.data["where"] == "row disclosed" for f in shanghai.flags)


def test_shanghai_applications_from_table(shanghai):
    assert (shanghai.figures["applications_received"].value, shanghai.figures["applications_received"].method) == (859, "table")


def test_shanghai_blank_total_is_not_a_figure(shanghai):
    assert "disclosed" not in shanghai.figures
    assert any(f.kind == "figure_unreliable" for f in shanghai.flags)


def test_shanghai_lawsuits_sum_of_both_groups(shanghai):
    assert shanghai.figures["lawsuits"].value == 9


def test_shanghai_six_sections(shanghai):
    assert [s.key for s in shanghai.sections if s.key != "preamble"] == [
        "overview", "proactive", "requests", "review_litigation", "problems", "other"]


def test_2021_format(messy2021):
    assert messy2021.format == "2021"


def test_2021_no_check_failures(messy2021):
    assert not [f for f in messy2021.flags if f.kind == "check_failed"]


def test_2021_figures(messy2021):
    assert {k: f.value for k, f in messy2021.figures.items()} == {
        "applications_received": 44, "disclosed": 11, "partially_disclosed": 5, "reconsiderations": 3, "lawsuits": 3}


def test_image_only_tables_are_flagged_not_zero():
    html, _ = _page("fragment_shanghai_annual_report_2019_body_tables_utf8.html")
    html = re.sub(r"<table.*?</table>", '<p><img src="t.png"/></p>', html, flags=re.S)
    result = parse_content(BeautifulSoup(html, "lxml").get_text("\n"), html=html, year=2019)
    flagged = [f.table for f in result.flags if f.kind == "image_only_table"]
    assert flagged == ["proactive", "requests", "review_litigation"] and result.cells == []


def test_pre_2019_report_has_no_format():
    text = to_simplified((FIXTURES / "seeds" / "000_ac5d5796d1c49dd0.txt").read_text(encoding="utf-8"))
    result = parse_content(text, year=2012)
    assert (result.format, result.cells, result.figures["applications_received"].value) == (None, [], 32)


def test_unreadable_xlsx_is_flagged():
    result = parse_content("一、总体情况", xlsx=[b"junk"], snapshot_hash="abc")
    assert [f.kind for f in result.flags] == ["xlsx_unreadable"]


@pytest.mark.parametrize("layouts, year, expected", [
    ({"2019"}, 2019, "2019"), (set(), 2022, "2021"), (set(), 2020, "2019"), (set(), 2015, None), ({"2021"}, None, "2021"),
])
def test_decide_format(layouts, year, expected):
    assert decide_format(layouts, year, "")[0] == expected


def test_layout_year_mismatch_is_flagged():
    fmt, flags = decide_format({"2019"}, 2022, "")
    assert fmt == "2019" and [f.kind for f in flags] == ["format_year_mismatch"]
