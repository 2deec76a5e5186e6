"""Hanweb 大汉 jcms: ``/col/colNNN/index.html`` lists whose items sit inside
``<script type="text/xml"><datastore><recordset><record><![CDATA[<li>…</li>]]></record>`` — invisible
to a plain anchor scan — with details at ``/art/YYYY/M/D/art_COL_ID.html``."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup

from scrapers.base import ListingPage, ListingParse
from scrapers.generic import item_links, pagination_requests

_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)


class HanwebPlatform:
    name = "hanweb"

    def detect(self, page: ListingPage) -> bool:
        return "<datastore>" in page.text.lower() or "/module/web/jpage/" in page.text

    def parse_listing(self, page: ListingPage) -> ListingParse:
        records = [record for store in _DATASTORE.findall(page.text) for record in _RECORD.findall(store)]
        links = item_links(BeautifulSoup("\n".join(records), "lxml"), page.url)
        outside = BeautifulSoup(_DATASTORE.sub("", page.text), "lxml")
        return ListingParse(links=links + item_links(outside, page.url),
                            next_requests=pagination_requests(outside, page.url))
