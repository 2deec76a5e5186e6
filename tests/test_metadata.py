"""Agency attribution in parsing.metadata: own title first, short names resolved, no default for mirrors."""
from __future__ import annotations

import pytest

from parsing.metadata import parse_metadata, resolve_short_name

BODY = "一、总体情况\n本年度主动公开政府信息若干条。" * 5


def agency_of(html: str, default: str | None = None, link_text: str | None = None):
    m = parse_metadata(html, BODY, url="http://x.gov.cn/art/2020/1/1/art_1_1.html", link_text=link_text,
                       default_agency=default)
    return m.agency, m.agency_from


def block(title: str, publisher: str) -> str:
    return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1><table><tr><td>发布机构：</td>"
            f"<td>{publisher}</td></tr></table></body></html>")


def test_portal_report_gets_the_agency_of_its_own_title():
    assert agency_of(block("杭州市民政局2019年政府信息公开工作年度报告", "杭州市民政局"), "杭州市人民政府")[0] == "杭州市民政局"


def test_short_publisher_resolved_from_the_source_place():
    agency, where = agency_of(block("2019年度政府信息公开工作年度报告", "市交通运输局"), "杭州市人民政府")
    assert (agency, "source name" in where) == ("杭州市交通运输局", True)


def test_short_publisher_resolved_from_the_title():
    agency, where = agency_of(block("杭州市2019年度公安机关政府信息公开工作年度报告", "市公安局"), None)
    assert (agency, "title" in where) == ("杭州市公安局", True)


def test_short_publisher_equal_to_source_suffix():
    assert agency_of(block("2019年度政府信息公开工作年度报告", "市公安局"), "杭州市公安局")[0] == "杭州市公安局"


def test_mirror_without_default_uses_the_title():
    assert agency_of(block("廣東省公安廳政府信息公開工作年度報告（2017年度）", "本站"), None)[0] == "广东省公安厅"


def test_mirror_without_default_and_no_agency_anywhere_has_none():
    assert agency_of(block("2017年度政府信息公开工作年度报告", "本站编辑"), None)[0] is None


@pytest.mark.parametrize("short,fuller,expected", [
    ("市公安局", "杭州市人民政府", "杭州市公安局"),
    ("区公安分局", "杭州市西湖区人民政府", "杭州市西湖区公安分局"),
    ("市公安局", "浙江省公安厅", None),
    ("本局", "杭州市公安局", "杭州市公安局"),  # "this bureau" on the bureau's own source
    ("县民政局", "某某市人民政府", None),
])
def test_resolve_short_name(short, fuller, expected):
    assert resolve_short_name(short, fuller) == expected


def test_publication_date_is_not_the_year():
    m = parse_metadata("<html><body><h1>市公安局政府信息公开工作年度报告</h1>发布日期：2020-01-18</body></html>", BODY,
                       url="http://x.gov.cn/xxgknb/202001/t20200118_1.html")
    assert m.year is None and m.published == "2020-01-18"


# Publication dates (issue 13, class 3): the page's own record, then the listing ------------------

def published(html: str | None, list_date: str | None = None, url: str = "http://x.gov.cn/art/2021/1/1/art_1_1.html",
              link_text: str = "清河县2020年政府信息公开工作年度报告"):
    m = parse_metadata(html, BODY, url=url, link_text=link_text, default_agency="清河县人民政府", list_date=list_date)
    return m.published, m.published_from


NO_DATE_PAGE = ("<html><head><title>清河县2020年政府信息公开工作年度报告</title></head><body>"
                "<div class='bt'>清河县2020年政府信息公开工作年度报告</div><div class='zw'><p>一、总体情况</p></div></body></html>")


def test_portal_page_without_a_date_takes_the_listing_date():
    assert published(NO_DATE_PAGE, "2021-01-29") == ("2021-01-29", "listing")


def test_page_date_beats_a_later_listing_date_and_the_disagreement_is_recorded():
    page = NO_DATE_PAGE.replace("<div class='zw'>", "<div class='info'>发布日期：2021-01-28 来源：清河县人民政府办公室</div><div class='zw'>")
    date, where = published(page, "2021-03-05")
    assert date == "2021-01-28" and where == "metadata block (the listing shows 2021-03-05)"


