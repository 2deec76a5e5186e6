"""The cross-year check: this year's 上年结转 == last year's 结转下年度继续办理, column by column, flagged
on the later report with both numbers and both reports, whichever year is loaded first, never twice."""
from __future__ import annotations

import pytest

from govreports.records import report_records
from parsing.crossyear import carry_over, carry_over_flag
from statsdb import load_report, requests_cells, simple_requests
from storage.store import Store

EARLIER = {"id": "r2021", "agency": "甲市公安局", "year": 2021, "url": "http://a/2021.html"}
LATER = {"id": "r2022", "agency": "甲市公安局", "year": 2022, "url": "http://a/2022.html"}


def test_columns_that_agree_raise_nothing():
    checked = carry_over({"natural_person": 4, "total": 4}, {"natural_person": 4, "total": 4})
    assert all(c.holds for c in checked) and carry_over_flag(checked, EARLIER, LATER) is None


def test_a_mismatch_names_both_numbers_and_both_reports():
    checked = carry_over({"natural_person": 4, "commercial": 1, "total": 5}, {"natural_person": 13, "commercial": 1,
                                                                               "total": 14})
    flag = carry_over_flag(checked, EARLIER, LATER)
    assert flag.kind == "carry_over_mismatch" and flag.table == "requests"
    assert flag.data["columns"] == [
        {"column": "natural_person", "carried_over": 13, "last_year_carried_forward": 4},
        {"column": "total", "carried_over": 14, "last_year_carried_forward": 5}]
    assert flag.data["earlier"]["id"] == "r2021" and flag.data["later"]["id"] == "r2022"
    assert "natural_person: 13 ≠ 4" in flag.detail and "r2021" in flag.detail and "r2022" in flag.detail


def test_a_column_only_one_report_has_is_not_compared():
    checked = carry_over({"natural_person": 4}, {"natural_person": 4, "commercial": 2})
    assert [c.column for c in checked] == ["natural_person"]


def carry_flags(store: Store) -> dict[tuple[str, int], list[dict]]:
    return {(r["agency"], r["year"]): [f for f in r["flags"] if f["kind"] == "carry_over_mismatch"]
            for r in report_records(store)}


# 2021 carries 4 forward; 2022 says it carried over 6 (a mismatch of 2 in 自然人 and 总计).
Y2021 = simple_requests(40, 0, 10, 5, 3, 18, 4)
Y2022 = simple_requests(50, 6, 20, 5, 3, 24, 4)


@pytest.mark.parametrize("order", [(2021, 2022), (2022, 2021)], ids=["earlier-first", "later-first"])
def test_the_later_report_is_flagged_whichever_year_loads_first(db_url, order):
    store = Store(db_url)
    tables = {2021: Y2021, 2022: Y2022}
    for year in order:
        load_report(store, "甲市公安局", year, tables[year])
    flags = carry_flags(store)
    assert flags[("甲市公安局", 2021)] == []
    [flag] = flags[("甲市公安局", 2022)]
    assert flag["data"]["columns"] == [{"column": "natural_person", "carried_over": 6, "last_year_carried_forward": 4},
                                       {"column": "total", "carried_over": 6, "last_year_carried_forward": 4}]
    assert flag["data"]["earlier"]["year"] == 2021 and flag["data"]["later"]["year"] == 2022
    store.close()


def test_reloading_never_duplicates_the_flag(db_url):
    store = Store(db_url)
    for _ in range(2):  # the same crawl twice
        run = store.start_run("crawl", {})
        load_report(store, "甲市公安局", 2021, Y2021, run_id=run)
        load_report(store, "甲市公安局", 2022, Y2022, run_id=run)
    assert len(carry_flags(store)[("甲市公安局", 2022)]) == 1
    store.close()


def test_agreeing_years_and_other_agencies_are_not_flagged(db_url):
    store = Store(db_url)
    load_report(store, "甲市公安局", 2021, Y2021)
    load_report(store, "甲市公安局", 2022, simple_requests(50, 4, 20, 5, 3, 22, 4))  # carries over the 4
    load_report(store, "乙市公安局", 2022, Y2022)  # another agency: its year before is not 甲's
    assert all(flags == [] for flags in carry_flags(store).values())
    store.close()


def test_a_correction_of_last_year_clears_the_flag(db_url):
    """The flag is read from the stored cells: when the earlier report is corrected (a new canonical
    copy with the numbers that agree), the later report is no longer flagged, with nothing to clean up."""
    store = Store(db_url)
    load_report(store, "甲市公安局", 2022, Y2022)
    load_report(store, "甲市公安局", 2021, Y2021)
    assert len(carry_flags(store)[("甲市公安局", 2022)]) == 1
    corrected = requests_cells({"received": {"natural_person": 40}, "carried_over": {"natural_person": 0},
                                "disclosed": {"natural_person": 10}, "partially_disclosed": {"natural_person": 5},
                                "withheld.third_party": {"natural_person": 3},
                                "unavailable.not_held": {"natural_person": 16}, "total": {"natural_person": 34},
                                "carried_forward": {"natural_person": 6}})
    load_report(store, "甲市公安局", 2021, corrected, url="http://127.0.0.1:9/corrected/2021.html")
    records = {(r["agency"], r["year"]): r for r in report_records(store)}
    assert records[("甲市公安局", 2021)]["url"].endswith("/corrected/2021.html")  # the correction is canonical
    assert carry_flags(store)[("甲市公安局", 2022)] == []
    store.close()
