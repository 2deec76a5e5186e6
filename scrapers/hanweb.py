"""Hanweb 大汉 jcms: ``/col/colNNN/index.html`` lists whose items sit inside
``<script type="text/xml"><datastore><recordset><record><![CDATA[<li>…</li>]]></record>`` — invisible
to a plain anchor scan — with details at ``/art/YYYY/M/D/art_COL_ID.html``.

A column page carries only its first records; the rest come from ``/module/web/jpage/dataproxy.jsp``,
a POST whose query names the record window (``startrecord``, ``endrecord``, ``perpage``) and whose
form names the column (``columnid``, ``unitid``, ``webid`` …), both read from the page's
``jpage({...})`` script. The proxy answers with a bare ``<datastore>`` holding the next records
and ``<totalrecord>``. Public crawlers of Jiangsu/Zhejiang jcms sites post exactly these fields.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from bs4 import BeautifulSoup

from fetching.client import PageRequest
from scrapers.base import ListingPage, ListingParse
from scrapers.generic import item_links, pagination_requests

PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*:\s*['\"]?(\d+)", re.I)
_PER_PAGE = re.compile(r"perPage\s*:\s*['\"]?(\d+)", re.I)
_GROUP_SIZE = re.compile(r"groupSize\s*:\s*['\"]?(\d+)", re.I)
_AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{(.*?)\}", re.S | re.I)
_PARAM = re.compile(r"(\w+)\s*:\s*(?:'([^']*)'|\"([^\"]*)\"|([\w./-]+))")
# The column an item proxy request needs at the least; without them the proxy answers nothing.
_REQUIRED_FORM = ("columnid", "unitid")
DEFAULT_PER_PAGE = 15  # jpage's default when a page does not say
DEFAULT_GROUP_SIZE = 3  # jpage fetches groupSize pages of records per proxy request


class HanwebPlatform:
    name = "hanweb"

    def detect(self, page: ListingPage) -> bool:
        return ("<datastore>" in page.text.lower() or "/module/web/jpage/" in page.text
                or PROXY_PATH in urlsplit(page.url).path)

    def parse_listing(self, page: ListingPage) -> ListingParse:
        records = [record for store in _DATASTORE.findall(page.text) for record in _RECORD.findall(store)]
        links = item_links(BeautifulSoup("\n".join(records), "lxml"), page.url)
        if PROXY_PATH in urlsplit(page.url).path:
            return ListingParse(links=links, next_requests=_next_window(page, len(records)))
        outside = BeautifulSoup(_DATASTORE.sub("", page.text), "lxml")
        next_requests = pagination_requests(outside, page.url)
        first_window = proxy_request(page.text, page.url, already=len(records))
        if first_window is not None:
            next_requests.insert(0, first_window)
        return ListingParse(links=links + item_links(outside, page.url), next_requests=next_requests,
                            claimed_pages=_claimed_pages(page.text))


def proxy_request(text: str, url: str, already: int) -> PageRequest | None:
    """The dataproxy POST for the records after the ``already`` ones a column page shows, or None
    when the page has no jpage script, names no column, or shows every record already."""
    param_block = _AJAX_PARAM.search(text)
    if not param_block:
        return None
    form = tuple((m.group(1), next(g for g in m.groups()[1:] if g is not None))
                 for m in _PARAM.finditer(param_block.group(1)))
    if not all(any(k == key for k, _ in form) for key in _REQUIRED_FORM):
        return None
    total = _int(_TOTAL_RECORD, text)
    if total is not None and already >= total:
        return None
    per_page = _int(_PER_PAGE, text) or DEFAULT_PER_PAGE
    window = per_page * (_int(_GROUP_SIZE, text) or DEFAULT_GROUP_SIZE)
    return _window_request(url, already + 1, already + window, per_page, form)


def _next_window(page: ListingPage, records: int) -> list[PageRequest]:
    """After a proxy answer: the following window, while records keep coming and the total allows."""
    query = dict(parse_qsl(urlsplit(page.request.url).query))
    try:
        start, end, per_page = int(query["startrecord"]), int(query["endrecord"]), int(query["perpage"])
    except (KeyError, ValueError):
        return []
    total = _int(_TOTAL_RECORD, page.text)
    if records == 0 or (total is not None and end >= total):
        return []
    size = end - start + 1
    return [_window_request(page.request.url, end + 1, end + size, per_page, page.request.form or ())]


def _window_request(url: str, start: int, end: int, per_page: int, form: tuple[tuple[str, str], ...]) -> PageRequest:
    query = urlencode({"startrecord": start, "endrecord": end, "perpage": per_page})
    return PageRequest(urljoin(url, f"{PROXY_PATH}?{query}"), method="POST", form=tuple(form))


def _claimed_pages(text: str) -> int | None:
    total = _int(_TOTAL_RECORD, text)
    per_page = _int(_PER_PAGE, text) or DEFAULT_PER_PAGE
    return None if total is None else -(-total // per_page)


def _int(pattern: re.Pattern, text: str) -> int | None:
    match = pattern.search(text)
    if not match:
        return None
    return int(next(g for g in match.groups() if g is not None))
