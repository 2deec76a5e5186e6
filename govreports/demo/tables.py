"""The demo's statistics web: six agencies of one province (省, 市 and 县 level; governments, an
office, departments), each on its own site, with 2019–2023 reports in the national formats whose
statistics tables are HTML in the markup of real reports (rowspan/colspan groups, blank cells).

The five seed reports of the demo are older and have no tables; these give browse, metrics, plots and
compare something to show. The numbers are synthetic (generated, deterministic) and agree with each
other the way real ones do (every identity of the codebook holds, and each year's 上年结转 is last
year's 结转下年度继续办理), except where a real report would not, on purpose:

* 宁波市市场监督管理局 2022: the 总计 column of 一、本年新收 is one more than its row (a broken identity);
* 浙江省公安厅 2021: 上年结转 differs from the 2020 report's 结转下年度继续办理 (the cross-year check);
* 杭州市西湖区人民政府 has no 2020 report (missing in the coverage ledger);
* 宁波市市场监督管理局's 2021 report appeared on 15 March 2022, after the 31 January deadline (late);
* blank cells (research, nonprofit and legal-service columns) everywhere: read as 0 and flagged.
"""
from __future__ import annotations

import html
import random
from dataclasses import dataclass, field

from govreports.demo.site import Page, Site

APPLICANTS = ("natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org")
_ALWAYS_BLANK = ("research", "nonprofit", "legal_service")  # the blank columns of most real tables
# Outcome rows of the 申请 table, (code, label as printed, share of the answers): shares of a typical
# city department; the rest goes to 无法提供/不掌握.
_WITHHELD = (("withheld.state_secret", "1.属于国家秘密"), ("withheld.prohibited", "2.其他法律行政法规禁止公开"),
             ("withheld.security", "3.危及“三安全一稳定”"), ("withheld.third_party", "4.保护第三方合法权益"),
             ("withheld.internal_affairs", "5.属于三类内部事务信息"), ("withheld.process_info", "6.属于四类过程性信息"),
             ("withheld.enforcement_file", "7.属于行政执法案卷"), ("withheld.query_matter", "8.属于行政查询事项"))
_UNAVAILABLE = (("unavailable.not_held", "1.本机关不掌握相关政府信息"),
                ("unavailable.needs_creation", "2.没有现成信息需要另行制作"),
                ("unavailable.unclear", "3.补正后申请内容仍不明确"))
_NOT_PROCESSED = (("not_processed.petition", "1.信访举报投诉类申请"), ("not_processed.repeated", "2.重复申请"),
                  ("not_processed.publication", "3.要求提供公开出版物"),
                  ("not_processed.excessive", "4.无正当理由大量反复申请"),
                  ("not_processed.confirmation", "5.要求行政机关确认或重新出具已获取信息"))
