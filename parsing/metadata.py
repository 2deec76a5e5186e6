"""Metadata of a report page: title, agency, statistical year, publication date, 索引号/发布机构/文号.

Pure functions over already-decoded, already-simplified strings. Every value carries the evidence
it came from (``*_from``), so a user can see why a report got its agency and year.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup

from core.html import html_tree
from normalization import to_simplified
from core.years import year_in_text, year_in_url

# Label synonyms of the metadata block (DOMAIN.md). Labels are often padded: "索 引 号".
LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号",),
    "publisher": ("发布机构", "发文机关", "发布单位", "信息来源", "来源"),
    "published": ("公开日期", "发布日期", "发文日期", "发布时间", "成文日期", "时间"),
    "doc_no": ("文号", "发文字号"),
    "topic": ("主题分类", "组配分类"),
    "name": ("名称", "标题"),
}
_ALL_LABELS = sorted({label for labels in LABELS.values() for label in labels}, key=len, reverse=True)
_LABEL_ALT = "|".join(r"\s*".join(map(re.escape, label)) for label in _ALL_LABELS)
_LABEL_COLON = re.compile(rf"(?P<label>{_LABEL_ALT})\s*[:：]")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_REPORT_WORDS = re.compile(r"信息公开|年报|年度报告|工作报告")
# Agencies end in one of these (a non-exhaustive list of the suffixes of Chinese administrative bodies).
_AGENCY_END = (
    "人民政府办公厅|人民政府办公室|人民政府|委员会|办公厅|办公室|管理局|监督局|公安局|公安厅|局|厅|委|办|署|院|会|"
    "中心|政府|馆|社|所|站|队|部|处|行|关|区|县|市|镇|乡|街道"
)
_AGENCY_IN_TITLE = re.compile(
    rf"^(?:关于)?(?:(?:19|20)\d{{2}}\s*年度?)?(?P<agency>[\u4e00-\u9fff（）()]{{2,40}}?(?:{_AGENCY_END}))"
    rf"(?:(?:19|20)\d{{2}}\s*年度?)?(?:的)?(?:政府|政务)?信息公开"
)
_SHORT_AGENCY = re.compile(r"^(?:市|省|区|县|州|自治区|本)")
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
) -> Metadata:
    """Everything but the body: inputs may be traditional script, outputs are simplified."""
    soup = BeautifulSoup(html, "lxml") if html else None
    block = label_values(flatten_for_labels(html) if html else body_text)
    if not block and soup is not None:
        block = label_values(body_text)
    title, title_from = _title(soup, link_text, block, body_text)
    agency, agency_from = _agency(title, link_text, block, default_agency)
    year, year_from = _year(link_text, title, url, block, body_text)
    published, published_from = _published(block, soup, list_date)
    return Metadata(
        title=title, title_from=title_from, agency=agency, agency_from=agency_from, year=year,
        year_from=year_from, published=published, published_from=published_from,
        index_no=_first(block, "index_no"), publisher=_first(block, "publisher"), doc_no=_first(block, "doc_no"),
    )


_CELL_TAGS = frozenset({"td", "th", "dt", "dd", "span", "label", "em", "b", "strong"})
_ROW_TAGS = frozenset({"tr", "li", "p", "div", "br", "h1", "h2", "h3", "ul", "table"})


def flatten_for_labels(html: str) -> str:
    """Visible text with ``|`` after each cell and a newline after each row, for label matching."""
    root = html_tree(html)
    if root is None:
        return ""
    for hidden in root.xpath("//script|//style|//noscript"):
        hidden.drop_tree()
    for element in root.iter():
        separator = " | " if element.tag in _CELL_TAGS else "\n" if element.tag in _ROW_TAGS else None
        if separator:
            element.tail = separator + (element.tail or "")
    return to_simplified(root.text_content())


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


def _title(soup, link_text, block, body_text) -> tuple[str | None, str | None]:
    candidates: list[tuple[str, str]] = []
    if soup is not None:
        meta = soup.find("meta", attrs={"name": re.compile(r"^ArticleTitle$", re.I)})
        if meta and meta.get("content"):
            candidates.append((meta["content"], "meta ArticleTitle"))
        for selector in ("h1", ".title", ".article-title", "h2"):
            node = soup.select_one(selector)
            if node and node.get_text(strip=True):
                candidates.append((node.get_text(" ", strip=True), selector))
        if soup.title and soup.title.string:
            candidates.extend((part, "<title>") for part in _TITLE_SPLIT.split(soup.title.string.strip()))
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


def _agency(title, link_text, block, default_agency) -> tuple[str | None, str | None]:
    for text, where in ((title, "title"), (_clean(link_text or ""), "link text")):
        agency = agency_in_title(text)
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


def _published(block, soup, list_date) -> tuple[str | None, str | None]:
    for value in block.get("published", []):
        if date := parse_date(value):
            return date, "metadata block"
    if soup is not None:
        meta = soup.find("meta", attrs={"name": re.compile(r"^(PubDate|publishdate|pubdate)$", re.I)})
        if meta and meta.get("content") and (date := parse_date(meta["content"])):
            return date, "meta PubDate"
    if list_date and (date := parse_date(list_date)):
        return date, "listing"
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
