"""The contract every platform adapter fulfils, and the values it trades in.

An adapter is pure: it reads an already-fetched listing page and says which item links it holds
and which further listing requests exist (pagination, JSON APIs). It never fetches; the discovery
driver (``scrapers.discover``) does, through the polite fetcher.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from fetching.client import PageRequest


@dataclass(frozen=True)
class ListingPage:
    """A fetched listing resource: an HTML list page or a listing API response (JSON/XML)."""

    request: PageRequest
    url: str  # final URL after redirects
    text: str  # decoded body
    content_type: str | None = None


@dataclass(frozen=True)
class Link:
    """An item link on a listing, as printed there."""

    url: str  # absolute
    text: str  # the link text (or its title attribute when the text is truncated)
    listing_url: str
    list_date: str | None = None  # the date printed beside it (a publication date, never the report year)


@dataclass
class ListingParse:
    links: list[Link] = field(default_factory=list)
    next_requests: list[PageRequest] = field(default_factory=list)
    claimed_pages: int | None = None  # how many pages the listing says it has (may be absurd: 9999)
    # True when each of ``next_requests`` starts a listing of its own (gkmlpt categories), so that one
    # of them ending does not end the others; False when they page one listing.
    separate_listings: bool = False
    notes: list[str] = field(default_factory=list)  # things the run's counts must say (e.g. a fallback taken)


@runtime_checkable
class Platform(Protocol):
    name: str

    def detect(self, page: ListingPage) -> bool:
        """True when the page carries this platform's markers."""
        ...

    def parse_listing(self, page: ListingPage) -> ListingParse:
        """Item links and further listing requests of one listing page."""
        ...
