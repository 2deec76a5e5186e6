"""The discovery driver: walk a source's listings through the fetcher, within a page budget.

Traps it guards against: a listing that claims 9999 pages (we only follow pages we are shown, up to
``max_pages``), a list page that repeats (same content hash or same set of links), and pages that
yield nothing new (their pagination is not followed).
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from fetching.client import Fetcher, PageRequest
from govreports.errors import FetchError, SourceFailed
from govreports.sources import Source, host_of
from scrapers.base import Link, ListingPage
from scrapers.links import LinkVerdict, classify_link
from scrapers.registry import detect_platform

log = logging.getLogger(__name__)


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


def discover(source: Source, fetcher: Fetcher, years: tuple[int, int] | None = None) -> Discovery:
    """Fetch the source's listing pages and return the candidate report links on them."""
    result = Discovery()
    hosts = source.hosts()
    queue: deque[PageRequest] = deque(PageRequest(u) for u in source.start_urls)
    queued = {r.key for r in queue}
    seen_pages: set[str] = set()  # content hashes
    seen_links: set[str] = set()
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
            log.warning("listing %s: %s", request.url, exc)
            continue
        result.listing_pages += 1
        if fetched.content_hash in seen_pages:
            continue  # the same page under another URL: a pagination loop
        seen_pages.add(fetched.content_hash)
        text = fetched.decoded.text if fetched.decoded else fetched.body.decode("utf-8", errors="replace")
        page = ListingPage(request=request, url=fetched.final_url, text=text, content_type=fetched.content_type)
        if platform is None or source.platform is None:
            platform = detect_platform(page, source.platform)
        result.platforms.add(platform.name)
        parsed = platform.parse_listing(page)
        new_links = [link for link in parsed.links if link.url not in seen_links]
        seen_links.update(link.url for link in new_links)
        result.links_seen += len(new_links)
        for link in new_links:
            _consider(link, hosts, years, result)
        if not new_links:
            continue  # nothing new here: do not follow its pager further
        for next_request in parsed.next_requests:
            if next_request.key not in queued and host_of(next_request.url) in hosts:
                queued.add(next_request.key)
                queue.append(next_request)
    if result.listing_pages == 0:
        raise SourceFailed(f"source {source.id}: no listing page could be fetched "
                           f"({', '.join(f'{k}={v}' for k, v in sorted(result.failures.items()))})")
    return result


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
