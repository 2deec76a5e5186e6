"""Body text of an HTML page: trafilatura first, BeautifulSoup when it returns nothing useful.

We wrap trafilatura in our own result type because it answers ``None`` on any failure; here an
empty result is an ``ExtractionError`` (see STYLE.md §8). The main-content HTML is returned too,
because the statistics tables are parsed from markup, not from flattened text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura
from bs4 import BeautifulSoup, Comment

from govreports.errors import ExtractionError
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
    soup = BeautifulSoup(html, "lxml")
    for selector in CONTENT_SELECTORS:
        node = soup.select_one(selector)
        if node is not None and len(node.get_text(strip=True)) >= MIN_BODY_CHARS:
            return str(node)
    body = soup.body or soup
    return str(body)


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
