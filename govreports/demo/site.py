"""The demo web: fake agency sites, in the markup of real CMS families, built from the seeds.

- ``sz-gaj``: 深圳市公安局 on TRS WCM (createPageHTML pager, ``./YYYYMM/tYYYYMMDD_ID.html`` details,
  ``.TRS_Editor`` body, ArticleTitle/PubDate meta); the 2012 report in simplified script.
- ``mirror``: a traditional-script mirror (no default agency) re-posting the Shenzhen 2012 report
  with its own chrome, and the Guangdong PSB 2017 report; ``?page=N`` pagination.
- ``gz-gaj``: 广州市公安局 on an old GBK site whose charset is declared only in a ``<meta>`` tag.
- ``hz-gaj``: 杭州市公安局 on Hanweb jcms (list items inside ``<datastore>`` CDATA records, a
  metadata table naming the agency short as 市公安局).
- ``wh-gaj``: 武汉市公安局, a plain list with 下一页 links and a byline with 【打印】 chrome.

Every listing mixes in look-alikes (年报解读, 工作要点, 指南, 决算) that must not become reports.
Pages are rendered once per server from templates here and the seed texts in ``seeds/``.
"""
from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from email.utils import formatdate
from importlib import resources

from normalization import to_simplified


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str  # sent as is: the GBK site deliberately sends no charset


@dataclass(frozen=True)
class Site:
    id: str
    name: str | None
    kind: str
    start_path: str
    pages: dict[str, Page]

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.pages[path].body).hexdigest()[:16] + '"'


LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)  # fixed: the demo's pages never change
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
EXPECTED_REPORTS = {  # what `govreports demo` must find: (agency, year)
    ("深圳市公安局", 2012), ("广东省公安厅", 2017), ("广州市公安局", 2013), ("杭州市公安局", 2019), ("武汉市公安局", 2008),
}


def seed_text(name: str) -> str:
    return resources.files("govreports.demo").joinpath("seeds", name).read_text(encoding="utf-8")


def _paragraphs(text: str) -> str:
    return "\n".join(f"<p>{html.escape(line.strip())}</p>" for line in text.splitlines() if line.strip())


def _utf8(markup: str) -> Page:
    return Page(markup.encode("utf-8"), "text/html; charset=utf-8")


# -- TRS WCM: 深圳市公安局 ------------------------------------------------------------------------

