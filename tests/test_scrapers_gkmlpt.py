"""gkmlpt adapter: the shell page becomes an API request; the JSON becomes links and the next page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fetching.client import PageRequest
from core.errors import ListingFormatError
from scrapers.base import ListingPage
from scrapers.gkmlpt import GkmlptPlatform, annual_report_categories, category_tree, shell_categories

SITE = Path(__file__).parent / "fixtures" / "sites" / "gkmlpt"
SHELL = "http://gdga.example.gov.cn/gkmlpt/annualreport#2629"
API1 = "http://gdga.example.gov.cn/gkmlpt/api/all/2629?page=1&sid=200"


def api_page(name: str, url: str) -> ListingPage:
    return ListingPage(PageRequest(url), url, (SITE / name).read_bytes().decode("utf-8"), "application/json")


@pytest.fixture(scope="module")
def shell():
    text = (SITE / "annualreport.html").read_bytes().decode("utf-8")
    return ListingPage(PageRequest(SHELL), SHELL.split("#")[0], text)


def test_detects_shell(shell):
    assert GkmlptPlatform().detect(shell)


def test_detects_api_json():
    assert GkmlptPlatform().detect(api_page("api_2629_page1.json", API1))


def test_shell_becomes_the_api_request_for_its_category(shell):
    assert [r.url for r in GkmlptPlatform().parse_listing(shell).next_requests] == [API1]


def test_shell_without_fragment_asks_the_annual_report_category_of_its_tree(shell):
    bare = ListingPage(PageRequest(SHELL.split("#")[0]), SHELL.split("#")[0], shell.text)
    parsed = GkmlptPlatform().parse_listing(bare)
    assert [r.url for r in parsed.next_requests] == [API1] and parsed.notes == []


def test_shell_without_tree_asks_the_whole_catalogue_and_says_so():
    url = "http://www.example.gov.cn/gkmlpt/index"
    parsed = GkmlptPlatform().parse_listing(ListingPage(PageRequest(url), url, "<script>window._CONFIG = {SID: '2'}</script>"))
    assert parsed.next_requests[0].url == "http://www.example.gov.cn/gkmlpt/api/all/0?page=1&sid=2"
    assert parsed.notes == ["gkmlpt_whole_catalogue"]


def test_nested_site_keeps_its_path_prefix():
    url = "http://www.example.gov.cn/lhqkjj/gkmlpt/index#35"
    page = ListingPage(PageRequest(url), url.split("#")[0], "<script>window._CONFIG = {SID: '755325'}</script>")
    assert GkmlptPlatform().parse_listing(page).next_requests[0].url == \
        "http://www.example.gov.cn/lhqkjj/gkmlpt/api/all/35?page=1&sid=755325"


def test_api_articles_are_links():
    parsed = GkmlptPlatform().parse_listing(api_page("api_2629_page1.json", API1))
    assert parsed.links[0].url == "http://gdga.example.gov.cn/gkmlpt/content/1/2221/post_2221779.html"


def test_api_publication_date_in_beijing_time():
    parsed = GkmlptPlatform().parse_listing(api_page("api_2629_page1.json", API1))
    assert parsed.links[0].list_date == "2019-01-31"


def test_api_next_page_while_short_of_total():
    parsed = GkmlptPlatform().parse_listing(api_page("api_2629_page1.json", API1))
    assert [r.url for r in parsed.next_requests] == [API1.replace("page=1", "page=2")]


def test_api_empty_page_ends_the_walk():
    url = API1.replace("page=1", "page=3")
    assert GkmlptPlatform().parse_listing(api_page("api_2629_page3.json", url)).next_requests == []


def test_api_claiming_9999_pages_still_asks_one_page_at_a_time():
    articles = [{"title": f"t{i}", "url": f"/gkmlpt/content/1/1/post_{i}.html", "first_publish_time": 1} for i in range(2)]
    page = ListingPage(PageRequest(API1), API1, json.dumps({"total": 19998, "articles": articles}))
    parsed = GkmlptPlatform().parse_listing(page)
    assert parsed.claimed_pages == 9999 and len(parsed.next_requests) == 1


@pytest.mark.parametrize("body", ["<html>系统繁忙</html>", '{"code": 500, "msg": "error"}', "", "[]"])
def test_an_answer_that_is_not_the_catalogue_json_is_a_typed_failure(body):
    with pytest.raises(ListingFormatError) as raised:
        GkmlptPlatform().parse_listing(ListingPage(PageRequest(API1), API1, body))
    assert raised.value.outcome == "listing_unreadable"


# The category tree (window._CONFIG.TREE) ------------------------------------------------------

CITY_SHELL = (Path(__file__).parent / "fixtures" / "sites" / "gkmlpt_city" / "index.html").read_bytes().decode("utf-8")


def test_city_tree_is_read_nested():
    tree = category_tree(CITY_SHELL)
    assert [c.name for c in tree] == ["机构职能", "政策文件", "规划信息", "财政信息", "其他"]
    deep = {c.id: c.path for root in tree for c in root.walk()}
    assert deep["50103"] == ("其他", "政府信息公开", "政府信息公开年报")


def test_annual_report_category_found_at_depth_three_with_its_year_folder():
    chosen = annual_report_categories(category_tree(CITY_SHELL))
    assert [(c.id, c.name) for c in chosen] == [("50103", "政府信息公开年报"), ("5010301", "往年年报")]


def test_lookalike_categories_are_not_annual_reports():
    # 法治政府建设年度报告, 统计年报, 政策解读, 部门预算决算 sit in the same tree
    names = {c.name for c in annual_report_categories(category_tree(CITY_SHELL))}
    assert not names & {"法治政府建设年度报告", "统计年报", "政策解读", "部门预算决算"}


def test_flat_tree_with_parent_ids():
    text = """<script>window._CONFIG = {SID: '755030', TREE: [
        {"id": 10, "name": "政府信息公开", "parent": 0},
        {"id": 1001, "name": "年度报告", "parent": 10},
        {"id": 100101, "name": "2022年度", "parent": 1001},
        {"id": 11, "name": "通知公告", "parent": 0}]};</script>"""
    assert [c.id for c in annual_report_categories(category_tree(text))] == ["1001", "100101"]


def test_js_object_literal_tree():
    text = "<script>window._CONFIG = {SID: '2', TREE: [{id: 7, name: '信息公开年报', children: []}, {id: 8, name: '工作动态',}]};</script>"
    assert [c.id for c in annual_report_categories(category_tree(text))] == ["7"]


def test_disclosure_annual_report_beats_a_bare_annual_report():
    text = ('<script>window._CONFIG = {SID: "2", TREE: [{"id": 1, "name": "年报", "children": []},'
            '{"id": 2, "name": "政务公开", "children": [{"id": 3, "name": "政府信息公开工作年度报告", "children": []}]}]}</script>')
    assert shell_categories(text) == (["3"], [])


def test_every_matching_category_of_the_best_rank_is_walked():
    text = ('<script>window._CONFIG = {SID: "2", TREE: [{"id": 1, "name": "市公安局", "children": '
            '[{"id": 11, "name": "政府信息公开年报", "children": []}]}, {"id": 2, "name": "市民政局", "children": '
            '[{"id": 21, "name": "信息公开年报", "children": []}]}]}</script>')
    assert shell_categories(text) == (["11", "21"], [])


def test_an_unreadable_tree_is_no_tree():
    assert category_tree("<script>window._CONFIG = {SID: '2', TREE: [{broken</script>") == []
