"""Guangdong gkmlpt (政府信息公开目录管理平台): catalogue pages (``/gkmlpt/index``,
``/gkmlpt/index#CAT``, ``/gkmlpt/annualreport#CAT``) are empty shells that JavaScript fills from the
JSON API ``/gkmlpt/api/all/CAT?page=N&sid=SID``; details live at ``/gkmlpt/content/A/B/post_ID.html``.

The shell's ``window._CONFIG`` carries the site id (``SID``) and the site's category tree (``TREE``:
a JSON list of ``{"id", "name", "parent", "children": [...]}`` nodes; trees differ per site, the
shape is shared). Category 0 is the whole catalogue — tens of thousands of documents on a city site
— so the adapter walks only what a reader of annual reports would open:

1. the category the start URL names in its fragment (``#2629``), which the browser never sends but
   the page's JS reads;
2. else the tree's annual-report categories, found by name at any depth (政府信息公开年报, 年度报告,
   信息公开年报, 年报 …; look-alikes such as 法治政府建设年度报告 or 年报解读 are not), with their
   sub-categories (year folders);
3. else, and only then, category 0, with the note ``gkmlpt_whole_catalogue`` that the driver counts,
   so a run says which sites were walked whole.

The API answers ``{"total": N, "articles": [{"title", "url", "display_publish_time" |
"first_publish_time" | "date"}]}``. Public crawlers of gd.gov.cn, sz.gov.cn and gz.gov.cn sites page
it with ``page=1, 2 …`` until ``page * page_size >= total``. The response does not state its page
size, so we take this page's length: a short last page then asks once more, gets no articles, and the
walk ends there. An answer that is not that JSON (an HTML error page, a ``{"code": 500}`` object) is
a ``ListingFormatError``: counted as a failure of the source, never read as an empty category.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from fetching.client import PageRequest
from core.errors import ListingFormatError
from scrapers.base import Link, ListingPage, ListingParse

_SID = re.compile(r"\bSID\s*[:=]\s*['\"]?(\d+)")
_TREE_KEY = re.compile(r"""["']?\bTREE["']?\s*[:=]\s*(?=\[)""")
_API = re.compile(r"/gkmlpt/api/all/(\d+)$")
# Category 0 is the whole catalogue: the fallback when no annual-report category can be found.
ALL_CATEGORIES = "0"
WHOLE_CATALOGUE_NOTE = "gkmlpt_whole_catalogue"
_CHINA = timezone(timedelta(hours=8))  # unix timestamps in the API are instants; dates are Beijing dates

# An annual-report category: 政府信息公开年报, 政府信息公开工作年度报告, 信息公开年报, 年度报告, 年报,
# 政务公开年报, 年报公开 … Not one that only shares the words: 法治政府建设年度报告, 统计年报, 企业年报,
# 年报解读, 部门决算.
_ANNUAL_REPORT = re.compile(r"年报|年度报告|年度報告|年報")
_NOT_ANNUAL_REPORT = re.compile(r"解读|解讀|法治|统计|統計|企业|企業|决算|決算|预算|預算|绩效|績效|财务|財務|审计|審計")
_DISCLOSURE = re.compile(r"信息公开|信息公開|政务公开|政務公開|公开年|公開年")
_NAME_KEYS = ("name", "title", "text", "label", "classify_name", "cname")
_ID_KEYS = ("id", "classify_id", "cid", "value", "key")
_PARENT_KEYS = ("parent", "parent_id", "pid", "parentId")
_CHILD_KEYS = ("children", "child", "childs", "nodes", "sub", "list")


class GkmlptPlatform:
    name = "gkmlpt"

    def detect(self, page: ListingPage) -> bool:
        path = urlsplit(page.url).path
        return "/gkmlpt/" in path and (bool(_API.search(path)) or bool(_SID.search(page.text)))

    def parse_listing(self, page: ListingPage) -> ListingParse:
        if _API.search(urlsplit(page.url).path):
            return parse_api_page(page)
        sid = _SID.search(page.text)
        if sid is None:
            return ListingParse()
        categories, notes = shell_categories(page.text, urlsplit(page.request.url).fragment)
        return ListingParse(next_requests=[api_request(page.url, c, sid.group(1), 1) for c in categories],
                            notes=notes, separate_listings=True)


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    path: tuple[str, ...]  # names from the root down to this category
    children: tuple["Category", ...]

    def walk(self) -> Iterator["Category"]:
        yield self
        for child in self.children:
            yield from child.walk()


def shell_categories(text: str, fragment: str = "") -> tuple[list[str], list[str]]:
    """The categories to walk for a shell page, and the notes for the run's counts."""
    if fragment.isdigit():
        return [fragment], []
    chosen = annual_report_categories(category_tree(text))
    if chosen:
        return [c.id for c in chosen], []
    return [ALL_CATEGORIES], [WHOLE_CATALOGUE_NOTE]


def category_tree(text: str) -> list[Category]:
    """The ``TREE`` of the shell's ``window._CONFIG``, nested; [] when the page has none we can read."""
    match = _TREE_KEY.search(text)
    if match is None:
        return []
    raw = _decode_array(text, match.end())
    if not isinstance(raw, list):
        return []
    return _nest([node for node in raw if isinstance(node, dict)])


def _decode_array(text: str, start: int) -> object:
    """The JSON array at ``start``; JS object literals (bare keys, single quotes) are tried too."""
    try:
        return json.JSONDecoder().raw_decode(text, start)[0]
    except json.JSONDecodeError:
        pass
    end = _matching_bracket(text, start)
    if end is None:
        return None
    literal = text[start:end + 1]
    literal = re.sub(r"'((?:[^'\\]|\\.)*)'", lambda m: json.dumps(m.group(1)), literal)
    literal = re.sub(r"([{,]\s*)([A-Za-z_]\w*)\s*:", r'\1"\2":', literal)
    literal = re.sub(r",\s*([}\]])", r"\1", literal)
    try:
        return json.loads(literal)
    except json.JSONDecodeError:
        return None


def _matching_bracket(text: str, start: int) -> int | None:
    depth, quote, i = 0, None, start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1  # the escaped character cannot close the string
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _field(node: dict, keys: tuple[str, ...]) -> object:
    return next((node[k] for k in keys if node.get(k) not in (None, "")), None)


def _nest(nodes: list[dict], path: tuple[str, ...] = ()) -> list[Category]:
    """Nested categories from either shape: ``children`` lists, or a flat list with ``parent`` ids."""
    has_children = any(isinstance(n.get(k), list) and n.get(k) for n in nodes for k in _CHILD_KEYS)
    if not has_children and any(_field(n, _PARENT_KEYS) not in (None, 0, "0") for n in nodes):
        return _nest_flat(nodes)
    out = []
    for node in nodes:
        ident, name = _field(node, _ID_KEYS), str(_field(node, _NAME_KEYS) or "").strip()
        if ident is None or not str(ident).isdigit():
            continue
        kids = _field(node, _CHILD_KEYS)
        children = _nest([k for k in kids if isinstance(k, dict)], path + (name,)) if isinstance(kids, list) else []
        out.append(Category(str(ident), name, path + (name,), tuple(children)))
    return out


def _nest_flat(nodes: list[dict]) -> list[Category]:
    by_parent: dict[str, list[dict]] = {}
    ids = {str(_field(n, _ID_KEYS)) for n in nodes}
    for node in nodes:
        parent = str(_field(node, _PARENT_KEYS) or "0")
        by_parent.setdefault(parent if parent in ids else "0", []).append(node)

    def build(parent: str, path: tuple[str, ...], depth: int) -> list[Category]:
        out = []
        for node in by_parent.get(parent, []) if depth < 20 else []:  # a parent cycle cannot loop
            ident, name = str(_field(node, _ID_KEYS)), str(_field(node, _NAME_KEYS) or "").strip()
            if ident.isdigit() and ident != parent:
                out.append(Category(ident, name, path + (name,), tuple(build(ident, path + (name,), depth + 1))))
        return out

    return build("0", (), 0)


def annual_report_categories(tree: list[Category]) -> list[Category]:
    """The annual-report categories of a tree, each with its sub-categories, best-named first.

    A name that says both 信息公开/政务公开 and 年报/年度报告 beats a bare 年报/年度报告; within the best
    rank every match is taken (a site may keep one per department). A category under a chosen one
    is walked as part of it (year folders), once.
    """
    matches = [(rank, c) for root in tree for c in root.walk() if (rank := _annual_rank(c.name)) is not None]
    if not matches:
        return []
    best = min(rank for rank, _ in matches)
    chosen: list[Category] = []
    taken: set[str] = set()
    for rank, category in matches:
        if rank != best or category.id in taken:
            continue
        for node in category.walk():
            if node.id not in taken:
                taken.add(node.id)
                chosen.append(node)
    return chosen


def _annual_rank(name: str) -> int | None:
    compact = re.sub(r"\s+", "", name)
    if not _ANNUAL_REPORT.search(compact) or _NOT_ANNUAL_REPORT.search(compact):
        return None
    return 0 if _DISCLOSURE.search(compact) else 1


def api_request(url: str, category: str, sid: str, page: int) -> PageRequest:
    prefix = urlsplit(url).path.split("/gkmlpt/")[0]  # sites nest gkmlpt under a department path
    return PageRequest(urljoin(url, f"{prefix}/gkmlpt/api/all/{category}?{urlencode({'page': page, 'sid': sid})}"))


def parse_api_page(page: ListingPage) -> ListingParse:
    """One API page: its articles as links, and the next page while the total says there are more.

    Raises ``ListingFormatError`` when the answer is not the catalogue's JSON.
    """
    try:
        data = json.loads(page.text)
    except json.JSONDecodeError:
        raise ListingFormatError(page.url, f"not JSON ({_preview(page.text)})") from None
    articles = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise ListingFormatError(page.url, f"JSON without an articles list ({_preview(page.text)})")
    links = [link for article in articles if (link := _article_link(article, page.url))]
    total = data.get("total")
    total = total if isinstance(total, int) and total >= 0 else None
    query = dict(parse_qsl(urlsplit(page.url).query))
    number = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 1
    claimed = math.ceil(total / len(articles)) if total is not None and articles else None
    next_requests = []
    if articles and (total is None or number * len(articles) < total):
        category = _API.search(urlsplit(page.url).path).group(1)
        next_requests.append(api_request(page.url, category, query.get("sid", ""), number + 1))
    return ListingParse(links=links, next_requests=next_requests, claimed_pages=claimed)


def _preview(text: str) -> str:
    return re.sub(r"\s+", " ", text[:80]).strip() or "empty body"


def _article_link(article: object, api_url: str) -> Link | None:
    if not isinstance(article, dict) or not article.get("url") or not article.get("title"):
        return None
    return Link(url=urljoin(api_url, str(article["url"])), text=str(article["title"]).strip(),
                listing_url=api_url, list_date=_date(article))


def _date(article: dict) -> str | None:
    """The publication date the API gives (never a report year)."""
    shown = article.get("display_publish_time")
    for value in (shown, article.get("first_publish_time"), article.get("date"), article.get("create_time")):
        if isinstance(value, (int, float)) and value > 0:
            return datetime.fromtimestamp(value, _CHINA).strftime("%Y-%m-%d")
        if isinstance(value, str) and (match := re.match(r"(\d{4})-(\d{2})-(\d{2})", value)):
            return match.group(0)
    return None
