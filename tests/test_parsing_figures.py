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
