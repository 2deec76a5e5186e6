"""TRS WCM (拓尔思): lists ``index.html``, ``index_1.html`` … whose later pages are linked only from a
script — ``createPageHTML(countPage, currentPage, "index", "html")`` or ``var countPage = N`` /
``var currentPage = M`` — with details at ``./YYYYMM/tYYYYMMDD_ID.htm[l]``.

Two traps live here (reference pages: the Yuanzhou list claims 120 pages, the Shanxi detail page
calls ``createPageHTML(1,0,"t20190918_693227","shtml")``):

- the claimed page count is not trusted: we ask only for the *next* page, so the driver walks the
  list one page at a time and stops at the first page that brings nothing new (a 9999-page claim
  costs as many requests as there are real pages, never 9999);
- a detail page's own article pager (page name ``tYYYYMMDD_ID``) pages one article, not a list.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from fetching.client import PageRequest
from scrapers.base import ListingPage, ListingParse
from scrapers.generic import item_links, pagination_requests

# The call, not the definition: the definition's arguments are names, the call's are literals.
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']\s*\)")
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
_CURRENT_PAGE = re.compile(r"var\s+currentPage\s*=\s*(\d+)")
DETAIL_URL = re.compile(r"/\d{6}/t\d{8}_\d+(?:_\d+)?\.s?html?$", re.I)
_ARTICLE_PAGE_NAME = re.compile(r"^t\d{8}_\d+$")
_LIST_PAGE = re.compile(r"(?P<name>[^/]+?)(?:_(?P<index>\d+))?\.(?P<ext>s?html?)$", re.I)


class TrsPlatform:
    name = "trs"

    def detect(self, page: ListingPage) -> bool:
        return bool(_CREATE_PAGE.search(page.text) or _COUNT_PAGE.search(page.text)
                    or re.search(r"href=[\"']\./\d{6}/t\d{8}_\d+\.s?html?", page.text, re.I))

    def parse_listing(self, page: ListingPage) -> ListingParse:
        soup = BeautifulSoup(page.text, "lxml")
        links = item_links(soup, page.url)
        if DETAIL_URL.search(urlsplit(page.url).path):
            return ListingParse(links=links)  # a detail page: whatever pager it has pages the article
        pager = script_pager(page.text, page.url)
        if pager is None:
            return ListingParse(links=links, next_requests=pagination_requests(soup, page.url))
        count, current, name, ext = pager
        next_requests = []
        if current + 1 < count:
            next_requests.append(PageRequest(urljoin(page.url, f"{name}_{current + 1}.{ext}")))
        return ListingParse(links=links, next_requests=next_requests, claimed_pages=count)


def script_pager(text: str, url: str) -> tuple[int, int, str, str] | None:
    """(count, current, page name, extension) of a list pager script, or None.

    None too for an article pager (page name ``tYYYYMMDD_ID``): it is not a list.
    """
    call = _CREATE_PAGE.search(text)
    if call:
        count, current, name, ext = int(call.group(1)), int(call.group(2)), call.group(3), call.group(4)
    else:
        count_match = _COUNT_PAGE.search(text)
        if not count_match:
            return None
        current_match = _CURRENT_PAGE.search(text)
        name, ext = _page_name(url)
        count, current = int(count_match.group(1)), int(current_match.group(1)) if current_match else 0
    if _ARTICLE_PAGE_NAME.match(name):
        return None
    return count, current, name, ext


def _page_name(url: str) -> tuple[str, str]:
    """The pager's base name and extension from the list URL (``…/index_2.shtml`` → index, shtml)."""
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    match = _LIST_PAGE.match(last)
    if not match:
        return "index", "html"  # a column URL ending in "/" serves index.html
    return match.group("name"), match.group("ext")
