"""Metadata of a report page: title, agency, statistical year, publication date, 索引号/发布机构/文号.

Pure functions over already-decoded, already-simplified strings. Every value carries the evidence
it came from (``*_from``), so a user can see why a report got its agency and year.

Publication date: the page's own record wins over the listing's. In order: the metadata block's
publication labels (公开日期, 发布日期, 发布时间 …); the CMS's ``PubDate``-style meta tags; a byline's
时间/日期; the block's 成文日期 (the date the document was signed, days before it went up); and only
then the date the listing printed beside the link. A listing date is the list's display date, which
CMSs refresh when a page is re-saved or a column migrates in a site rebuild (DOMAIN: "column URLs
drift when sites are rebuilt"), so it runs later than the page's own date, never earlier; on the
reference pages the page's own dates (block, ``PubDate``, byline) agree with each other. A date
before 1 December of the statistical year cannot be the publication of that year's report (reports
appear from January of the next year; late ones later still) and is passed over. When the listing
disagrees with the date taken, ``published_from`` says so, with the listing's date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree

from core.html import html_tree, is_element, text_of
from normalization import to_simplified
from core.years import year_in_text, year_in_url

# Label synonyms of the metadata block (DOMAIN.md). Labels are often padded: "索 引 号".
LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),
    "publisher": ("发布机构", "发文机关", "发布单位", "信息来源", "来源"),
    "published": ("公开日期", "发布日期", "发文日期", "发布时间", "公开时间"),
    "dated": ("时间", "日期"),  # a byline's bare 时间：/日期：
    "written": ("成文日期", "印发日期"),
    "doc_no": ("文号", "发文字号"),
    "topic": ("主题分类", "组配分类"),
    "name": ("名称", "标题"),
}
# Labels so short that they end longer words: "统计时间：2019年1月1日至…" is no publication date,
# "数据来源：" no publisher. (Not every word before them: Word-flattened bylines print
# "来源：市公安局时间：2017-01-12" with nothing between.)
_NOT_BEFORE = {
    "时间": ("统计", "截止", "答复", "办理", "受理", "处理", "申请", "办结", "工作", "办公", "服务", "开放", "咨询", "会议",
           "活动", "报名", "有效", "实施", "执行", "施行", "起止", "完成"),
    "日期": ("统计", "截止", "答复", "办理", "受理", "处理", "申请", "办结", "有效", "实施", "施行", "起止", "完成", "出生"),
    "来源": ("数据", "资金", "经费", "信息资料"),
}
_ALL_LABELS = sorted({label for labels in LABELS.values() for label in labels}, key=len, reverse=True)


def _label_pattern(label: str) -> str:
    """``label`` with any whitespace between its characters, unless it ends one of the longer
    words of ``_NOT_BEFORE``. The guard is written after the first character ((?<!统计时) once 时 is
    read, the same test as (?<!统计) before it), so that every alternative starts with a character
    and the regex engine skips ahead to the labels' first characters instead of trying each
    alternative at every position of the page (most of ``label_values``' time)."""
    first, rest = re.escape(label[0]), [re.escape(char) for char in label[1:]]
    guards = "".join(f"(?<!{re.escape(word + label[0])})" for word in _NOT_BEFORE.get(label, ()))
    return first + guards + "".join(r"\s*" + char for char in rest)


_LABEL_ALT = "|".join(_label_pattern(label) for label in _ALL_LABELS)
_LABEL_COLON = re.compile(rf"(?P<label>{_LABEL_ALT})\s*[:：]")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_REPORT_WORDS = re.compile(r"信息公开|年报|年度报告|工作报告")
# Agencies end in one of these (a non-exhaustive list of the suffixes of Chinese administrative bodies).
_AGENCY_END = (
    "人民政府办公厅|人民政府办公室|人民政府|委员会|办公厅|办公室|管理局|监督局|公安局|公安厅|局|厅|委|办|署|院|会|"
    "中心|政府|馆|社|所|站|队|部|处|行|关|区|县|市|镇|乡|街道"
)
# Body suffixes of _AGENCY_END that are not place levels (a name ending in one is not a bare place).
_AGENCY_WORDS = "人民政府|政府|委员会|办公厅|办公室|局|厅|委|办|署|院|会|中心|馆|社|所|站|队|部|处|行|关"
_AGENCY_IN_TITLE = re.compile(
    rf"^(?:关于)?(?:(?:19|20)\d{{2}}\s*年度?)?(?P<agency>[\u4e00-\u9fff（）()]{{2,40}}?(?:{_AGENCY_END}))"
    rf"(?:(?:19|20)\d{{2}}\s*年度?)?(?:的)?(?:政府|政务)?信息公开"
)
_SHORT_AGENCY = re.compile(r"^(?:市|省|区|县|州|自治区|本)")
# A title that names only a place (清河县2012年政府信息公开年报) means that place's government.
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,14}?(?:自治区|自治州|自治县|自治旗|特别行政区|省|市|县|区|州|旗|盟|镇|乡|街道)$")
# Zones run by a 管理委员会, not a 人民政府: their bare name is left as printed.
_ZONE = re.compile(r"(?:开发区|高新区|新区|实验区|试验区|示范区|园区|保税区|合作区|自贸区)$")
_SHORT_LEVEL = re.compile(r"^(?:自治区|自治州|省|市|区|县|州|旗)")  # the level a short name starts with
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||-{1,2}|–|—)\s*")
_STATS_PERIOD = re.compile(r"(?:统计|数据).{0,12}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_BODY_REPORT_YEAR = re.compile(r"现将.{0,30}?((?:19|20)\d{2})\s*年度?(?:政府|政务)?信息公开")


@dataclass(frozen=True)
class Metadata:
    title: str | None
    title_from: str | None
    agency: str | None
    agency_from: str | None
    year: int | None
    year_from: str | None
    published: str | None  # YYYY-MM-DD
    published_from: str | None
    index_no: str | None = None
    publisher: str | None = None  # 发布机构 as printed (may be a short name)
    doc_no: str | None = None


def _first(block: dict[str, list[str]], key: str) -> str | None:
    return block.get(key, [None])[0]


def parse_metadata(
    html: str | None,
    body_text: str,
    *,
    url: str,
    link_text: str | None = None,
    default_agency: str | None = None,
    list_date: str | None = None,
    tree: lxml.etree._Element | None = None,
) -> Metadata:
    """Everything but the body: inputs may be traditional script, outputs are simplified.

    ``tree`` is ``html`` already parsed (``core.html.html_tree``), when the caller has it: it is
    read, never changed."""
    if html and tree is None:
        tree = html_tree(html)
    page = tree if html else None
    block = label_values(flatten_for_labels(html, tree=page) if html else body_text)
    if not block and html:
        block = label_values(body_text)
    if page is not None and (source := _first_meta(page, _CONTENT_SOURCE)) is not None:
        if source.get("content", "").strip():  # TRS pages name the publishing body here too
            block.setdefault("publisher", []).append(to_simplified(source.get("content").strip()))
    title, title_from = _title(page, link_text, block, body_text)
    agency, agency_from = _agency(title, link_text, block, default_agency)
    year, year_from = _year(link_text, title, url, block, body_text)
    published, published_from = _published(block, page, list_date, year)
    return Metadata(
        title=title, title_from=title_from, agency=agency, agency_from=agency_from, year=year,
        year_from=year_from, published=published, published_from=published_from,
        index_no=_first(block, "index_no"), publisher=_first(block, "publisher"), doc_no=_first(block, "doc_no"),
    )


_CELL_TAGS = frozenset({"td", "th", "dt", "dd", "span", "label", "em", "b", "strong"})
_ROW_TAGS = frozenset({"tr", "li", "p", "div", "br", "h1", "h2", "h3", "ul", "table"})
_HIDDEN_TAGS = frozenset({"script", "style", "noscript"})


def flatten_for_labels(html: str, tree: lxml.etree._Element | None = None) -> str:
    """Visible text with ``|`` after each cell and a newline after each row, for label matching.
    ``tree``: ``html`` already parsed; it is read, never changed."""
    root = tree if tree is not None else html_tree(html)
    if root is None:
        return ""
    pieces: list[str] = []
    _flatten(root, pieces)
    return to_simplified("".join(pieces))


def _flatten(element: lxml.etree._Element, pieces: list[str]) -> None:
    """``element``'s text with the separators, in document order (its own tail excluded): the text
    lxml's ``text_content`` gives once scripts, styles and noscripts are dropped and each cell's and
    row's tail is prefixed with its separator, without changing the tree."""
    if element.text:
        pieces.append(element.text)
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in _HIDDEN_TAGS:
            _flatten(child, pieces)
            separator = " | " if tag in _CELL_TAGS else "\n" if tag in _ROW_TAGS else None
            if separator:
                pieces.append(separator)
        if child.tail:  # a dropped element's tail stays in the text; so does a comment's
            pieces.append(child.tail)


def label_values(text: str) -> dict[str, list[str]]:
    """The values printed after each metadata label in ``text``, in order of appearance.

    A value is the first non-empty cell (``|``-separated) between a label and the next label,
    looking at most one line further: blocks print "文号: | 公开日期: | 2020-01-19" with empty
    values, and bylines put several labels on one line.
    """
    values: dict[str, list[str]] = {}
    text = re.sub(r"[\u3000\xa0\u2002\u2003]", " ", text)
    matches = list(_LABEL_COLON.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        lines = text[match.end():end].split("\n")[:2]
        cells = (cell.strip() for line in lines for cell in line.split("|"))
        value = next((cell for cell in cells if cell), None)
        if value and not value.startswith("【"):  # 【打印】【关闭】 chrome, not a value
            label = re.sub(r"\s+", "", match.group("label"))
            key = next(k for k, labels in LABELS.items() if label in labels)
            values.setdefault(key, []).append(value)
    return values


_CONTENT_SOURCE = re.compile(r"^ContentSource$", re.I)
_ARTICLE_TITLE = re.compile(r"^ArticleTitle$", re.I)
_HEADING_SELECTORS = ("h1", ".title", ".article-title", "h2")  # the first element each names, in this order


def _metas(page: lxml.etree._Element, name: re.Pattern[str]) -> list[lxml.etree._Element]:
    """``<meta>`` elements whose ``name`` matches, in document order."""
    return [meta for meta in page.iter("meta") if name.search(meta.get("name") or "")]


def _first_meta(page: lxml.etree._Element, name: re.Pattern[str]) -> lxml.etree._Element | None:
    return next((meta for meta in page.iter("meta") if name.search(meta.get("name") or "")), None)


_WITH_CLASS_WORD = lxml.etree.XPath("//*[contains(@class, $word)]")  # candidates: the class contains the word
_IN_TEMPLATE = lxml.etree.XPath("boolean(ancestor::template)")


def _select_one(page: lxml.etree._Element, selector: str) -> lxml.etree._Element | None:
    """The first element (document order, the root included) a ``tag`` or ``.class`` selector names,
    as a CSS selector finds it: a class is a whitespace-separated word of the class attribute, and
    the inside of a ``<template>`` is not part of the document."""
    if selector.startswith("."):
        word = selector[1:]
        found = (el for el in _WITH_CLASS_WORD(page, word=word) if word in el.get("class").split())
    else:
        found = page.iter(selector)
    return next((el for el in found if not _IN_TEMPLATE(el)), None)


def _single_string(element: lxml.etree._Element) -> str | None:
    """BeautifulSoup's ``Tag.string``: the one string inside, if the element holds exactly one
    child (a string, a comment, or an element holding one); else None."""
    contents: list[object] = [element.text] if element.text else []
    for child in element:
        contents.append(child)
        if child.tail:
            contents.append(child.tail)
    if len(contents) != 1:
        return None
    only = contents[0]
    if isinstance(only, str):
        return only
    return _single_string(only) if is_element(only) else only.text


def _title(page, link_text, block, body_text) -> tuple[str | None, str | None]:
    candidates: list[tuple[str, str]] = []
    if page is not None:
        meta = _first_meta(page, _ARTICLE_TITLE)
        if meta is not None and meta.get("content"):
            candidates.append((meta.get("content"), "meta ArticleTitle"))
        for selector in _HEADING_SELECTORS:
            node = _select_one(page, selector)
            if node is not None and text_of(node, strip=True):
                candidates.append((text_of(node, " ", strip=True), selector))
        title = next(page.iter("title"), None)
        if title is not None and (string := _single_string(title)):
            candidates.extend((part, "<title>") for part in _TITLE_SPLIT.split(string.strip()))
    candidates.extend((name, "metadata 名称") for name in block.get("name", []))
    if link_text:
        candidates.append((link_text, "link text"))
    # Extracted bodies often start with the title, sometimes after a line naming the office.
    head_lines = [line for line in body_text.splitlines() if line.strip()][:3]
    candidates.extend((line, "body heading") for line in head_lines if len(line) < 80)
    for text, where in candidates:
        text = _clean(text)
        if _REPORT_WORDS.search(text) and year_in_text(text):
            return text, where
    for text, where in candidates:
        text = _clean(text)
        if _REPORT_WORDS.search(text):
            return text, where
    return None, None


def agency_in_title(title: str | None) -> str | None:
    if not title:
        return None
    match = _AGENCY_IN_TITLE.match(re.sub(r"\s+", "", title))
    return match.group("agency") if match else None


def resolve_short_name(short: str, *fuller: str | None) -> str | None:
    """"市公安局" → "杭州市公安局" from the first of ``fuller`` (title, link text, source name) that
    ends with it, else from the first that names a place of the short name's level ("杭州市人民政府"
    → 杭州市 + 公安局); None when none does."""
    stripped = short.lstrip("本")
    for name in fuller:
        if name and name != short and name.endswith(stripped):
            return name
    level = _SHORT_LEVEL.match(stripped)
    if not level:
        return None
    for name in fuller:
        place = re.match(rf"^[\u4e00-\u9fff]{{2,12}}?{level.group(0)}", name or "")
        if place and not _SHORT_AGENCY.match(place.group(0)):
            return place.group(0) + stripped[len(level.group(0)):]
    return None


def place_government(place: str, source_name: str | None) -> tuple[str, str] | None:
    """The body a bare place name (清河县) stands for, with how it was found: the source's own name
    when it is that place's (清河县人民政府 on its own site), else the place's 人民政府 (街道: 办事处);
    None when ``place`` is not a bare place name, or is a zone whose body is a 管委会."""
    short_government = _SHORT_GOVERNMENT.match(place)
    if short_government and _PLACE.match(short_government.group(1)):
        place = short_government.group(1)
    elif not _PLACE.match(place) or re.search(f"(?:{_AGENCY_WORDS})$", place):
        return None
    if source_name and source_name != place and source_name.startswith(place):
        return source_name, "resolved from the source name"
    if _ZONE.search(place):
        return None
    suffix = "办事处" if place.endswith("街道") else "人民政府"
    return place + suffix, f"the place's {suffix}"


_SHORT_GOVERNMENT = re.compile(r"^(.+?(?:省|市|县|区|州|旗|盟|镇|乡))政府$")  # 清河县政府: the 人民政府's everyday name


def _agency(title, link_text, block, default_agency) -> tuple[str | None, str | None]:
    agency, where = _agency_named(title, link_text, block, default_agency)
    short = _SHORT_GOVERNMENT.match(agency or "")
    if short and _PLACE.match(short.group(1)):
        return short.group(1) + "人民政府", f"{where} ({agency} is its 人民政府)"
    return agency, where


def _agency_named(title, link_text, block, default_agency) -> tuple[str | None, str | None]:
    for text, where in ((title, "title"), (_clean(link_text or ""), "link text")):
        agency = agency_in_title(text)
        if agency and (government := place_government(agency, default_agency)):
            return government[0], f"{where}'s place {agency!r}: {government[1]}"
        if agency and not _SHORT_AGENCY.match(agency):
            return agency, where
    for publisher in block.get("publisher", []):
        publisher = _clean(publisher)
        if not _SHORT_AGENCY.match(publisher) and re.search(f"(?:{_AGENCY_END})$", publisher):
            return publisher, "metadata 发布机构"
        for where, fuller in (("the title", title), ("the link text", _clean(link_text or "")),
                              ("the source name", default_agency)):
            resolved = resolve_short_name(publisher, fuller)
            if resolved:
                return resolved, f"metadata 发布机构 {publisher!r} resolved from {where}"
    short = agency_in_title(title)
    if short and (resolved := resolve_short_name(short, default_agency)):
        return resolved, f"title's {short!r} resolved from the source name"
    if default_agency:
        return default_agency, "source default"
    return None, None


def _year(link_text, title, url, block, body_text) -> tuple[int | None, str | None]:
    for text, where in ((link_text, "link text"), (title, "title")):
        year = year_in_text(_clean(text or ""))
        if year:
            return year, where
    year = year_in_url(url)
    if year:
        return year, "url"
    for name in block.get("name", []):
        if year := year_in_text(_clean(name)):
            return year, "metadata 名称"
    head = body_text[:3000]
    for pattern, where in ((_STATS_PERIOD, "body (statistics period)"), (_BODY_REPORT_YEAR, "body (现将…报告)")):
        if match := pattern.search(head):
            return int(match.group(1)), where
    return None, None


_PUBDATE_META = re.compile(r"^(?:PubDate|publishdate|pubdate|firstpublishedtime|publishtime|"
                           r"article:published_time|dcterms\.issued|DC\.Date)$", re.I)


def _published(block, page, list_date, year) -> tuple[str | None, str | None]:
    """The publication date and where it came from (see the module's docstring for the order)."""
    candidates: list[tuple[str, str]] = [(value, "metadata block") for value in block.get("published", [])]
    if page is not None:
        candidates += [(meta.get("content"), f"meta {meta.get('name')}") for meta in _metas(page, _PUBDATE_META)
                       if meta.get("content")]
    candidates += [(value, "byline") for value in block.get("dated", [])]
    candidates += [(value, "metadata block 成文日期") for value in block.get("written", [])]
    listed = parse_date(list_date) if list_date else None
    if listed:
        candidates.append((listed, "listing"))
    earliest = f"{year:04d}-12-01" if year else None
    passed_over = []
    for value, where in candidates:
        date = parse_date(value)
        if date is None:
            continue
        if earliest and date < earliest:
            passed_over.append(f"{where} {date}")
            continue
        if listed and where != "listing" and listed != date:
            where += f" (the listing shows {listed})"
        if passed_over:
            where += f" (passed over, before the statistical year's end: {', '.join(passed_over)})"
        return date, where
    return None, None


def parse_date(text: str) -> str | None:
    """The first plausible date in ``text`` as YYYY-MM-DD."""
    for match in _DATE.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", to_simplified(text or "")).strip("　 ")
