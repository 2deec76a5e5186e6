"""Generic listings: any site. Item links are every anchor; pagination is what a reader would click:
下一页 / 尾页 anchors, numbered page anchors, and hrefs shaped like ``index_N.html``, ``?page=N``,
``list_N.shtml`` or ``/N.html``."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from fetching.client import PageRequest
from scrapers.base import Link, ListingPage, ListingParse

_NEXT_TEXT = re.compile(r"^(?:下一?页|下页|后页|尾页|末页|最后一?页|>|>>|»|›|next|last)$", re.I)
_PAGE_HREF = re.compile(
    r"(?:index|list|default|more)[_-]\d+\.s?html?$|[?&](?:page|pageNo|pageIndex|pn|p)=\d+|/\d{1,3}\.s?html?$",
    re.I,
)
_DATE = re.compile(r"(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#")
_TRUNCATED = re.compile(r"(?:\.{2,}|…+)\s*$")


class GenericPlatform:
    name = "generic"

    def detect(self, page: ListingPage) -> bool:
        return True

    def parse_listing(self, page: ListingPage) -> ListingParse:
        soup = BeautifulSoup(page.text, "lxml")
        return ListingParse(links=item_links(soup, page.url), next_requests=pagination_requests(soup, page.url))


def item_links(soup: BeautifulSoup, base_url: str) -> list[Link]:
    """Every anchor with text, made absolute, with the date printed beside it if any."""
    links: list[Link] = []
    seen: set[str] = set()
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"].strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        url = urljoin(base_url, href).split("#")[0]
        text = anchor.get_text(" ", strip=True)
        title = (anchor.get("title") or "").strip()
        if title and (len(title) > len(text) or not text or _TRUNCATED.search(text)):
            text = title  # CMS lists truncate the text ("…工作年...", as long as the title) and keep the full title
        if not text or url in seen:
            continue
        seen.add(url)
        links.append(Link(url=url, text=text, listing_url=base_url, list_date=_date_near(anchor)))
    return links


def is_pager(text: str, url: str) -> bool:
    """An anchor a reader clicks to page a list: 下一页 / 尾页 / a page number, or a list-page href."""
    text = text.strip()
    return bool(_NEXT_TEXT.match(text)) or (text.isdigit() and len(text) <= 4) or bool(_PAGE_HREF.search(url))


# A link with a title's worth of text is an item, whatever its URL looks like (/art/2019/1/15/12.html).
_PAGER_TEXT_MAX = 6


def is_pager_link(link: Link) -> bool:
    """A listing's link that pages it (下一页, "7", 尾页), as opposed to an item of the list."""
    return len(link.text.strip()) <= _PAGER_TEXT_MAX and is_pager(link.text, link.url)


def pagination_requests(soup: BeautifulSoup, base_url: str) -> list[PageRequest]:
    host = urlsplit(base_url).netloc
    found: list[PageRequest] = []
    seen = {base_url}
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"].strip()
        if href.lower().startswith(_SKIP_SCHEMES):
            continue
        text = anchor.get_text(strip=True)
        url = urljoin(base_url, href).split("#")[0]
        if is_pager(text, url) and urlsplit(url).netloc == host and url not in seen:
            seen.add(url)
            found.append(PageRequest(url))
    return found


# How far up from an anchor its list item may be (a > span > div > li), and how much text after it
# may hold its date before that text is another item's.
_ITEM_DEPTH = 4
_AFTER_CHARS = 80


def _date_near(anchor) -> str | None:
    """The date printed beside the anchor in its list: inside the smallest element that holds this
    link and no other (``<li><a/><span>2013-01-15</span></li>``, ``<tr><td><a/></td><td>…</td></tr>``,
    ``<div class="item">``), else in the text that follows it up to the next link (``<dt><a/></dt>
    <dd>2013-01-15</dd>``: definition lists and bare ``<a/> 2013-01-15<br>`` runs)."""
    href = anchor.get("href")
    node = anchor
    for _ in range(_ITEM_DEPTH):
        parent = node.parent
        if parent is None or parent.name in ("body", "html", "[document]"):
            break
        if any(other.get("href") != href for other in parent.find_all("a", href=True)):
            break  # the list itself: its text holds other items' dates
        node = parent
        if date := _date_in(node.get_text(" ", strip=True)):
            return date
    if node.name in ("li", "tr"):
        return None  # a whole list item without a date: the text after it is the next item's
    own = {id(text) for text in anchor.find_all(string=True)}
    following = []
    for element in anchor.next_elements:
        if getattr(element, "name", None) == "a":
            break
        if isinstance(element, str) and id(element) not in own:
            following.append(str(element))
            if sum(map(len, following)) > _AFTER_CHARS:
                break
    return _date_in(" ".join(following)[:_AFTER_CHARS + 20])


def _date_in(text: str) -> str | None:
    match = _DATE.search(text)
    if not match:
        return None
    year, month, day = match.groups()
    if not 1 <= int(month) <= 12 or not 1 <= int(day) <= 31:
        return None
    return f"{year}-{int(month):02d}-{int(day):02d}"