def _trs_detail(title: str, pub: str, body_html: str, source: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="{html.escape(title)}"><meta name="PubDate" content="{pub}">
<meta name="ContentSource" content="{source}"><title>{html.escape(title)}_{source}</title></head>
<body><div class="header"><a href="../../index.html">首页</a> &gt; <a href="../index.html">政府信息公开年报</a></div>
<div class="article"><h1 class="title">{html.escape(title)}</h1>
<div class="info">发布日期：{pub} 来源：{source} 【打印本页】【关闭窗口】</div>
<!--ContentStart--><div class="TRS_Editor">{body_html}</div><!--ContentEnd-->
<script>createPageHTML(1,0,"t20130315_2233", "html");</script></div>
<div class="footer">网站地图 | 联系我们 | 版权所有：深圳市公安局</div></body></html>"""


def _trs_list(items: list[tuple[str, str, str]], page: int, count: int) -> str:
    lis = "\n".join(f'<li><a href="{href}" target="_blank" title="{html.escape(t)}">{html.escape(t)}</a>'
                    f"<span>{d}</span></li>" for href, t, d in items)
    next_link = f'<a href="index_{page + 1}.html">下一页</a>' if page + 1 < count else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报_深圳市公安局</title></head>
<body><div class="nav"><a href="/">首页</a><a href="/gkml/">信息公开</a></div>
<div class="list"><ul>{lis}</ul></div>
<div class="page"><script>var currentPage = {page};var countPage = {count};
createPageHTML({count}, {page}, "index", "html");</script>{next_link}</div></body></html>"""


def _shenzhen_site() -> Site:
    traditional = seed_text("000_ac5d5796d1c49dd0.txt")
    body_lines = [line for line in traditional.splitlines()[1:] if line.strip() not in ("熱門詞條", "聯絡我們")]
    simplified = to_simplified("\n".join(body_lines))
    title = "2012年深圳市公安局政府信息公开年报"
    pages = {
        "/gkml/xxgknb/index.html": _utf8(_trs_list([
            ("./201303/t20130315_2233.html", title, "2013-03-15"),
            ("./201303/t20130320_2240.html", "深圳市公安局2012年政府信息公开年报解读", "2013-03-20"),
            ("./201302/t20130208_2101.html", "深圳市公安局2013年政务公开工作要点", "2013-02-08"),
        ], 0, 2)),
        "/gkml/xxgknb/index_1.html": _utf8(_trs_list([
            ("./201201/t20120110_1001.html", "深圳市公安局政府信息公开指南", "2012-01-10"),
            ("./201207/t20120720_1102.html", "深圳市公安局2011年部门决算", "2012-07-20"),
        ], 1, 2)),
        "/gkml/xxgknb/201303/t20130315_2233.html": _utf8(_trs_detail(title, "2013-03-15", _paragraphs(simplified),
                                                                     "深圳市公安局")),
        "/gkml/xxgknb/201303/t20130320_2240.html": _utf8(_trs_detail(
            "深圳市公安局2012年政府信息公开年报解读", "2013-03-20",
            _paragraphs("一图读懂深圳市公安局2012年政府信息公开年报。" * 20), "深圳市公安局")),
    }
    return Site("sz-gaj", "深圳市公安局", "agency", "/gkml/xxgknb/index.html", pages)


# -- a traditional-script mirror ------------------------------------------------------------------

def _mirror_page(title: str, text: str) -> str:
    return f"""<!DOCTYPE html><html lang="zh-Hant"><head><meta charset="utf-8"><title>{html.escape(title)} - 政府資訊百科</title></head>
<body><div id="top">政府資訊百科 首頁 分類</div><div id="main"><h1>{html.escape(title)}</h1>
<div class="content">{_paragraphs(text)}</div></div>
<div id="side"><h3>熱門詞條</h3><a href="/wiki/1">政府信息公開</a></div><div id="foot">聯絡我們</div></body></html>"""


def _mirror_list(items: list[tuple[str, str]], page: int, count: int) -> str:
    lis = "\n".join(f'<li><a href="{href}">{html.escape(t)}</a></li>' for href, t in items)
    pager = " ".join(f'<a href="/list?page={n}">{n}</a>' for n in range(1, count + 1) if n != page)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公開年報 - 政府資訊百科</title></head>
<body><ul class="wiki-list">{lis}</ul><div class="pager">{pager}</div></body></html>"""


def _mirror_site() -> Site:
    shenzhen = seed_text("000_ac5d5796d1c49dd0.txt")
    guangdong = seed_text("001_45b3fb819af8aa55.txt")
    sz_title, gd_title = shenzhen.splitlines()[0].strip(), guangdong.splitlines()[0].strip()
    pages = {
        "/list": _utf8(_mirror_list([("/wiki/sz2012", sz_title), ("/wiki/pub-guide", "深圳市公安局政府信息公開指南")], 1, 2)),
        "/list?page=1": _utf8(_mirror_list([("/wiki/sz2012", sz_title), ("/wiki/pub-guide", "深圳市公安局政府信息公開指南")], 1, 2)),
        "/list?page=2": _utf8(_mirror_list([("/wiki/gd2017", gd_title), ("/wiki/gd-key", "廣東省公安廳2018年政務公開工作要點")], 2, 2)),
        "/wiki/sz2012": _utf8(_mirror_page(sz_title, "\n".join(shenzhen.splitlines()[1:]))),
        "/wiki/gd2017": _utf8(_mirror_page(gd_title, "\n".join(guangdong.splitlines()[1:]))),
    }
    return Site("mirror", None, "mirror", "/list", pages)


# -- an old GBK site: 广州市公安局 -----------------------------------------------------------------

def _gbk(markup: str) -> Page:
    # The charset is declared only in <meta http-equiv>; the server sends no charset on purpose.
    return Page(markup.encode("gb18030"), "text/html")


def _appendix_tables(lines: list[str]) -> str:
    """Render the seed's tab-separated 附表 blocks as HTML tables."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            out.append('<table border="1">' + "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>")
            rows.clear()

    for line in lines:
        if "\t" in line:
            rows.append(line.split("\t"))
        else:
            flush()
            if line.strip():
                out.append(f"<p>{html.escape(line.strip())}</p>")
    flush()
    return "\n".join(out)


def _guangzhou_site() -> Site:
    lines = seed_text("002_ea6a3b00d8d8dc32.txt").splitlines()
    title = "2013年广州市公安局政府信息公开年度报告"
    body = _appendix_tables([line for line in lines if line.strip() and "2013 年广州市公安局政府 信息公开年度报告" not in line])
    head = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    detail = f"""<html><head>{head}<title>{title}</title></head><body>
<table width="980"><tr><td><a href="/">广州金盾网</a> &gt; 政务公开 &gt; 年度报告</td></tr></table>
<table width="980"><tr><td class="title"><h2>{title}</h2></td></tr><tr><td>时间：2014-03-28 来源：政务公开办</td></tr>
<tr><td id="content">{body}</td></tr></table><div>主办：广州市公安局 粤ICP备05003345号</div></body></html>"""
    listing = f"""<html><head>{head}<title>年度报告</title></head><body><table>
<tr><td><a href="/zwgk/ndbg/201403/t20140328_1.html">{title}</a></td><td>2014-03-28</td></tr>
<tr><td><a href="/zwgk/ndbg/201403/t20140330_2.html">广州市公安局2013年政府信息公开年报图解</a></td><td>2014-03-30</td></tr>
<tr><td><a href="/private/draft.html">2013年广州市公安局政府信息公开年度报告（草稿）</a></td><td>2014-03-01</td></tr>
</table></body></html>"""
    pages = {"/zwgk/ndbg/index.html": _gbk(listing), "/zwgk/ndbg/201403/t20140328_1.html": _gbk(detail)}
    return Site("gz-gaj", "广州市公安局", "agency", "/zwgk/ndbg/index.html", pages)


# -- Hanweb jcms: 杭州市公安局 ---------------------------------------------------------------------

def _hangzhou_site() -> Site:
    lines = seed_text("003_2bd2ec3356da2fb3.txt").splitlines()
    body_lines = lines[3:]  # the first three lines are the metadata block, rendered as a table below
    title = "杭州市公安局2019年度政府信息公开工作年度报告"
    records = [
        ("/art/2020/1/19/art_1229_5501.html", title, "2020-01-19"),
        ("/art/2020/1/20/art_1229_5502.html", "杭州市公安局2019年度政府信息公开工作年度报告解读", "2020-01-20"),
        ("/art/2019/3/1/art_1229_4400.html", "2019年杭州市公安局政务公开工作要点", "2019-03-01"),
    ]
    cdata = "\n".join(f'<record><![CDATA[<li><a href="{h}" title="{html.escape(t)}" target="_blank">{html.escape(t)}</a>'
                      f"<span>{d}</span></li>]]></record>" for h, t, d in records)
    listing = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报 杭州市公安局</title></head>
<body><div id="1229"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=1229&unitid=5012&webname=杭州市公安局&permissiontype=0"></a>]]></nextgroup>
<recordset>{cdata}</recordset></datastore></script></div></body></html>"""
    meta_block = """<table class="xxgk_table"><tr><td>索引号:</td><td>00249100X/2020-00413</td><td>公开方式:</td><td>主动公开</td></tr>
<tr><td>文号:</td><td></td><td>公开日期:</td><td>2020-01-19</td></tr>
<tr><td>发布单位:</td><td>市公安局</td><td>主题分类:</td><td>公安、安全、司法</td></tr></table>"""
    detail = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}">
<title>{title}</title></head><body>{meta_block}<div id="barrierfree_container"><div class="title">{title}</div>
<div id="zoom">{_paragraphs(chr(10).join(body_lines))}</div></div></body></html>"""
    pages = {"/col/col1229/index.html": _utf8(listing), "/art/2020/1/19/art_1229_5501.html": _utf8(detail)}
    return Site("hz-gaj", "杭州市公安局", "agency", "/col/col1229/index.html", pages)


# -- a plain list with 下一页: 武汉市公安局 --------------------------------------------------------

def _wuhan_site() -> Site:
    lines = seed_text("004_63fef033ffe3ca1d.txt").splitlines()
    title = lines[0].strip()
    byline, body = lines[1:4], lines[4:]
    detail = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}-武汉市公安局</title></head><body>
