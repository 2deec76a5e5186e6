from pathlib import Path

import pytest

from normalization import to_simplified
from normalization.script import PROTECTED_PHRASES, TAIWAN_LEFTOVERS
from normalization.text import fold_whitespace, match_key


@pytest.mark.parametrize("taiwan, mainland", [
    ("微博冬粉人數", "微博粉丝人数"), ("平台套用", "平台应用"), ("4名契約制工作人員", "4名合同制工作人员"),
    ("完善逾時警告", "完善超时警告"), ("網路安全", "网络安全"), ("複製、列印、郵寄", "复制、打印、邮寄"),
    ("網際網路入口網站", "互联网门户网站"), ("觸控螢幕", "触摸屏"), ("廣泛報導", "广泛报道"),
])
def test_taiwan_vocabulary_becomes_mainland(taiwan, mainland):
    assert to_simplified(taiwan) == mainland


@pytest.mark.parametrize("text, expected", [
    ("乾安县", "乾安县"), ("乾安縣", "乾安县"), ("陕西乾县", "陕西乾县"), ("建立健全", "建立健全"),
    ("互動", "互动"), ("行政效能", "行政效能"), ("檔案館", "档案馆"), ("隊伍正規化建設", "队伍正规化建设"),
    ("文件精神", "文件精神"), ("法定程序", "法定程序"),
])
def test_protected_words_survive_conversion(text, expected):
    assert to_simplified(text) == expected


def test_every_dictionary_entry_is_exercised():
    for word, simplified in PROTECTED_PHRASES.items():
        assert to_simplified(word) == simplified
    for word, mainland in TAIWAN_LEFTOVERS.items():
        assert to_simplified(word) == mainland


@pytest.mark.parametrize("name", ["002_ea6a3b00d8d8dc32.txt", "003_2bd2ec3356da2fb3.txt", "004_63fef033ffe3ca1d.txt"])
def test_mainland_seed_text_is_unchanged(name):
    original = (Path(__file__).parent / "fixtures" / "seeds" / name).read_text(encoding="utf-8")
    assert to_simplified(original) == original


def test_empty_text():
    assert to_simplified("") == ""


def test_match_key_folds_brackets_spaces_quotes():
    assert match_key("（三）不予公开 3.危及“三安全一稳定”") == '(三)不予公开3.危及"三安全一稳定"'


def test_fold_whitespace_keeps_single_spaces():
    assert fold_whitespace("本年新\u00a0\u3000制作数量 ") == "本年新 制作数量"
