"""Body text of an HTML page: trafilatura first, BeautifulSoup when it returns nothing useful.

We wrap trafilatura in our own result type because it answers ``None`` on any failure; here an
empty result is an ``ExtractionError`` (see STYLE.md §8). The main-content HTML is returned too,
because the statistics tables are parsed from markup, not from flattened text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import lxml.etree
import lxml.html
import trafilatura
from bs4 import BeautifulSoup, Comment

from core.html import html_tree, inside_unseen_text
from core.errors import ExtractionError
from normalization.chrome import strip_chrome

# Body containers of the CMS families we know (DOMAIN.md): TRS (.TRS_Editor, #zoom), Hanweb
# (#zoom, .bt_content, #barrierfree_container .article), gkmlpt (.article-content), generic ones.
CONTENT_SELECTORS = (
    ".TRS_Editor", "#zoom", ".zoom", "#UCAP-CONTENT", ".bt_content", ".article-content", ".article_con",
    "#Zoom", ".pages_content", ".view", "#content", ".content", "article",
)
# A trafilatura result shorter than this is treated as a miss: the shortest real report body in the
# seeds is ~8,000 characters, while navigation-only output is usually a few dozen.
MIN_BODY_CHARS = 200
_CONTENT_MARKERS = re.compile(r"<!--\s*ContentStart\s*-->(.*?)<!--\s*ContentEnd\s*-->", re.S | re.I)
_MARKER = re.compile(r"<!--\s*Content(Start|End)\s*-->", re.I)
_MARKER_COMMENT = re.compile(r"\s*Content(Start|End)\s*", re.I)
TRAFILATURA_OPTIONS = dict(output_format="txt", include_tables=True, include_comments=False, favor_recall=True,
                           deduplicate=False)


@dataclass(frozen=True)
class Extracted:
    text: str  # body text in the page's own script
    content_html: str  # the main-content region (the whole <body> when no region is recognised)
    method: str  # "trafilatura" | "bs4" | "stub" (next to no text, on a page with attachments)
    # The region in the page's parsed tree (the elements ``content_html`` holds), so that its tables
    # are read without parsing it again; None when the region is only known as markup.
    content_nodes: tuple[lxml.etree._Element, ...] | None = field(default=None, compare=False, repr=False)


def extract_html(html: str, url: str | None = None, tree: lxml.etree._Element | None = None,
                 stub_ok: bool = False) -> Extracted:
    """The page's body text and main-content region. ``tree``: ``html`` already parsed
    (``core.html.html_tree``), shared with the stages after this one; it is read, never changed.

    Next to no body text raises ``ExtractionError``, unless ``stub_ok`` (a page with attachments:
    its title, metadata and a 附件 link may be all it has): then the region's visible text, however
    short, comes back as method "stub"."""
    content_html, nodes = main_content(html, tree)
    # trafilatura parses the markup itself. Handing it the page's tree instead was measured
    # (bench/extraction.py's pages): it copies any tree it is given, and ours would need a copy
    # without comments first, as its parser drops them; two copies cost what its parse costs.
    text = trafilatura.extract(html, url=url, **TRAFILATURA_OPTIONS)
    if text and len(text.strip()) >= MIN_BODY_CHARS:
        return Extracted(_tidy(text), content_html, "trafilatura", nodes)
    text = _soup_text(content_html)
    if len(text) < MIN_BODY_CHARS // 4:
        if stub_ok:
            return Extracted(text, content_html, "stub", nodes)
        raise ExtractionError(f"no body text in {url or 'document'} ({len(text)} characters)")
    return Extracted(text, content_html, "bs4", nodes)


def main_content(html: str, tree: lxml.etree._Element | None = None
                 ) -> tuple[str, tuple[lxml.etree._Element, ...] | None]:
    """The main-content region of a page, by CMS markers; the whole body when none is found. As
    markup, and as nodes of ``tree`` (``html`` parsed) when they are known to be the same content
    (None when not)."""
    marked = _CONTENT_MARKERS.search(html)
    if marked and marked.group(1).strip():
        return marked.group(1), _marked_nodes(html, tree)
    # lxml directly, not BeautifulSoup + CSS selectors: this runs on every page and the soupsieve
    # walk cost more than trafilatura itself (bench/extraction.py)
    root = tree if tree is not None else html_tree(html)
    if root is None:
        return html, None  # nothing an HTML parser can read: hand the page on whole
    for query in _content_xpaths():
        found = query(root)
        if found and len("".join(found[0].text_content().split())) >= MIN_BODY_CHARS:
            return lxml.html.tostring(found[0], encoding="unicode"), _as_parsed(found[0])
    body = root.find("body")
    region = body if body is not None else root
    return lxml.html.tostring(region, encoding="unicode"), _as_parsed(region)


def _as_parsed(region: lxml.etree._Element) -> tuple[lxml.etree._Element, ...] | None:
    """The region's element as the parse of its markup, unless where it sits changes how it reads
    (inside a template or a script, its markup on its own reads as text where the tree's does not)."""
    return None if inside_unseen_text(region) else (region,)


def _marked_nodes(html: str, tree: lxml.etree._Element | None) -> tuple[lxml.etree._Element, ...] | None:
    """The nodes between the ContentStart and ContentEnd comments of ``tree``, when the markup has
    one marker of each and the tree holds them as two comments of one parent: then the markup
    between them is those nodes. Anything else (markers in a script, twice, across elements): None."""
    if tree is None or [m.group(1).lower() for m in _MARKER.finditer(html)] != ["start", "end"]:
        return None
    markers = [comment for comment in tree.iter(lxml.etree.Comment)
               if _MARKER_COMMENT.fullmatch(comment.text or "")]
    if len(markers) != 2:
        return None
    start, end = markers
    parent = start.getparent()
    if (_MARKER_COMMENT.fullmatch(start.text).group(1).lower() != "start" or parent is None
            or end.getparent() is not parent or parent.tag in ("template", "rt", "rp") or inside_unseen_text(parent)):
        return None
    nodes = []
    for node in start.itersiblings():
        if node is end:
            return tuple(nodes)
        nodes.append(node)
    return None


def _selector_xpath(selector: str) -> str:
    """The first element matching ``.class``, ``#id`` or ``tag``, as XPath."""
    if selector.startswith("."):
        return f"(//*[contains(concat(' ', normalize-space(@class), ' '), ' {selector[1:]} ')])[1]"
    if selector.startswith("#"):
        return f"(//*[@id='{selector[1:]}'])[1]"
    return f"(//{selector})[1]"


@lru_cache(maxsize=1)
def _content_xpaths() -> tuple[lxml.etree.XPath, ...]:
    return tuple(lxml.etree.XPath(_selector_xpath(selector)) for selector in CONTENT_SELECTORS)


def _soup_text(content_html: str) -> str:
    soup = BeautifulSoup(content_html, "lxml")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "form"]):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table"]):
        block.insert_after("\n")
    return _tidy(soup.get_text())


def _tidy(text: str) -> str:
    """Whitespace folded per line, empty lines and site chrome (menus, 【打印】, footers) dropped."""
    lines = (re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in text.splitlines())
    return strip_chrome("\n".join(line for line in lines if line))
