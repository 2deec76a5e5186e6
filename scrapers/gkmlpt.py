"""Guangdong gkmlpt (政府信息公开目录管理平台): catalogue pages (``/gkmlpt/index#CAT``,
``/gkmlpt/annualreport#CAT``) are empty shells that JavaScript fills from the JSON API
``/gkmlpt/api/all/CAT?page=N&sid=SID``; details live at ``/gkmlpt/content/A/B/post_ID.html``.

The adapter turns the shell into the API request (SID from the page's ``window._CONFIG``, the
category from the URL fragment, which the browser never sends but the JS reads) and reads the JSON:
``{"total": N, "articles": [{"title", "url", "display_publish_time" | "first_publish_time" | "date"}]}``.
Public crawlers of gd.gov.cn, sz.gov.cn and gz.gov.cn sites page it with ``page=1, 2 …`` until
``page * page_size >= total``. The response does not state its page size, so we take this page's
length: a short last page then asks once more, gets no articles, and the walk ends there.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from fetching.client import PageRequest
from scrapers.base import Link, ListingPage, ListingParse

_SID = re.compile(r"\bSID\s*[:=]\s*['\"]?(\d+)")
_API = re.compile(r"/gkmlpt/api/all/(\d+)$")
# Category 0 is the whole catalogue: the fallback when the start URL names no category.
ALL_CATEGORIES = "0"
_CHINA = timezone(timedelta(hours=8))  # unix timestamps in the API are instants; dates are Beijing dates


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
        category = urlsplit(page.request.url).fragment or ALL_CATEGORIES
        if not category.isdigit():
            category = ALL_CATEGORIES
        return ListingParse(next_requests=[api_request(page.url, category, sid.group(1), 1)])


def api_request(url: str, category: str, sid: str, page: int) -> PageRequest:
    prefix = urlsplit(url).path.split("/gkmlpt/")[0]  # sites nest gkmlpt under a department path
    return PageRequest(urljoin(url, f"{prefix}/gkmlpt/api/all/{category}?{urlencode({'page': page, 'sid': sid})}"))


def parse_api_page(page: ListingPage) -> ListingParse:
    try:
        data = json.loads(page.text)
    except json.JSONDecodeError:
        return ListingParse()  # an error page instead of JSON: nothing here, nothing further
    articles = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        return ListingParse()
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