<div class="article"><h1>{title}</h1><div class="byline">{html.escape(" ".join(l.strip() for l in byline))}</div>
<div class="article-content">{_paragraphs(chr(10).join(body))}</div></div><div>打印本页 关闭窗口</div></body></html>"""

    def listing(items, next_href):
        lis = "".join(f'<li><a href="{h}">{t}</a> <span>{d}</span></li>' for h, t, d in items)
        pager = f'<a href="{next_href}">下一页</a> <a href="{next_href}">尾页</a>' if next_href else "下一页 尾页"
        return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>年报</title></head><body><ul>{lis}</ul><div>{pager}</div></body></html>'

    pages = {
        "/zwgk/nb/index.shtml": _utf8(listing([("/zwgk/nb/2010/1201.shtml", "武汉市公安局2009年度法治政府建设年度报告", "2010-03-01")],
                                              "/zwgk/nb/index_2.shtml")),
        "/zwgk/nb/index_2.shtml": _utf8(listing([("/zwgk/nb/2009/1101.shtml", title, "2009-01-14")], None)),
        "/zwgk/nb/2009/1101.shtml": _utf8(detail),
    }
    return Site("wh-gaj", "武汉市公安局", "agency", "/zwgk/nb/index.shtml", pages)


def build_sites() -> list[Site]:
    return [_shenzhen_site(), _mirror_site(), _guangzhou_site(), _hangzhou_site(), _wuhan_site()]
