"""Body text of an HTML page: trafilatura first, BeautifulSoup when it returns nothing useful.

We wrap trafilatura in our own result type because it answers ``None`` on any failure; here an
empty result is an ``ExtractionError`` (see STYLE.md §8). The main-content HTML is returned too,
because the statistics tables are parsed from markup, not from flattened text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import lxml.etree
import lxml.html
import trafilatura
from bs4 import BeautifulSoup, Comment

from core.html import html_tree
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


@dataclass(frozen=True)
class Extracted:
    text: str  # body text in the page's own script
    content_html: str  # the main-content region (the whole <body> when no region is recognised)
    method: str  # "trafilatura" | "bs4"


def extract_html(html: str, url: str | None = None) -> Extracted:
    content_html = main_content_html(html)
    text = trafilatura.extract(
        html, url=url, output_format="txt", include_tables=True, include_comments=False,
        favor_recall=True, deduplicate=False,
    )
    if text and len(text.strip()) >= MIN_BODY_CHARS:
        return Extracted(_tidy(text), content_html, "trafilatura")
    text = _soup_text(content_html)
    if len(text) < MIN_BODY_CHARS // 4:
        raise ExtractionError(f"no body text in {url or 'document'} ({len(text)} characters)")
    return Extracted(text, content_html, "bs4")


def main_content_html(html: str) -> str:
    """The main-content region of a page, by CMS markers; the whole body when none is found."""
    marked = _CONTENT_MARKERS.search(html)
    if marked and marked.group(1).strip():
        return marked.group(1)
    # lxml directly, not BeautifulSoup + CSS selectors: this runs on every page and the soupsieve
    # walk cost more than trafilatura itself (bench/extraction.py)
    root = html_tree(html)
    if root is None:
        return html  # nothing an HTML parser can read: hand the page on whole
    for query in _content_xpaths():
        found = query(root)
        if found and len("".join(found[0].text_content().split())) >= MIN_BODY_CHARS:
            return lxml.html.tostring(found[0], encoding="unicode")
    body = root.find("body")
    return lxml.html.tostring(body if body is not None else root, encoding="unicode")


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
