from pathlib import Path

import pytest

from fetching.decode import decode_html
from extraction import extract_html
from normalization import to_simplified
from normalization.script import PROTECTED_PHRASES, TAIWAN_LEFTOVERS, convert_traditional, is_traditional
from normalization.text import fold_whitespace, match_key

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("taiwan, mainland", [
    ("微博冬粉人數", "微博粉丝人数"), ("推進新型公開平台套用", "推进新型公开平台应用"), ("4名契約制工作人員", "4名合同制工作人员"),
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
    # The dictionaries repair tw2sp's output on traditional text: that is where they are applied.
    for word, simplified in PROTECTED_PHRASES.items():
        assert convert_traditional(word) == simplified
    for word, mainland in TAIWAN_LEFTOVERS.items():
        assert convert_traditional(word) == mainland


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


# Script detection: simplified text never goes through tw2sp ------------------------------------

# Mainland words that tw2sp (a Taiwan-vocabulary converter) rewrites, in mainland sentences written
# like the reference pages they were seen on (Yuanzhou 显著, Shanxi 行程, xinhuanet 核心价值, youth.cn
# 魏其濛) and the seeds (文件, 程序, 建立, 智慧, 整合, 效能).
MAINLAND_SENTENCES = (
    "袁州区兽医处方专项整顿行动成效显著",
    "跨越千山万水，行程近两万公里，品牌丝路行首次登陆巴西",
    "培育和践行社会主义核心价值观，改编自同名原著",
    "来源：中国青年网 作者：魏其濛",
    "认真贯彻落实上级文件精神，严格履行法定程序，建立健全工作机制",
    "建设智慧公安，全面整合网上服务资源，提升行政效能",
    "吉林省乾安县、陕西省乾县政府信息公开工作年度报告",
)


@pytest.mark.parametrize("sentence", MAINLAND_SENTENCES)
def test_mainland_sentence_is_left_alone(sentence):
    assert to_simplified(sentence) == sentence


def test_mainland_sentences_together_are_left_alone():
    text = "\n".join(MAINLAND_SENTENCES)
    assert not is_traditional(text) and to_simplified(text) == text


REAL_SIMPLIFIED_PAGES = (
    "detail_he_xinhuanet_news_gb2312.html",  # 核心价值 (tw2sp: 内核价值)
    "detail_youth_cn_trs_meta_gb2312_but_utf8_bytes.html",  # 魏其濛, 建立, 智慧健康
    "encoding_edge_gb18030_no_charset_meta_sina_saved.html",
    "list_ordos_engebei_xxgknb_trs_pagination_utf8.html",
    "list_yuanzhou_gov_trs_wcm_createPageHTML_utf8.html",  # 成效显著 (tw2sp: 显着), 文件精神
)


@pytest.mark.parametrize("name", REAL_SIMPLIFIED_PAGES)
def test_real_simplified_page_is_unchanged(name):
    html = decode_html((FIXTURES / "html" / name).read_bytes(), None).text
    assert to_simplified(html) == html
    body = extract_html(html, f"http://example.gov.cn/{name}").text
    assert to_simplified(body) == body


def test_demo_pages_in_simplified_script_are_unchanged():
    from govreports.demo.site import build_sites

    checked = 0
    for site in build_sites():
        if site.kind == "mirror":
            continue
        for path, page in site.pages.items():
            if page.content_type.startswith("text/html"):
                html = decode_html(page.body, page.content_type).text
                assert to_simplified(html) == html, f"{site.id}{path}"
                checked += 1
    assert checked >= 10


@pytest.mark.parametrize("name", ["000_ac5d5796d1c49dd0.txt", "001_45b3fb819af8aa55.txt"])
def test_mirror_seed_is_detected_and_converted_whole(name):
    original = (FIXTURES / "seeds" / name).read_text(encoding="utf-8")
    converted = to_simplified(original)
    assert is_traditional(original)
    # every line with traditional characters was converted: none is left
    assert not [line for line in converted.splitlines() if is_traditional(line)]
    assert "政府信息公开" in converted and "公開" not in converted


def test_traditional_passage_inside_a_simplified_page_is_converted_alone():
    page = "政府信息公开工作年度报告\n點擊切換到繁體中文網站\n行程近两万公里，成效显著"
    assert to_simplified(page) == "政府信息公开工作年度报告\n点击切换到繁体中文网站\n行程近两万公里，成效显著"


def test_simplified_chrome_inside_a_mirror_page_is_not_run_through_tw2sp():
    page = "2012年深圳市公安局政府信息公開年報\n本報告由深圳市公安局編制，建立健全制度。\n返回首页 文件下载"
    assert to_simplified(page).splitlines() == [
        "2012年深圳市公安局政府信息公开年报", "本报告由深圳市公安局编制，建立健全制度。", "返回首页 文件下载"]


def test_lone_traditional_character_in_a_simplified_line_is_a_name_not_a_passage():
    page = "培育和践行社会主义核心价值观\n作者：魏其濛"
    assert to_simplified(page) == page
    assert to_simplified("年報") == "年报"  # a short text on its own that is traditional is converted


def test_stray_traditional_characters_of_a_gbk_page_are_converted_one_by_one():
    # a page declared gb2312 whose Word-made title carries GBK-only traditional characters
    assert to_simplified("武汉市公安局2009年度政府信息公開工作报告") == "武汉市公安局2009年度政府信息公开工作报告"
    assert to_simplified("行程近两万公里，成效显著，數據见附表") == "行程近两万公里，成效显著，数据见附表"


@pytest.mark.parametrize("line", ["作者：魏其濛，中国青年网记者", "吉林省乾安县人民政府", "於姓居民来信", "向后转，製度"])
def test_characters_simplified_text_also_uses_stay_in_a_simplified_line(line):
    # GB2312 members (乾, 於) and traditional halves of merged pairs (濛/蒙, 製/制): names and variants
    assert to_simplified("政府信息公开工作年度报告\n" + line).endswith(line)
