"""Extraction golden checks on the demo pages (authored markup around the five real seeds): what
must be in the body, what must not, and a recall floor that only moves up (tests/fixtures/
extraction_floor.json: raise a floor when extraction improves; never lower one)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from extraction import extract_html
from fetching.decode import decode_html
from govreports.demo.site import build_sites, seed_text
from normalization import to_simplified

FLOOR_FILE = Path(__file__).parent / "fixtures" / "extraction_floor.json"
DETAIL_PAGES = {  # page -> (seed it was built from, phrases the body must hold)
    "sz-gaj/gkml/xxgknb/201303/t20130315_2233.html": ("000_ac5d5796d1c49dd0.txt", ["一、概述", "六、下一步改进措施"]),
    "mirror/wiki/sz2012": ("000_ac5d5796d1c49dd0.txt", ["一、概述", "六、下一步改進措施"]),
    "mirror/wiki/gd2017": ("001_45b3fb819af8aa55.txt", ["一、概述", "七、主要問題和改進措施"]),
    "gz-gaj/zwgk/ndbg/201403/t20140328_1.html": ("002_ea6a3b00d8d8dc32.txt", ["一 概 述", "申请总数"]),
    "hz-gaj/art/2020/1/19/art_1229_5501.html": ("003_2bd2ec3356da2fb3.txt", ["一、主动公开政府信息情况", "八、其他需要报告的事项"]),
    "wh-gaj/zwgk/nb/2009/1101.shtml": ("004_63fef033ffe3ca1d.txt", ["一、进一步加强政府信息公开工作的组织领导"]),
}
CHROME = ("网站地图", "版权所有", "打印本页", "关闭窗口", "熱門詞條", "聯絡我們", "【打印】")


def _pages() -> dict[str, str]:
    pages = {}
    for site in build_sites():
        for path, page in site.pages.items():
            pages[site.id + path] = decode_html(page.body, page.content_type).text
    return pages


@pytest.fixture(scope="module")
def extracted() -> dict[str, str]:
    pages = _pages()
    return {key: extract_html(pages[key], "http://127.0.0.1/" + key).text for key in DETAIL_PAGES}


def _squash(text: str) -> str:
    return re.sub(r"[\s|•]+", "", text)


def recall(seed: str, body: str) -> float:
    """Share of the seed's substantial lines (≥ 10 characters) found in the extracted body."""
    lines = [_squash(to_simplified(line)) for line in seed_text(seed).splitlines() if len(_squash(line)) >= 10]
    squashed = _squash(to_simplified(body))
    return sum(line in squashed for line in lines) / len(lines)


@pytest.mark.parametrize("key", sorted(DETAIL_PAGES))
def test_body_holds_the_report_parts(extracted, key):
    for phrase in DETAIL_PAGES[key][1]:
        assert phrase in extracted[key], phrase


@pytest.mark.parametrize("key", sorted(DETAIL_PAGES))
def test_body_has_no_site_chrome(extracted, key):
    assert [word for word in CHROME if word in extracted[key]] == []


@pytest.fixture(scope="module")
def floors() -> dict[str, float]:
    return json.loads(FLOOR_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", sorted(DETAIL_PAGES))
def test_recall_floor(extracted, floors, key):
    assert recall(DETAIL_PAGES[key][0], extracted[key]) >= floors[key]


def test_every_page_has_a_floor(floors):
    assert set(floors) == set(DETAIL_PAGES)
