"""Property: consistent tables rendered with real-world quirks parse back to exactly the same cells."""
from hypothesis import given, settings, strategies as st

from parsing.checks import check_cells
from core.codebook import load_codebook
from parsing.tables import parse_html_tables

ORGS = ["natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org"]
ORG_LABELS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
GROUPS = {"withheld": ("三", "不予公开"), "unavailable": ("四", "无法提供"),
          "not_processed": ("五", "不予处理"), "other": ("六", "其他处理")}
ITEM_LABELS = {
    "withheld": ["属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
                 "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"],
    "unavailable": ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"],
    "not_processed": ["信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
                      "要求行政机关确认或重新出具已获取信息"],
    "other": ["申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他"],
}


def result_rows(fmt):
    rows = ["disclosed", "partially_disclosed"]
    for group in ("withheld", "unavailable", "not_processed"):
        rows += [r for r in load_codebook().table("requests").rows if r.startswith(group + ".")]
    rows += ["other.no_correction", "other.unpaid_fee", "other.other"] if fmt == "2021" else ["other"]
    return rows


@st.composite
def requests_tables(draw):
    fmt = draw(st.sampled_from(["2019", "2021"]))
    small = st.integers(min_value=0, max_value=30)
    values = {row: [draw(small) for _ in ORGS] for row in result_rows(fmt) + ["carried_over"]}
    values["total"] = [sum(values[r][i] for r in result_rows(fmt)) for i in range(6)]
    # received + carried_over == total + carried_forward, with carried_forward >= 0
    values["carried_forward"] = [draw(small) for _ in ORGS]
    values["received"] = [values["total"][i] + values["carried_forward"][i] - values["carried_over"][i] for i in range(6)]
    if any(v < 0 for v in values["received"]):
        values["carried_over"] = [min(values["carried_over"][i], values["total"][i] + values["carried_forward"][i])
                                  for i in range(6)]
        values["received"] = [values["total"][i] + values["carried_forward"][i] - values["carried_over"][i] for i in range(6)]
    quirks = draw(st.fixed_dictionaries({
        "ascii_brackets": st.booleans(), "blank_zero": st.sampled_from(["0", "", "&nbsp;", " - "]),
        "heji": st.booleans(), "split_header": st.booleans(), "spaces": st.booleans(),
        "straight_quotes": st.booleans(), "group_rows": st.booleans(), "corner": st.booleans(),
    }))
    return fmt, {row: numbers + [sum(numbers)] for row, numbers in values.items()}, quirks


def _bracket(numeral, quirks):
    return f"({numeral})" if quirks["ascii_brackets"] else f"（{numeral}）"


def _label(text, quirks):
    if quirks["straight_quotes"]:
        text = text.replace("“", '"').replace("”", '"')
    return f" {text[:2]} {text[2:]}\u3000" if quirks["spaces"] else text


def _number(value, quirks):
    return quirks["blank_zero"] if value == 0 else str(value)


