"""Golden figures on the five seeds (after to_simplified), and phrasings that must not be taken."""
from pathlib import Path

import pytest

from normalization import to_simplified
from parsing.figures import extract_figures, figures_from_appendix, figures_from_prose

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
KEYS = ["applications_received", "disclosed", "partially_disclosed", "reconsiderations", "lawsuits"]
GOLDEN = {
    "000_ac5d5796d1c49dd0.txt": [32, 22, 1, 1, 0],  # 深圳市公安局 2012
    "001_45b3fb819af8aa55.txt": [258, 41, 8, 11, 4],  # 广东省公安厅 2017
    "002_ea6a3b00d8d8dc32.txt": [46, 17, 7, 1, 3],  # 广州市公安局 2013 (appendix tables)
    "003_2bd2ec3356da2fb3.txt": [91, 14, 11, 17, 2],  # 杭州市公安局 2019 (prose only)
}


def _figures(name):
    return extract_figures(to_simplified((SEEDS / name).read_text(encoding="utf-8")), [])[0]


@pytest.mark.parametrize("name, key, expected",
                         [(n, k, v) for n, values in GOLDEN.items() for k, v in zip(KEYS, values)])
def test_seed_golden_figure(name, key, expected):
    assert _figures(name)[key].value == expected


def test_wuhan_2008_reports_no_figures():
    assert _figures("004_63fef033ffe3ca1d.txt") == {}


def test_evidence_is_the_sentence():
    assert "共受理政府信息公开申请32件" in _figures("000_ac5d5796d1c49dd0.txt")["applications_received"].evidence


def test_appendix_beats_prose():
    assert _figures("002_ea6a3b00d8d8dc32.txt")["disclosed"].method == "appendix"


def test_explicit_none_is_zero_from_prose():
    figure = _figures("000_ac5d5796d1c49dd0.txt")["lawsuits"]
    assert (figure.value, figure.method) == (0, "prose") and "未发生" in figure.evidence


@pytest.mark.parametrize("text, key, expected", [
    ("共收到政府信息公开申请258件（同比增加14.67%）。", "applications_received", 258),
    ("不同意公开36件，同意公开41件。", "disclosed", 41),
    ("行政复议 1 宗和诉讼案件 3 宗。", "lawsuits", 3),
    ("有一起行政复议。", "reconsiderations", 1),
])
def test_phrasings(text, key, expected):
    assert figures_from_prose(text)[key].value == expected


@pytest.mark.parametrize("text, key", [
    ("其他情况9件。", "disclosed"),
    ("收到网民留言申请1200条。", "applications_received"),
    ("申请数量较去年增加12件。", "applications_received"),
    ("予以公开及部分公开258件。", "partially_disclosed"),
    ("公开率达到14.67%。", "disclosed"),
])
def test_look_alikes_are_not_taken(text, key):
    assert key not in figures_from_prose(text)


def test_appendix_rows_in_trafilatura_table_rendering():
    text = "| 申请总数 | 46 |\n| 其中：1.同意公开答复数 | 17 |\n| 2.同意部分公开答复数 | 7 |"
    figures = figures_from_appendix(text)
    assert {k: f.value for k, f in figures.items()} == {
        "applications_received": 46, "disclosed": 17, "partially_disclosed": 7}


# Pre-2019 phrasings (issue 13, class 5) --------------------------------------------------------

def values(text: str) -> dict[str, int]:
    return {key: figure.value for key, figure in extract_figures(text, [])[0].items()}


@pytest.mark.parametrize("sentence", [
    "2016年，我局未收到政府信息公开申请。",
    "本年度没有收到公民、法人或其他组织提出的政府信息公开申请。",
    "全年依申请公开政府信息申请数为零。",
    "本年度暂无依申请公开事项。",
    "本机关2015年度政府信息公开申请数量为0。",
])
def test_no_application_said_in_words_is_zero_with_nothing_disclosed(sentence):
    assert values(sentence) == {"applications_received": 0, "disclosed": 0, "partially_disclosed": 0}


@pytest.mark.parametrize("sentence", [
    "本年度未发生因政府信息公开引起的行政复议和行政诉讼案件。",
    "没有发生针对本机关政府信息公开事务的行政复议、行政诉讼。",
    "因政府信息公开申请引起的行政复议和行政诉讼案件均为零。",
    "行政复议、行政诉讼数量均为0。",
    "全年暂无涉及政府信息公开的行政复议及行政诉讼。",
    "申请人对答复均无异议，均未提起行政复议和行政诉讼。",
])
def test_no_reconsideration_or_lawsuit_said_in_words_is_zero(sentence):
    assert values(sentence) == {"reconsiderations": 0, "lawsuits": 0}


