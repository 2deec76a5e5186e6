"""The discovery driver: walk a source's listings through the fetcher, within a page budget.

A source's start URLs each begin a *listing*; the pages an adapter says follow a page (pagination,
API pages, proxy windows) continue that page's listing, except where the adapter says each starts
a listing of its own (``ListingParse.separate_listings``: gkmlpt's categories).

Traps it guards against:
- a listing that claims 9999 pages: adapters hand over only the *next* page of a script pager, so
  the walk costs as many requests as there are pages with new items, never more than ``max_pages``;
- a listing whose further pages repeat items already seen (a 共9999页 list answering every page with
  the same items, under a pager whose own links are new on every page): **a page whose items were
  seen before in its listing ends that listing**. Items are the page's links that are not pagination
  (pager anchors such as "7" or 下一页 and the requests the adapter queued are new on every page of
  such a trap, and must not count as progress); the listing's queued pages are dropped unfetched.
  "Before in its listing": a gkmlpt category whose page 2 repeats what its year folder showed is
  not a trap;
- a list page that repeats under another URL (same content hash): it ends its listing too.

A listing page that arrives but cannot be read (``ListingFormatError``: an API answering HTML) is a
counted failure; a source whose walk read no listing item at all and had failures fails as a whole
(``SourceFailed``) instead of looking like an empty column.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from fetching.client import Fetcher, PageRequest
from core.errors import FetchError, ListingFormatError, SiteRefused, SourceFailed
from core.sources import Source
from core.urls import host_of
from scrapers.base import Link, ListingPage, ListingParse
from scrapers.generic import is_pager_link
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
    claimed_pages: int | None = None  # the largest page count a listing claimed (may be absurd: 9999)
    first_errors: list[str] = field(default_factory=list)  # a few failure messages, for a clear report
    notes: dict[str, int] = field(default_factory=dict)  # what adapters said the counts must show (fallbacks)
    listings_ended_repeating: int = 0  # listings ended by a page that brought no new item


@dataclass
class _Walk:
    """The state of one source's walk: the queue of (request, listing id) and what was seen."""

    queue: deque[tuple[PageRequest, int]]
    queued: set[str]
    starts: frozenset[str]
    seen_pages: set[str] = field(default_factory=set)  # content hashes
    seen_links: set[str] = field(default_factory=set)
    items: dict[int, set[str]] = field(default_factory=dict)  # listing -> the item URLs its pages showed
    ended: set[int] = field(default_factory=set)  # listings that ended: their queued pages are dropped
    unreadable: set[str] = field(default_factory=set)  # content hashes that raised ListingFormatError
    listings: int = 0


def discover(source: Source, fetcher: Fetcher, years: tuple[int, int] | None = None) -> Discovery:
    """Fetch the source's listing pages and return the candidate report links on them."""
    result = Discovery()
    hosts = source.hosts()
    starts = [PageRequest(u) for u in source.start_urls]
    walk = _Walk(deque((r, i) for i, r in enumerate(starts)), {r.key for r in starts}, frozenset(r.key for r in starts),
                 listings=len(starts))
    platform = None
    while walk.queue:
        request, listing = walk.queue.popleft()
        if listing in walk.ended:
            continue
        if result.listing_pages >= source.max_pages:
            result.stop_reason = f"max_pages ({source.max_pages}) reached"
            break
        try:
            fetched = fetcher.fetch(request, source_id=source.id, purpose="listing", allowed_hosts=hosts,
                                    delay=source.delay)
        except FetchError as exc:
            _failed(result, exc.outcome, str(exc))
            log.warning("listing %s: %s", request.url, exc)
            continue
        result.listing_pages += 1
        parsed = None
        if fetched.content_hash in walk.unreadable:  # the same error page again, for another listing
            _failed(result, ListingFormatError.outcome, f"{ListingFormatError.outcome}: {request.url} (as before)")
            continue
        if fetched.content_hash not in walk.seen_pages:  # else: the same page under another URL, a loop
            walk.seen_pages.add(fetched.content_hash)
            text = fetched.decoded.text if fetched.decoded else fetched.body.decode("utf-8", errors="replace")
            page = ListingPage(request=request, url=fetched.final_url, text=text, content_type=fetched.content_type)
            if platform is None or source.platform is None:
                platform = detect_platform(page, source.platform)
            result.platforms.add(platform.name)
            try:
                parsed = platform.parse_listing(page)
            except ListingFormatError as exc:
                walk.unreadable.add(fetched.content_hash)
                _failed(result, exc.outcome, str(exc))
                log.warning("listing %s: %s", request.url, exc)
                continue
        new_items = _read(parsed, listing, walk, hosts, years, result) if parsed is not None else []
        if request.key in walk.starts or new_items:
            _enqueue(parsed.next_requests if parsed else [], listing, parsed is not None and parsed.separate_listings,
                     walk, hosts)
        else:
            walk.ended.add(listing)
            result.listings_ended_repeating += 1
            result.stop_reason = f"listing ended at {request.url} (no new item)"
    if result.listing_pages == 0:
        raise SiteRefused(f"source {source.id}: no listing page could be fetched ({_counts(result.failures)}): "
                          + "; ".join(result.first_errors), result.failures)
    if result.links_seen == 0 and result.failures:
        # listing pages came, but none could be read as the platform's listing (an API answering
        # HTML or an error object): the site changed under our adapter, a failure on our side
        raise SourceFailed(f"source {source.id}: no listing item could be read ({_counts(result.failures)}): "
                           + "; ".join(result.first_errors))
    return result


def _read(parsed: ListingParse, listing: int, walk: _Walk, hosts: frozenset[str], years: tuple[int, int] | None,
          result: Discovery) -> list[str]:
    """Take a parsed page's links and notes into the result; return the URLs of its items (links
    that are not pagination) that its listing had not shown before."""
    for note in parsed.notes:
        result.notes[note] = result.notes.get(note, 0) + 1
    if parsed.claimed_pages is not None:
        result.claimed_pages = max(result.claimed_pages or 0, parsed.claimed_pages)
    new_links = [link for link in parsed.links if link.url not in walk.seen_links]
    walk.seen_links.update(link.url for link in new_links)
    result.links_seen += len(new_links)
    for link in new_links:
        _consider(link, hosts, years, result)
    listing_urls = {r.url for r in parsed.next_requests}
    shown = walk.items.setdefault(listing, set())
    new_items = [link.url for link in parsed.links if link.url not in shown and link.url not in listing_urls
                 and link.url not in walk.queued and not is_pager_link(link)]
    shown.update(new_items)
    return new_items


def _failed(result: Discovery, outcome: str, message: str) -> None:
    result.failures[outcome] = result.failures.get(outcome, 0) + 1
    if len(result.first_errors) < 3:
        result.first_errors.append(message)


def _counts(failures: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(failures.items()))


def _enqueue(requests: list[PageRequest], listing: int, separate: bool, walk: _Walk, hosts: frozenset[str]) -> None:
    for next_request in requests:
        if next_request.key not in walk.queued and host_of(next_request.url) in hosts:
            walk.queued.add(next_request.key)
            if separate:
                walk.listings += 1
            walk.queue.append((next_request, walk.listings if separate else listing))


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