def render(fmt, values, quirks):
    total_word = "合计" if quirks["heji"] else "总计"
    td = lambda text, **kw: "<td" + "".join(f' {k}="{v}"' for k, v in kw.items()) + f">{text}</td>"
    nums = lambda row: "".join(td(_number(v, quirks)) for v in values[row])
    corner = td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）" if quirks["corner"] else "", colspan=3, rowspan=3)
    orgs = [td("社会公益<br/>组织" if quirks["split_header"] and label == "社会公益组织" else label) for label in ORG_LABELS[1:]]
    html = ["<table>", f"<tr>{corner}{td('申请人情况', colspan=7)}</tr>",
            f"<tr>{td('自然人', rowspan=2)}{td('法人或其他组织', colspan=5)}{td(total_word, rowspan=2)}</tr>",
            f"<tr>{''.join(orgs)}</tr>",
            f"<tr>{td(_label('一、本年新收政府信息公开申请数量', quirks), colspan=3)}{nums('received')}</tr>",
            f"<tr>{td(_label('二、上年结转政府信息公开申请数量', quirks), colspan=3)}{nums('carried_over')}</tr>"]
    body = [(_bracket("一", quirks) + "予以公开", "disclosed"),
            (_bracket("二", quirks) + "部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_disclosed")]
    grouped = []
    for group, (numeral, word) in GROUPS.items():
        if group == "other" and fmt == "2019":
            body.append((_bracket(numeral, quirks) + word, "other"))
            continue
        codes = [r for r in result_rows(fmt) if r.startswith(group + ".")]
        grouped.append((_bracket(numeral, quirks) + word, [(f"{i + 1}.{ITEM_LABELS[group][i]}", c) for i, c in enumerate(codes)]))
    span = 2 + sum(len(items) + quirks["group_rows"] for _, items in grouped) + len(body[2:]) + 1
    rows_html = [f"<tr>{td('三、本年度办理结果', rowspan=span)}{td(_label(l, quirks), colspan=2)}{nums(c)}</tr>" if i == 0
                 else f"<tr>{td(_label(l, quirks), colspan=2)}{nums(c)}</tr>" for i, (l, c) in enumerate(body[:2])]
    for group_label, items in grouped:
        if quirks["group_rows"]:  # a separate full-width label row, no rowspan
            rows_html.append(f"<tr>{td(group_label, colspan=9)}</tr>")
            rows_html += [f"<tr>{td(_label(l, quirks), colspan=2)}{nums(c)}</tr>" for l, c in items]
        else:
            rows_html += [f"<tr>{td(group_label, rowspan=len(items)) if i == 0 else ''}{td(_label(l, quirks))}{nums(c)}</tr>"
                          for i, (l, c) in enumerate(items)]
    rows_html += [f"<tr>{td(_label(l, quirks), colspan=2)}{nums(c)}</tr>" for l, c in body[2:]]
    rows_html.append(f"<tr>{td(_bracket('七', quirks) + total_word, colspan=2)}{nums('total')}</tr>")
    html += rows_html
    html.append(f"<tr>{td(_label('四、结转下年度继续办理', quirks), colspan=3)}{nums('carried_forward')}</tr></table>")
    return "\n".join(html)


@settings(max_examples=50, deadline=None)
@given(requests_tables())
def test_rendered_requests_table_parses_back(table):
    fmt, values, quirks = table
    result = parse_html_tables(render(fmt, values, quirks))
    parsed = {(c.row, c.column): c.value for c in result.cells}
    expected = {(row, column): float(v) for row, numbers in values.items() for column, v in zip(ORGS + ["total"], numbers)}
    assert parsed == expected
    assert result.formats == {fmt}
    assert check_cells(result.cells) == []


@settings(max_examples=50, deadline=None)
@given(requests_tables())
def test_blank_cells_are_exactly_the_rendered_blanks(table):
    fmt, values, quirks = table
    result = parse_html_tables(render(fmt, values, quirks))
    blanks = {(c.row, c.column) for c in result.cells if c.empty}
    rendered_blank = quirks["blank_zero"] != "0"
    assert blanks == ({(row, column) for row, numbers in values.items()
                       for column, v in zip(ORGS + ["total"], numbers) if v == 0} if rendered_blank else set())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=12, max_size=12), st.booleans(), st.sampled_from(["", "&nbsp;", "0"]))
def test_rendered_review_table_parses_back(numbers, heji, blank):
    groups = [numbers[0:4], numbers[4:8], numbers[8:12]]
    values = [v for g in groups for v in g + [sum(g)]]
    total = "合计" if heji else "总计"
    results = ["结果维持", "结果纠正", "其他结果", "尚未审结", total]
    cell = lambda v: f"<td>{blank if v == 0 else v}</td>"
    html = ("<table><tr><td colspan=5>行政复议</td><td colspan=10>行政诉讼</td></tr><tr>"
            + "".join(f"<td rowspan=2>{r}</td>" for r in results)
            + "<td colspan=5>未经复议直接起诉</td><td colspan=5>复议后起诉</td></tr><tr>"
            + "".join(f"<td>{r}</td>" for r in results * 2) + "</tr><tr>" + "".join(cell(v) for v in values) + "</tr></table>")
    parsed = [c.value for c in parse_html_tables(html).cells]
    assert parsed == [float(v) for v in values]
