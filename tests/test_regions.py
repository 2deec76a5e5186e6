"""Agencies in their place: inference from the name, the sources file's optional keys, validation."""
from __future__ import annotations

import pytest

from core.errors import SourcesError
from core.regions import infer_place, place_of
from core.sources import load_sources
from scrapers.registry import platform_names

INFERRED = {
    # name: (division, level, kind, parent)
    "深圳市公安局": ("深圳市", "市", "部门", "深圳市人民政府"),
    "杭州市西湖区人民政府": ("西湖区", "县", "人民政府", "杭州市人民政府"),
    "浙江省人民政府办公厅": ("浙江省", "省", "办公厅", "浙江省人民政府"),
    "杭州市人民政府办公室": ("杭州市", "市", "办公厅", "杭州市人民政府"),
    "浙江省人民政府": ("浙江省", "省", "人民政府", None),
    "广东省公安厅": ("广东省", "省", "部门", "广东省人民政府"),
    "北京市公安局": ("北京市", "省", "部门", "北京市人民政府"),  # a 直辖市 is provincial level
    "北京市朝阳区人民政府": ("朝阳区", "县", "人民政府", "北京市人民政府"),
    "内蒙古自治区人民政府": ("内蒙古自治区", "省", "人民政府", None),
    "广西壮族自治区公安厅": ("广西壮族自治区", "省", "部门", "广西壮族自治区人民政府"),
    "延边朝鲜族自治州人民政府": ("延边朝鲜族自治州", "市", "人民政府", None),
    "金华市义乌市人民政府": ("义乌市", "县", "人民政府", "金华市人民政府"),  # a county-level city under its city
    "广东省深圳市公安局": ("深圳市", "市", "部门", "深圳市人民政府"),
    "深圳市市场监督管理局": ("深圳市", "市", "部门", "深圳市人民政府"),  # 市场 is not a place
    "深圳市城市管理和综合执法局": ("深圳市", "市", "部门", "深圳市人民政府"),  # nor is 城市
    "沛县人民政府": ("沛县", "县", "人民政府", None),  # one-character county names are real
    "锡林郭勒盟行政公署": ("锡林郭勒盟", "市", "人民政府", None),
    "国家税务总局深圳市税务局": (None, None, "部门", None),  # vertical management: no division in front
    "市公安局": (None, None, "部门", None),  # a short form names no place
}


@pytest.mark.parametrize("name", INFERRED)
def test_place_inferred_from_the_name(name):
    place = infer_place(name)
    assert (place.division, place.level, place.agency_kind, place.parent) == INFERRED[name]


def test_inferred_fields_say_so_and_codes_are_never_invented():
    place = infer_place("深圳市公安局")
    assert place.division_code is None
    assert place.origin == {"division": "inferred", "level": "inferred", "agency_kind": "inferred",
                            "parent": "inferred"}


def test_province_is_kept_for_roll_ups_when_the_name_states_it():
    assert infer_place("广东省深圳市公安局").province == "广东省"
    assert infer_place("浙江省公安厅").province == "浙江省"


def test_sources_keys_win_field_by_field():
    place = place_of("义乌市人民政府", {"division_code": "330782", "parent": "金华市人民政府"})
    assert (place.division, place.division_code, place.level, place.agency_kind, place.parent) == \
        ("义乌市", "330782", "县", "人民政府", "金华市人民政府")  # the code says 县, where the name said 市
    assert place.origin["level"] == "sources" and place.origin["division"] == "inferred"


PLACED = """
[[source]]
id = "sz-gaj"
name = "深圳市公安局"
start_urls = ["https://www.sz.gov.cn/gaj/xxgknb/index.html"]
division_code = "440300"
division = "深圳市"
level = "市"
agency_kind = "部门"
parent = "深圳市人民政府"
"""


def test_sources_file_reads_place_keys(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(PLACED, encoding="utf-8")
    source = load_sources(path, platform_names())[0]
    assert (source.division_code, source.division, source.level, source.agency_kind, source.parent) == \
        ("440300", "深圳市", "市", "部门", "深圳市人民政府")
    assert source.as_config()["division_code"] == "440300"  # stored with the source in the database


BAD_PLACE = {
    "code not six digits": ('division_code = "4403"', "division_code must be a six-digit"),
    "code as a number": ("division_code = 440300", "division_code must be a six-digit"),
    "unknown level": ('level = "区"', "level must be one of 省/市/县"),
    "unknown kind": ('agency_kind = "局"', "agency_kind must be one of 人民政府/部门/办公厅"),
    "level against code": ('division_code = "440300"\nlevel = "县"', "level 县 does not match division_code 440300"),
    "empty parent": ('parent = " "', "parent must be a non-empty string"),
}


@pytest.mark.parametrize("case", BAD_PLACE)
def test_bad_place_keys_name_the_entry(tmp_path, case):
    line, message = BAD_PLACE[case]
    path = tmp_path / "s.toml"
    path.write_text(f'[[source]]\nid = "a"\nname = "甲市公安局"\nstart_urls = ["http://a.gov.cn/"]\n{line}\n',
                    encoding="utf-8")
    with pytest.raises(SourcesError) as error:
        load_sources(path, platform_names())
    assert 'source #1 (id "a")' in str(error.value) and message in str(error.value)


def test_place_keys_on_a_portal_are_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[source]]\nid = "p"\nkind = "portal"\nstart_urls = ["http://a.gov.cn/"]\nlevel = "省"\n',
                    encoding="utf-8")
    with pytest.raises(SourcesError, match="a source without a name has none"):
        load_sources(path, platform_names())
