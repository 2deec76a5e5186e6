from pathlib import Path

import pytest

from normalization import to_simplified
from parsing.sections import numeral_value, section_key, split_sections

SEEDS = Path(__file__).parent / "fixtures" / "seeds"


def _sections(name):
    return split_sections(to_simplified((SEEDS / name).read_text(encoding="utf-8")))


def test_shenzhen_keys():
    assert [s.key for s in _sections("000_ac5d5796d1c49dd0.txt")] == [
        "preamble", "overview", "proactive", "requests", "fees", "review_litigation", "problems"]


def test_guangdong_keys():
    assert [s.key for s in _sections("001_45b3fb819af8aa55.txt")][1:] == [
        "overview", "proactive", "requests", "consultation", "fees", "review_litigation", "problems"]


def test_spaced_heading():
    assert _sections("002_ea6a3b00d8d8dc32.txt")[1].heading == "一 概 述"


def test_appendix_part():
    assert _sections("002_ea6a3b00d8d8dc32.txt")[-1].key == "appendix"


def test_unknown_heading_has_no_key():
    assert _sections("003_2bd2ec3356da2fb3.txt")[3] .key is None


def test_run_on_heading_is_cut_at_sentence():
    section = _sections("004_63fef033ffe3ca1d.txt")[1]
    assert section.heading == "一、进一步加强政府信息公开工作的组织领导" and section.text.startswith("一是建立")


def test_sub_headings_are_not_parts():
    assert not any(s.heading.startswith("(") for s in _sections("000_ac5d5796d1c49dd0.txt"))


def test_2019_six_parts():
    text = "\n".join(["一、总体情况", "x", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                      "四、结转下年度继续办理 1 2", "四、政府信息公开行政复议、行政诉讼情况", "五、存在的问题及改进措施",
                      "六、其它需要报告事项", "无。"])
    assert [s.key for s in split_sections(text)] == [
        "overview", "proactive", "requests", "review_litigation", "problems", "other"]


@pytest.mark.parametrize("heading, key", [("存在的主要问题及改进情况", "problems"), ("其它需要报告事项", "other"),
                                          ("因政府信息公开申请行政复议、提起行政诉讼情况", "review_litigation")])
def test_section_key(heading, key):
    assert section_key(heading) == key


def test_numeral_value():
    assert [numeral_value(n) for n in ["一", "十", "十二", "二十"]] == [1, 10, 12, 20]
