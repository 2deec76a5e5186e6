"""The discovery driver: walk a source's listings through the fetcher, within a page budget.

Traps it guards against: a listing that claims 9999 pages (adapters hand over only the *next*
page of a script pager, so the walk costs as many requests as there are pages with new links, and
never more than ``max_pages``), a list page that repeats (same content hash or same set of links),
pages that yield nothing new (their pagination is not followed), and a run of such pages
(``EMPTY_PAGES_STOP`` paginated pages in a row with nothing new end the walk: a site that answers
every ``?page=N`` with the same list would otherwise spend the whole budget).
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from fetching.client import Fetcher, PageRequest
from core.errors import FetchError, SiteRefused
from core.sources import Source
from core.urls import host_of
from scrapers.base import Link, ListingPage
from scrapers.links import LinkVerdict, classify_link
from scrapers.registry import detect_platform

log = logging.getLogger(__name__)

# Three pages in a row with nothing new: two could be a short gap in a list (a page of only
# already-seen re-posts), three has not happened on a real list we have seen; it is a loop.
EMPTY_PAGES_STOP = 3


@dataclass(frozen=True)
class Candidate:
    """A link worth fetching as a possible report."""

    url: str
    link_text: str
    listing_url: str
    list_date: str | None
    year: int | None  # from the link text or URL; None when only the document can tell
    confident: bool


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    listing_pages: int = 0
    links_seen: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    failures: dict[str, int] = field(default_factory=dict)  # outcome class -> count
    platforms: set[str] = field(default_factory=set)
    stop_reason: str = "exhausted"
    claimed_pages: int | None = None  # the largest page count a listing claimed (may be absurd: 9999)
    first_errors: list[str] = field(default_factory=list)  # a few failure messages, for a clear report


def discover(source: Source, fetcher: Fetcher, years: tuple[int, int] | None = None) -> Discovery:
    """Fetch the source's listing pages and return the candidate report links on them."""
    result = Discovery()
    hosts = source.hosts()
    queue: deque[PageRequest] = deque(PageRequest(u) for u in source.start_urls)
    queued = {r.key for r in queue}
    seen_pages: set[str] = set()  # content hashes
    seen_links: set[str] = set()
    starts = set(queued)
    empty_in_a_row = 0
    platform = None
    while queue:
        if result.listing_pages >= source.max_pages:
            result.stop_reason = f"max_pages ({source.max_pages}) reached"
            break
        request = queue.popleft()
        try:
            fetched = fetcher.fetch(request, source_id=source.id, purpose="listing", allowed_hosts=hosts,
                                    delay=source.delay)
        except FetchError as exc:
            result.failures[exc.outcome] = result.failures.get(exc.outcome, 0) + 1
            if len(result.first_errors) < 3:
                result.first_errors.append(str(exc))
            log.warning("listing %s: %s", request.url, exc)
            continue
        result.listing_pages += 1
        new_links = []
        if fetched.content_hash not in seen_pages:  # else: the same page under another URL, a loop
            seen_pages.add(fetched.content_hash)
            text = fetched.decoded.text if fetched.decoded else fetched.body.decode("utf-8", errors="replace")
            page = ListingPage(request=request, url=fetched.final_url, text=text, content_type=fetched.content_type)
            if platform is None or source.platform is None:
                platform = detect_platform(page, source.platform)
            result.platforms.add(platform.name)
            parsed = platform.parse_listing(page)
            if parsed.claimed_pages is not None:
                result.claimed_pages = max(result.claimed_pages or 0, parsed.claimed_pages)
            new_links = [link for link in parsed.links if link.url not in seen_links]
            seen_links.update(link.url for link in new_links)
            result.links_seen += len(new_links)
            for link in new_links:
                _consider(link, hosts, years, result)
            if new_links or request.key in starts:
                _enqueue(parsed.next_requests, queue, queued, hosts)
        if request.key in starts:
            continue
        empty_in_a_row = 0 if new_links else empty_in_a_row + 1
        if empty_in_a_row >= EMPTY_PAGES_STOP:
            result.stop_reason = f"{EMPTY_PAGES_STOP} listing pages in a row brought no new links"
            break
    if result.listing_pages == 0:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(result.failures.items()))
        more = sum(result.failures.values()) > len(result.first_errors)  # the counts say more than the examples
        raise SiteRefused(f"source {source.id}: no listing page could be fetched: " + "; ".join(result.first_errors)
                          + (f" (in all: {counts})" if more else ""), result.failures)
    return result


def _enqueue(requests: list[PageRequest], queue: deque[PageRequest], queued: set[str],
             hosts: frozenset[str]) -> None:
    for next_request in requests:
        if next_request.key not in queued and host_of(next_request.url) in hosts:
            queued.add(next_request.key)
            queue.append(next_request)


def _consider(link: Link, hosts: frozenset[str], years: tuple[int, int] | None, result: Discovery) -> None:
    verdict: LinkVerdict = classify_link(link.text, link.url)
    if not verdict.is_candidate:
        result.rejected[verdict.reason] = result.rejected.get(verdict.reason, 0) + 1
        return
    if host_of(link.url) not in hosts:
        result.rejected["off-host link"] = result.rejected.get("off-host link", 0) + 1
        return
    if years and verdict.year is not None and not years[0] <= verdict.year <= years[1]:
        result.rejected["outside --years"] = result.rejected.get("outside --years", 0) + 1
        return
    result.candidates.append(Candidate(link.url, link.text, link.listing_url, link.list_date, verdict.year,
                                       verdict.confident))
