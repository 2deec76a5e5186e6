"""Dedup library: fold, near-duplicate thresholds, block matching, canonical choice, cross-block flags.

Copies are built from real reports (tests/fixtures/dedup/, copied from the seeds) with the same
variant builders that calibrate the thresholds (``dedup.calibration``).
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest

from dedup.calibration import (
    as_correction,
    as_district,
    as_next_year,
    as_pdf_extraction,
    as_repost,
    as_traditional_mirror,
    variants,
)
from dedup.fold import exact_key, fold_text, fold_tokens
from dedup.index import is_near, near_keys
from dedup.index import similarity as signature_similarity
from dedup.match import (
    NEAR_THRESHOLD,
    CopyText,
    Match,
    MatchKind,
    MissingMatchError,
    MixedBlockError,
    choose_canonical,
    match,
)
from dedup.near import LSH_BANDS, NUM_PERM, jaccard, shingle_hashes
from normalization import to_simplified

FIXTURES = Path(__file__).parent / "fixtures" / "dedup"
HANGZHOU = "杭州市公安局"
SEEDS = {
    "shenzhen_psb_2012_mirror.txt": "深圳市公安局",
    "guangdong_psb_2017_mirror.txt": "广东省公安厅",
    "guangzhou_psb_2013.txt": "广州市公安局",
    "hangzhou_psb_2019.txt": HANGZHOU,
    "wuhan_psb_2008.txt": "武汉市公安局",
}


@lru_cache
def seed_text(name: str) -> str:
    return to_simplified((FIXTURES / name).read_text("utf-8"))


def hangzhou_text() -> str:
    return seed_text("hangzhou_psb_2019.txt")


def donor_text() -> str:
    return seed_text("wuhan_psb_2008.txt")


def copy_of(text: str, copy_id: str, **fields) -> CopyText:
    defaults = dict(
        agency=HANGZHOU, year=2019, url=f"https://gaj.hangzhou.gov.cn/{copy_id}.html", kind="html",
        official=True, published="2020-01-19", title="杭州市公安局2019年度政府信息公开工作年度报告",
    )
    return CopyText(copy_id=copy_id, text=text, **(defaults | fields))


def official() -> CopyText:
    return copy_of(hangzhou_text(), "official")


def mirror() -> CopyText:
    fetched = to_simplified(as_traditional_mirror(hangzhou_text()))
    return copy_of(fetched, "mirror", official=False, url="https://mirror.example.tw/hz2019.html")


def attachment() -> CopyText:
    text = as_pdf_extraction(hangzhou_text(), running_header="杭州市公安局2019年度政府信息公开工作年度报告")
    return copy_of(text, "attachment", kind="pdf", url="https://gaj.hangzhou.gov.cn/2019nb.pdf")


def repost() -> CopyText:
    return copy_of(as_repost(hangzhou_text()), "repost", official=False, url="https://www.hangzhou.gov.cn/nb.html")


def correction() -> tuple[CopyText, list[tuple[str, str]]]:
    text, changed = as_correction(hangzhou_text(), changes=3, seed=7)
    corrected = copy_of(text, "correction", published="2020-03-02", title="杭州市公安局2019年度政府信息公开工作年度报告（更正版）")
    return corrected, changed


# --- fold_text -------------------------------------------------------------------------------


def test_fold_removes_whitespace_and_line_breaks():
    assert fold_text("一、总体情况\n  2019年，\t我局") == "一总体情况2019年我局"


def test_fold_removes_ascii_and_fullwidth_punctuation():
    assert fold_text("（一）申请情况。“公开”,《条例》;:!?") == "一申请情况公开条例"


def test_fold_folds_fullwidth_digits_and_letters():
    assert fold_text("收到申请９１件，ＡＰＰ") == "收到申请91件app"


def test_fold_removes_nbsp_and_ideographic_space():
    assert fold_text("共\u00a0受理\u3000申请\u200232件") == "共受理申请32件"


def test_fold_drops_mirror_chrome_lines():
    assert fold_text("报告正文。\n\n热门词条\n\n联络我们\n联系我们") == "报告正文"


def test_fold_drops_chrome_words_sharing_a_line():
    assert fold_text("正文\n网站地图 | 联系我们 | 返回顶部\n分享到:") == "正文"


def test_fold_drops_bracketed_print_close_chrome():
    assert fold_text("正文【打印】【关闭】") == "正文"


def test_fold_drops_byline_metadata_line():
    assert fold_text("    发布日期: 2009-01-14 00:00 来源: 【打印】 【下载】\n正文") == "正文"


def test_fold_keeps_a_flattened_body_that_starts_like_metadata():
    body = "来源：市公安局。" + "2019年，我局共收到政府信息公开申请91件。" * 10
    assert fold_text(body).endswith("申请91件")


def test_fold_drops_copyright_footer():
    assert fold_text("正文\n版权所有：杭州市公安局 浙ICP备05012345号") == "正文"


def test_fold_drops_pdf_page_furniture():
    assert fold_text("正文\n- 3 -\n第 2 页 共 5 页\n续") == "正文续"


def test_fold_keeps_chrome_words_inside_prose():
    assert fold_text("采购打印机3台") == "采购打印机3台"


def test_fold_tokens_keep_decimal_numbers_whole():
    assert fold_tokens("占16.5%，共32件") == ["占", "16.5", "共", "32", "件"]


def test_exact_key_ignores_layout_and_chrome():
    assert exact_key("正文，32件。\n热门词条") == exact_key("正 文\n32件")


def test_exact_key_differs_when_a_number_differs():
    assert exact_key("共32件") != exact_key("共33件")


def test_real_mirror_seed_folds_like_its_chrome_free_body():
    seed = seed_text("shenzhen_psb_2012_mirror.txt")
    body = seed.split("热门词条")[0]
    assert fold_text(seed) == fold_text(body)


# --- one report, many copies -----------------------------------------------------------------


@pytest.mark.parametrize("make_copy", [mirror, attachment, repost], ids=["mirror", "attachment", "repost"])
def test_copies_of_one_report_match_the_official_copy(make_copy):
    assert match(make_copy(), [official()]).copy_id == "official"


@pytest.mark.parametrize("make_copy", [mirror, attachment], ids=["mirror", "attachment"])
def test_reshaped_copies_are_near(make_copy):
    assert match(make_copy(), [official()]).kind is MatchKind.NEAR


def test_repost_is_exact():
    assert match(repost(), [official()]).kind is MatchKind.EXACT


def test_all_copies_loaded_in_turn_join_one_report():
    stored: list[CopyText] = []
    kinds = []
    for copy in [mirror(), official(), attachment(), repost()]:
        kinds.append(match(copy, stored).kind)
        stored.append(copy)
    assert kinds == [MatchKind.FIRST, MatchKind.NEAR, MatchKind.NEAR, MatchKind.EXACT]


def test_a_copy_matches_its_most_similar_stored_copy():
    # The PDF text is closer to the official page than to the junk-ridden mirror found first.
    assert match(attachment(), [mirror(), official()]).copy_id == "official"


def test_first_copy_of_a_block_is_first():
    assert match(official(), []).kind is MatchKind.FIRST


def test_near_copy_reports_no_changed_numbers():
    assert match(mirror(), [official()]).changed_numbers == ()


# --- 更正版 -----------------------------------------------------------------------------------


def test_correction_is_a_version():
    corrected, _ = correction()
    assert match(corrected, [official()]).kind is MatchKind.VERSION


def test_correction_lists_the_changed_numbers():
    corrected, changed = correction()
    found = match(corrected, [official()])
    assert [(change.old, change.new) for change in found.changed_numbers] == changed


def test_correction_gives_context_of_each_changed_number():
    corrected, _ = correction()
    found = match(corrected, [official()])
    assert all(change.context in fold_text(hangzhou_text()) for change in found.changed_numbers)


def test_correction_similarity_is_above_the_near_threshold():
    corrected, _ = correction()
    assert match(corrected, [official()]).similarity >= NEAR_THRESHOLD


# --- things that only look like duplicates ---------------------------------------------------


def next_year() -> CopyText:
    return copy_of(as_next_year(hangzhou_text(), donor_text()), "next_year", year=2020, published="2021-01-20")


def district() -> CopyText:
    text = as_district(hangzhou_text(), HANGZHOU, "杭州市西湖区公安分局", donor_text())
    return copy_of(text, "district", agency="杭州市西湖区公安分局")


def test_next_year_shares_most_of_its_text():
    similarity = jaccard(shingle_hashes(fold_text(next_year().text)), shingle_hashes(fold_text(hangzhou_text())))
    assert 0.6 < similarity < NEAR_THRESHOLD


def test_match_refuses_a_copy_of_another_year():
    with pytest.raises(MixedBlockError):
        match(next_year(), [official()])


def test_match_refuses_a_copy_of_another_agency():
    with pytest.raises(MixedBlockError):
        match(district(), [official()])


def test_mixed_block_error_names_the_strangers():
    with pytest.raises(MixedBlockError) as raised:
        match(official(), [mirror(), next_year()])
    assert raised.value.strangers == ("next_year",)


def test_next_year_filed_under_this_year_is_distinct():
    misfiled = replace(next_year(), year=2019)
    assert match(misfiled, [official()]).kind is MatchKind.DISTINCT


def test_distinct_reports_the_similarity_to_the_closest_copy():
    misfiled = replace(next_year(), year=2019)
    assert 0.6 < match(misfiled, [official()]).similarity < NEAR_THRESHOLD


def test_district_copy_filed_under_the_city_is_distinct():
    misfiled = replace(district(), agency=HANGZHOU)
    assert match(misfiled, [official()]).kind is MatchKind.DISTINCT


# --- cross-block flags -----------------------------------------------------------------------


def near_pair(a: CopyText, b: CopyText) -> tuple[bool, bool]:
    """(share an LSH bucket, near by their stored signatures): what the cross-block lookup sees."""
    keys_a, keys_b = near_keys(a.text), near_keys(b.text)
    return bool(set(keys_a.buckets) & set(keys_b.buckets)), is_near(keys_a.signature, keys_b.signature)


def test_same_text_has_identical_keys():
    assert near_keys(official().text) == near_keys(repost().text)


def test_near_text_is_a_candidate_and_near():
    assert near_pair(official(), mirror()) == (True, True)


def test_near_text_similarity_is_the_estimate_of_the_shingle_jaccard():
    estimate = signature_similarity(near_keys(official().text).signature, near_keys(mirror().text).signature)
    exact = match(mirror(), [official()]).similarity
    assert abs(estimate - exact) < 0.1 and estimate >= NEAR_THRESHOLD


def test_next_year_is_not_near():
    assert near_pair(official(), next_year())[1] is False


def test_district_template_copy_is_not_near():
    assert near_pair(official(), district())[1] is False


def test_near_keys_survive_a_round_trip_through_bytes():
    keys = near_keys(official().text)
    assert len(keys.signature) == 4 * NUM_PERM and len(keys.buckets) == LSH_BANDS
    assert all(-2**63 <= bucket < 2**63 for bucket in keys.buckets)


# --- canonical copy --------------------------------------------------------------------------


def load(copies: list[CopyText]) -> dict[str, Match]:
    matches = {}
    for position, copy in enumerate(copies):
        matches[copy.copy_id] = match(copy, copies[:position])
    return matches


def canonical(copies: list[CopyText]):
    return choose_canonical(copies, load(copies))


def test_canonical_prefers_official_site_over_mirror_found_first():
    assert canonical([mirror(), official()]).copy_id == "official"


def test_canonical_reason_names_the_official_site():
    assert "official site" in canonical([mirror(), official()]).reason


def test_canonical_prefers_latest_correction():
    corrected, _ = correction()
    assert canonical([official(), attachment(), corrected]).copy_id == "correction"


def test_canonical_reason_gives_correction_date():
    corrected, _ = correction()
    assert "latest correction (published 2020-03-02)" in canonical([official(), corrected]).reason


def test_canonical_prefers_complete_html_over_attachment():
    assert canonical([attachment(), official()]).copy_id == "official"


def test_canonical_prefers_attachment_when_html_page_lacks_the_tables():
    full = seed_text("guangzhou_psb_2013.txt")
    page = copy_of(full.split("附表")[0], "page", agency="广州市公安局", year=2013)
    pdf = copy_of(as_pdf_extraction(full, "广州市公安局"), "pdf", agency="广州市公安局", year=2013, kind="pdf")
    matches = {"page": Match(MatchKind.FIRST, None, 0.0), "pdf": Match(MatchKind.NEAR, "page", 0.8)}
    assert choose_canonical([page, pdf], matches).copy_id == "pdf"


def test_canonical_falls_back_to_earliest_found():
    second = replace(repost(), official=True, copy_id="second")
    assert canonical([official(), second]).reason == "earliest found"


def test_canonical_of_a_single_copy():
    assert canonical([official()]) == ("official", "only copy")


def test_distinct_copy_is_never_canonical():
    misfiled = replace(next_year(), year=2019, official=True, published="2021-01-20")
    assert canonical([replace(official(), official=False), misfiled]).copy_id == "official"


def test_canonical_needs_every_copy_matched():
    with pytest.raises(MissingMatchError):
        choose_canonical([official(), mirror()], {"official": Match(MatchKind.FIRST, None, 0.0)})


# --- the calibration the thresholds rest on --------------------------------------------------

SAME_REPORT = ["repost", "pdf_extraction", "traditional_mirror", "junkier_mirror_1_in_50", "correction"]
DIFFERENT_REPORT = ["next_year", "district", "unrelated_report"]


def calibration_similarity(seed: str, variant: str) -> float:
    names = list(SEEDS)
    text, donor = seed_text(seed), seed_text(names[(names.index(seed) + 1) % len(names)])
    made = variants(text, SEEDS[seed], donor)[variant]
    return jaccard(shingle_hashes(fold_text(text)), shingle_hashes(fold_text(made)))


@pytest.mark.parametrize("variant", SAME_REPORT)
@pytest.mark.parametrize("seed", SEEDS)
def test_same_report_variants_clear_the_near_threshold(seed, variant):
    assert calibration_similarity(seed, variant) >= NEAR_THRESHOLD


@pytest.mark.parametrize("variant", DIFFERENT_REPORT)
@pytest.mark.parametrize("seed", SEEDS)
def test_different_reports_stay_under_the_near_threshold(seed, variant):
    assert calibration_similarity(seed, variant) < NEAR_THRESHOLD