def test_release_label_beats_the_signing_date_printed_first():
    # a block like Pingtan's: 成文日期 first, then 发布日期 (here a day later)
    page = NO_DATE_PAGE.replace("<div class='zw'>", "<ul><li>成文日期：<font>2021-01-26</font></li><li>标&ensp;题：<font>…</font></li>"
                                                    "<li>发布日期：<font>2021-01-27</font></li></ul><div class='zw'>")
    assert published(page)[0] == "2021-01-27"


def test_visible_byline_not_the_attribute_copy():
    # like the Shanxi page: <span alt="时间：old"><i>时间：</i>new</span>
    page = NO_DATE_PAGE.replace("<div class='zw'>", '<span alt="时间：2017-11-08 20:26"><i>时间：</i>2021-02-02 06:23</span>'
                                                    "<div class='zw'>")
    assert published(page) == ("2021-02-02", "byline")


def test_pubdate_meta_tag_is_the_pages_own_date():
    page = NO_DATE_PAGE.replace("<head>", '<head><meta name="PubDate" content="2021-01-30 09:53">')
    assert published(page, "2021-02-15") == ("2021-01-30", "meta PubDate (the listing shows 2021-02-15)")


def test_statistics_period_is_not_a_date_label():
    page = NO_DATE_PAGE.replace("<p>一、总体情况</p>", "<p>统计时间：2020年1月1日至2020年12月31日</p>")
    assert published(page, "2021-01-29") == ("2021-01-29", "listing")


def test_a_date_before_the_statistical_year_ends_is_passed_over():
    page = NO_DATE_PAGE.replace("<div class='zw'>", "<div>发布日期：2019-06-10</div><div class='zw'>")
    date, where = published(page, "2021-01-29")
    assert date == "2021-01-29" and "passed over" in where and "2019-06-10" in where


# Short agency names (issue 13, class 4): a bare place is its government ---------------------------

@pytest.mark.parametrize("title, source, expected", [
    ("清河县2012年政府信息公开工作年度报告", "清河县人民政府", "清河县人民政府"),  # the old county site
    ("清河县2012年政府信息公开工作年度报告", None, "清河县人民政府"),  # a portal or mirror: the place's government
    ("清河县政府2012年政府信息公开工作年度报告", "邢台市人民政府", "清河县人民政府"),  # 县政府 is the 人民政府
    ("2019年度清河县政府信息公开工作年度报告", "清河县人民政府", "清河县人民政府"),
    ("东城街道2019年政府信息公开工作年度报告", None, "东城街道办事处"),
    ("平潭综合实验区2016年政府信息公开工作年度报告", "平潭综合实验区管理委员会", "平潭综合实验区管理委员会"),
    ("平潭综合实验区2016年政府信息公开工作年度报告", None, "平潭综合实验区"),  # a 管委会's zone: left as printed
    ("清河县公安局2019年政府信息公开工作年度报告", "清河县人民政府", "清河县公安局"),  # a department keeps its name
])
def test_place_named_title_resolves_to_its_government(title, source, expected):
    assert agency_of(block(title, "本站"), source)[0] == expected


def test_place_resolution_says_where_it_came_from():
    agency, where = agency_of(block("清河县2012年政府信息公开工作年度报告", "本站"), "清河县人民政府")
    assert agency == "清河县人民政府" and "清河县" in where and "source name" in where


def test_word_flattened_byline_still_gives_publisher_and_date():
    page = NO_DATE_PAGE.replace("<div class='zw'>", "<div>来源：清河县人民政府办公室时间：2021-01-12 10:01</div><div class='zw'>")
    assert published(page) == ("2021-01-12", "byline")


def test_trs_content_source_meta_names_the_publisher():
    html = ('<html><head><meta name="ContentSource" content="清河县财政局"></head><body>'
            "<h1>2020年度政府信息公开工作年度报告</h1></body></html>")
    m = parse_metadata(html, BODY, url="http://x.gov.cn/a.html", default_agency=None)
    assert (m.agency, m.agency_from) == ("清河县财政局", "metadata 发布机构")
