"""parsing.stub: a one-line page and the document behind it, judged by content in many wordings."""
from __future__ import annotations

import pytest

from parsing.content import parse_content
from parsing.stub import document_is_report_of_page, is_stub, shape
from report_documents import ReportData

AGENCY = "测试县人民政府"
TITLE = f"{AGENCY}2023年政府信息公开工作年度报告"
REPORT = ReportData(AGENCY, 2023)


def shape_of(text: str, title: str | None = None):
    return shape(text, parse_content(text, year=2023), title)


@pytest.mark.parametrize("body", [
    "现将《测试县人民政府2023年政府信息公开工作年度报告》予以公布，详见附件。",
    "根据《条例》规定，现公布本机关年度报告全文，欢迎社会各界监督。\n附件：2023年年报.pdf",
    "",
    f"{TITLE}\n索引号：11330100X/2024-001\n发布机构：测试县人民政府办公室\n发布日期：2024-01-20\n附件：{TITLE}.docx",
    "为进一步做好政府信息公开工作，按照上级要求，我县编制了2023年度政府信息公开工作年度报告。"
    "报告包括总体情况、主动公开情况、依申请公开情况、复议诉讼情况、存在问题及改进措施等内容。请点击附件查看全文。",
])
def test_pages_whose_body_is_not_a_report_are_stubs(body):
    assert is_stub(shape_of(body, TITLE))


def test_a_report_page_is_not_a_stub():
    assert not is_stub(shape_of(REPORT.expected_text(), TITLE))


def test_a_short_report_with_its_parts_is_not_a_stub():
    text = "一、总体情况\n本年度公开工作平稳。\n二、主动公开政府信息情况\n主动公开信息120条。\n三、收到和处理政府信息公开申请情况\n无。"
    assert not is_stub(shape_of(text))


def verdict(document_text: str, link_text: str = "附件：年度报告.pdf", page_agency: str = AGENCY, page_year: int = 2023):
    page = shape_of("现将年度报告予以公布。", TITLE)
    return document_is_report_of_page(shape_of(document_text), page, document_text, link_text, page_year, page_agency)


def test_the_report_document_belongs_to_its_stub_page():
    assert verdict(REPORT.expected_text()).belongs


def test_a_document_naming_another_year_does_not():
    found = verdict(REPORT.expected_text(), page_year=2022)
    assert not found.belongs and "2023" in found.reason


def test_a_document_naming_another_agency_does_not():
    assert not verdict(REPORT.expected_text(), page_agency="另一市公安局").belongs


def test_a_short_form_of_the_agency_is_the_same_agency():
    assert verdict(REPORT.expected_text(), page_agency="县人民政府").belongs


def test_an_interpretation_is_not_the_report():
    assert not verdict(REPORT.expected_text(), link_text="附件：2023年年报解读.pdf").belongs


def test_a_document_without_report_structure_is_not_the_report():
    assert not verdict("政府信息公开申请表\n申请人姓名\n联系电话\n所需信息描述" * 20).belongs