_OTHER_2021 = (("other.no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
               ("other.unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
               ("other.other", "3.其他"))
_SHARES = {"disclosed": 0.34, "partially_disclosed": 0.09, "withheld.state_secret": 0.01,
           "withheld.third_party": 0.02, "withheld.process_info": 0.03, "withheld.query_matter": 0.04,
           "unavailable.needs_creation": 0.05, "unavailable.unclear": 0.03, "not_processed.petition": 0.08,
           "not_processed.repeated": 0.04, "other": 0.03}
REVIEW_COLUMNS = tuple(f"{group}.{result}" for group in ("reconsideration", "litigation_direct", "litigation_after_review")
                       for result in ("upheld", "corrected", "other", "pending", "total"))


@dataclass(frozen=True)
class StatsAgency:
    site_id: str
    name: str
    years: tuple[int, ...]
    base: int  # applications received in the first year
    growth: float  # per year
    place: dict = field(default_factory=dict)  # sources-file place keys (some agencies give none: inferred)
    late: frozenset[int] = frozenset()  # years whose report appeared after the deadline


STATS_AGENCIES = (
    StatsAgency("zj-gov-office", "浙江省人民政府办公厅", (2019, 2020, 2021, 2022, 2023), 860, -0.04,
                {"division_code": "330000", "division": "浙江省", "level": "省", "agency_kind": "办公厅",
                 "parent": "浙江省人民政府"}),
    StatsAgency("zj-gat", "浙江省公安厅", (2019, 2020, 2021, 2022, 2023), 410, 0.06, {"division_code": "330000"}),
    StatsAgency("hz-gov", "杭州市人民政府", (2019, 2020, 2021, 2022, 2023), 1240, 0.11, {"division_code": "330100"}),
    StatsAgency("hz-gaj-stats", "杭州市公安局", (2020, 2021, 2022, 2023), 120, 0.15),
    StatsAgency("nb-scjg", "宁波市市场监督管理局", (2019, 2020, 2021, 2022, 2023), 95, 0.22,
                late=frozenset({2021})),
    StatsAgency("hz-xh-gov", "杭州市西湖区人民政府", (2019, 2021, 2022, 2023), 150, 0.08, {"division_code": "330106"}),
)
BROKEN_IDENTITY = ("宁波市市场监督管理局", 2022)
CARRY_OVER_BREAK = ("浙江省公安厅", 2021)


@dataclass(frozen=True)
class StatsReport:
    agency: str
    year: int
    fmt: str  # "2019" | "2021"
    requests: dict  # (row, column) -> int
    review: dict  # column -> int
    published: str


def _split(total: int, rng: random.Random) -> dict[str, int]:
    """Applicants of ``total`` requests: mostly individuals, some companies and other organisations."""
    commercial = round(total * rng.uniform(0.04, 0.12))
    other_org = round(total * rng.uniform(0.0, 0.04))
    return {"natural_person": total - commercial - other_org, "commercial": commercial, "research": 0,
            "nonprofit": 0, "legal_service": 0, "other_org": other_org}


def _outcomes(answered: int, rng: random.Random, fmt: str) -> dict[str, int]:
    rows: dict[str, int] = {}
    for code, share in _SHARES.items():
        rows[code] = round(answered * share * rng.uniform(0.85, 1.15))
    if fmt == "2021":
        other = rows.pop("other")
        rows["other.no_correction"], rows["other.other"] = other - other // 3, other // 3
    rows["unavailable.not_held"] = answered - sum(rows.values())
    if rows["unavailable.not_held"] < 0:  # tiny agencies: fold the excess back
        rows["disclosed"] += rows["unavailable.not_held"]
        rows["unavailable.not_held"] = 0
    return rows


def _requests_table(received: dict[str, int], carried_over: dict[str, int], forward: dict[str, int],
                    rng: random.Random, fmt: str) -> dict[tuple[str, str], int]:
    cells: dict[tuple[str, str], int] = {}
    for column in APPLICANTS:
        answered = received[column] + carried_over[column] - forward[column]
        outcome = _outcomes(answered, rng, fmt) if answered else {}
        cells[("received", column)] = received[column]
        cells[("carried_over", column)] = carried_over[column]
        for row, value in outcome.items():
            cells[(row, column)] = value
        cells[("total", column)] = answered
        cells[("carried_forward", column)] = forward[column]
    rows = {row for row, _ in cells}
    for row in rows:  # the 总计 column adds the applicant columns
        cells[(row, "total")] = sum(cells.get((row, c), 0) for c in APPLICANTS)
    return cells


def _review(rng: random.Random, scale: int) -> dict[str, int]:
    row: dict[str, int] = {}
    for group, size in (("reconsideration", max(1, scale // 60)), ("litigation_direct", max(0, scale // 150)),
                        ("litigation_after_review", max(0, scale // 300))):
        counts = {"upheld": rng.randint(0, size + 1), "corrected": rng.randint(0, max(1, size // 3)),
                  "other": rng.randint(0, 1), "pending": rng.randint(0, max(1, size // 4))}
        for result, value in counts.items():
            row[f"{group}.{result}"] = value
        row[f"{group}.total"] = sum(counts.values())
    return row


def stats_reports(agency: StatsAgency) -> list[StatsReport]:
    rng = random.Random(agency.name)  # deterministic: the same web on every run
    reports = []
    forward = {c: 0 for c in APPLICANTS}
    for index, year in enumerate(range(agency.years[0], agency.years[-1] + 1)):
        received_total = round(agency.base * (1 + agency.growth) ** index * rng.uniform(0.9, 1.1))
        received = _split(received_total, rng)
        carried_over = dict(forward)
        forward = {c: (round(received[c] * rng.uniform(0.02, 0.08)) if received[c] > 5 else 0) for c in APPLICANTS}
        fmt = "2021" if year >= 2021 else "2019"
        requests = _requests_table(received, carried_over, forward, rng, fmt)
        review = _review(rng, received_total)
        if (agency.name, year) == CARRY_OVER_BREAK:  # the report says 上年结转 9 more than last year carried
            requests[("carried_over", "natural_person")] += 9
            requests[("carried_over", "total")] += 9
            requests[("received", "natural_person")] -= 9  # and keeps its own column identity
            requests[("received", "total")] -= 9
        if (agency.name, year) == BROKEN_IDENTITY:
            requests[("received", "total")] += 1
        if year not in agency.years:
            continue  # not published: a gap in the ledger (the numbers still carry over)
        governments = agency.name.endswith("人民政府")
        published = f"{year + 1}-03-15" if year in agency.late else (
            f"{year + 1}-03-{20 + index % 8:02d}" if governments else f"{year + 1}-01-{18 + index % 10:02d}")
        reports.append(StatsReport(agency.name, year, fmt, requests, review, published))
    return reports


# -- markup ------------------------------------------------------------------------------------------

def _td(value: int | None, blank: bool = False) -> str:
    return "<td>&nbsp;</td>" if blank or value is None else f"<td>{value}</td>"


def _row_cells(cells: dict, row: str) -> str:
    return "".join(_td(cells.get((row, c)), c in _ALWAYS_BLANK and not cells.get((row, c))) for c in APPLICANTS) + \
        _td(cells.get((row, "total")))


def requests_table_html(cells: dict, fmt: str) -> str:
    """The 申请 table as published: 3 header rows, the 三、本年度办理结果 block with its group cells."""
    other_rows = _OTHER_2021 if fmt == "2021" else ()
    outcome_rows = 2 + len(_WITHHELD) + len(_UNAVAILABLE) + len(_NOT_PROCESSED) + (len(other_rows) or 1) + 1
    out = ['<table border="1" cellspacing="0"><tbody>',
           '<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>'
           '<td colspan="7">申请人情况</td></tr>',
           '<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>',
           "<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>",
           f'<tr><td colspan="3">一、本年新收政府信息公开申请数量</td>{_row_cells(cells, "received")}</tr>',
           f'<tr><td colspan="3">二、上年结转政府信息公开申请数量</td>{_row_cells(cells, "carried_over")}</tr>',
           f'<tr><td rowspan="{outcome_rows}">三、本年度办理结果</td><td colspan="2">（一）予以公开</td>'
           f'{_row_cells(cells, "disclosed")}</tr>',
           f'<tr><td colspan="2">（二）部分公开（区分处理的，只计这一情形，不计其他情形）</td>'
           f'{_row_cells(cells, "partially_disclosed")}</tr>']
    for group, rows in (("（三）不予公开", _WITHHELD), ("（四）无法提供", _UNAVAILABLE), ("（五）不予处理", _NOT_PROCESSED),
                        ("（六）其他处理", other_rows)):
        for position, (code, label) in enumerate(rows):
            head = f'<td rowspan="{len(rows)}">{group}</td>' if position == 0 else ""
            out.append(f"<tr>{head}<td>{html.escape(label)}</td>{_row_cells(cells, code)}</tr>")
    if not other_rows:
        out.append(f'<tr><td colspan="2">（六）其他处理</td>{_row_cells(cells, "other")}</tr>')
    out.append(f'<tr><td colspan="2">（七）总计</td>{_row_cells(cells, "total")}</tr>')
    out.append(f'<tr><td colspan="3">四、结转下年度继续办理</td>{_row_cells(cells, "carried_forward")}</tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def review_table_html(row: dict) -> str:
    results = "".join(f"<td>{label}</td>" for label in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
    values = "".join(_td(row.get(column) or None) for column in REVIEW_COLUMNS)
    return ('<table border="1" cellspacing="0"><tbody><tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr>'
            '<tr><td rowspan="2">结果维持</td><td rowspan="2">结果纠正</td><td rowspan="2">其他结果</td>'
            '<td rowspan="2">尚未审结</td><td rowspan="2">总计</td><td colspan="5">未经复议直接起诉</td>'
            f'<td colspan="5">复议后起诉</td></tr><tr>{results}{results}</tr><tr>{values}</tr></tbody></table>')


def report_title(report: StatsReport) -> str:
    return f"{report.agency}{report.year}年政府信息公开工作年度报告"


def report_body(report: StatsReport) -> str:
    received = report.requests[("received", "total")]
    return f"""<p>本报告根据《中华人民共和国政府信息公开条例》编制。本报告中所列数据的统计期限自{report.year}年1月1日起至{report.year}年12月31日止。</p>
<p>一、总体情况</p><p>{report.year}年，{report.agency}认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开工作。</p>
<p>二、主动公开政府信息情况</p><p>本年度通过门户网站主动公开政府信息{1200 + report.year % 7 * 37}条。</p>
<p>三、收到和处理政府信息公开申请情况</p><p>{report.year}年共收到政府信息公开申请{received}件。</p>
{requests_table_html(report.requests, report.fmt)}
<p>四、政府信息公开行政复议、行政诉讼情况</p>
{review_table_html(report.review)}
<p>五、存在的主要问题及改进情况</p><p>一是依申请公开答复规范化水平有待提高；二是政策解读形式仍较单一。</p>
<p>六、其他需要报告的事项</p><p>无。</p>"""


def _detail(report: StatsReport) -> str:
    title = html.escape(report_title(report))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{report.published}"><meta name="ContentSource" content="{html.escape(report.agency)}">
<title>{title}</title></head><body><div class="article"><h1>{title}</h1>
<div class="info">发布日期：{report.published} 来源：{html.escape(report.agency)}</div>
<div class="TRS_Editor">{report_body(report)}</div></div><div class="footer">网站地图 | 版权所有</div></body></html>"""


def _listing(agency: StatsAgency, items: list[tuple[str, str, str]]) -> str:
    lis = "\n".join(f'<li><a href="{href}">{html.escape(title)}</a><span>{date}</span></li>' for href, title, date in items)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报_{html.escape(agency.name)}</title></head>
<body><div class="list"><ul>{lis}</ul></div><div class="page">下一页 尾页</div></body></html>"""


def _utf8(markup: str) -> Page:
    return Page(markup.encode("utf-8"), "text/html; charset=utf-8")


def stats_site(agency: StatsAgency) -> Site:
    reports = stats_reports(agency)
    pages: dict[str, Page] = {}
    items = []
    for report in sorted(reports, key=lambda r: -r.year):
        path = f"/xxgk/ndbg/{report.published[:7].replace('-', '')}/t{report.published.replace('-', '')}_{report.year}.html"
        pages[path] = _utf8(_detail(report))
        items.append((path, report_title(report), report.published))
    items.append(("/xxgk/ndbg/jd.html", f"{agency.name}{agency.years[-1]}年政府信息公开工作年度报告解读", "2024-02-01"))
    pages["/xxgk/ndbg/index.html"] = _utf8(_listing(agency, items))
    return Site(agency.site_id, agency.name, "agency", "/xxgk/ndbg/index.html", pages)


def stats_sites() -> list[Site]:
    return [stats_site(agency) for agency in STATS_AGENCIES]


def place_keys() -> dict[str, dict]:
    """Sources-file place keys per site id (the agencies that give them)."""
    return {agency.site_id: agency.place for agency in STATS_AGENCIES if agency.place}