def test_one_number_each_for_reconsideration_and_lawsuit():
    assert values("因政府信息公开被申请行政复议和行政诉讼分别为2件和1件。") == {"reconsiderations": 2, "lawsuits": 1}


@pytest.mark.parametrize("sentence", [
    "无论行政复议还是行政诉讼，我局均依法积极应对，认真答辩。",
    "对无法提供的申请，我局均依法告知申请人。",
    "畅通行政复议渠道，确保无缝衔接。",
])
def test_wu_inside_a_word_is_no_zero(sentence):
    assert values(sentence) == {}


def test_numbers_before_the_noun():
    text = "全年共受理32件政府信息公开申请，其中22件予以公开，5件部分公开，其余均已按时答复。"
    assert values(text) == {"applications_received": 32, "disclosed": 22, "partially_disclosed": 5}


def test_requests_counted_as_依申请公开():
    assert values("2014年共受理依申请公开政府信息46件。")["applications_received"] == 46


def test_a_number_beats_a_zero_phrasing_elsewhere():
    text = "全年受理政府信息公开申请12件。本年度未发生因政府信息公开引起的行政复议，行政诉讼1件。"
    assert values(text) == {"applications_received": 12, "reconsiderations": 0, "lawsuits": 1}


CUMULATIVE_APPENDIX = """附表：政府信息公开情况统计表
| 指 标 | 单位 | 2016年 | 历年累计 |
| 一、主动公开政府信息数 | 条 | 1523 | 11208 |
| 二、依申请公开 | | | |
| 1.申请总数 | 件 | 12 | 158 |
| 其中：同意公开答复数 | 件 | 8 | 101 |
| 同意部分公开答复数 | 件 | 2 | 20 |
| 三、行政复议数 | 件 | 0 | 3 |
| 四、行政诉讼数 | 件 | 1 | 2 |"""


def test_appendix_with_a_cumulative_column_gives_the_years_column():
    assert values(CUMULATIVE_APPENDIX) == {"applications_received": 12, "disclosed": 8, "partially_disclosed": 2,
                                           "reconsiderations": 0, "lawsuits": 1}


def test_appendix_with_the_cumulative_column_first():
    text = "指标\t历年累计\t本年度\n申请总数\t158\t12\n行政复议数\t3\t0"
    assert values(text) == {"applications_received": 12, "reconsiderations": 0}


def test_appendix_with_a_number_column_before_the_label():
    text = "序号\t指标\t数量\n1\t申请总数\t46\n2\t行政诉讼数\t3"
    assert values(text) == {"applications_received": 46, "lawsuits": 3}


@pytest.mark.parametrize("sentence", [
    "对没有按时答复的申请，我局进行了督办。",
    "截至目前未收到申请人的补正材料。",
])
def test_no_false_zero_for_applications(sentence):
    assert "applications_received" not in values(sentence)


def _all_prose_texts():
    """Every text this module reads prose figures from: the seeds and each sentence above."""
    import sys

    module = sys.modules[__name__]
    texts = [to_simplified(path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt"))]
    for name in dir(module):
        marks = getattr(getattr(module, name), "pytestmark", [])
        for mark in marks:
            if mark.name == "parametrize":
                texts += [value[0] if isinstance(value, tuple) else value for value in mark.args[1]
                          if isinstance(value, (str, tuple)) and isinstance(value[0] if isinstance(value, tuple) else value, str)]
    return texts


def test_each_pattern_spells_the_word_its_figure_needs():
    """Sentences without a figure's word are passed over before its patterns run: each pattern
    must need that word."""
    from parsing.figures import _BOTH, _EACH, _SHARED_WORD, NEEDED_WORD, PROSE_PATTERNS, ZERO_PATTERNS

    for key, patterns in [*PROSE_PATTERNS.items(), *ZERO_PATTERNS.items()]:
        for pattern in patterns:
            assert NEEDED_WORD[key] in pattern.pattern, (key, pattern.pattern)
    assert _SHARED_WORD in _BOTH.pattern and _SHARED_WORD in _EACH.pattern


def test_passing_over_sentences_without_the_word_changes_no_figure(monkeypatch):
    import parsing.figures

    texts = _all_prose_texts()
    assert len(texts) > 30
    guarded = [figures_from_prose(text) for text in texts]
    monkeypatch.setattr(parsing.figures, "NEEDED_WORD", {key: "" for key in parsing.figures.NEEDED_WORD})
    monkeypatch.setattr(parsing.figures, "_SHARED_WORD", "")
    assert [figures_from_prose(text) for text in texts] == guarded
