"""The sources file: agencies as data. Validated completely before anything is fetched.

Shape (a contract: other tools generate it)::

    [[source]]
    id = "hz-gaj"                      # unique slug
    name = "杭州市公安局"               # default agency; omitted for mirrors and multi-agency portals
    start_urls = ["https://…/col/col1229/index.html"]
    delay = 1.0                        # optional: min seconds between requests to one host

Optional keys of ours: ``kind`` (agency | portal | mirror), ``allowed_hosts``, ``max_pages``,
``platform`` (an adapter name from ``scrapers.registry``), and registry bookkeeping that does not
change the crawl: ``verified``, ``found_on``, ``found_date``, ``notes``.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from core.errors import SourcesError
from core.urls import host_of, is_http_url

DEFAULT_DELAY = 1.0
DEFAULT_MAX_PAGES = 50
SOURCE_KINDS = ("agency", "portal", "mirror")
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KNOWN_KEYS = {
    "id", "name", "start_urls", "delay", "kind", "allowed_hosts", "max_pages", "platform",
    "verified", "found_on", "found_date", "notes",
}


@dataclass(frozen=True)
class Source:
    id: str
    name: str | None
    start_urls: tuple[str, ...]
    delay: float = DEFAULT_DELAY
    kind: str = "agency"
    allowed_hosts: tuple[str, ...] = ()
    max_pages: int = DEFAULT_MAX_PAGES
    platform: str | None = None
    verified: bool = False
    found_on: str | None = None
    found_date: str | None = None
    notes: str | None = None

    @property
    def official(self) -> bool:
        """Reports found here are the agency's own publication (not a mirror's re-post)."""
        return self.kind != "mirror"

    def hosts(self) -> frozenset[str]:
        """Hosts this source may fetch from: its start URLs' hosts plus ``allowed_hosts``."""
        return frozenset({host_of(u) for u in self.start_urls} | set(self.allowed_hosts))

    def as_config(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def load_sources(path: str | Path, platforms: Collection[str]) -> list[Source]:
    """Read and validate a sources file, or every ``*.toml`` of a directory (ids unique across).

    ``platforms`` are the adapter names a source may name (``scrapers.registry.platform_names()``):
    the registry is code above the core, so its names are handed in, not imported."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        if not files:
            raise SourcesError(str(path), None, "directory holds no *.toml sources files")
    elif path.is_file():
        files = [path]
    else:
        raise SourcesError(str(path), None, "no such file or directory")
    sources: list[Source] = []
    seen: dict[str, str] = {}
    for file in files:
        for source in _load_file(file, platforms):
            if source.id in seen:
                raise SourcesError(str(file), f'source id "{source.id}"',
                                   f"duplicate id (first defined in {seen[source.id]})")
            seen[source.id] = str(file)
            sources.append(source)
    return sources


def _load_file(file: Path, platforms: Collection[str]) -> list[Source]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SourcesError(str(file), None, f"not UTF-8: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(str(file), None, f"not valid TOML: {exc}") from None
    extra = set(data) - {"source"}
    if extra:
        raise SourcesError(str(file), None, f"unknown top-level key(s) {sorted(extra)}; expected [[source]] tables")
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(str(file), None, "no [[source]] entries")
    return [_parse_entry(str(file), i, e, platforms) for i, e in enumerate(entries, start=1)]


def _parse_entry(file: str, index: int, entry: Any, platforms: Collection[str]) -> Source:
    label = f"source #{index}"
    if not isinstance(entry, dict):
        raise SourcesError(file, label, "must be a table")
    if isinstance(entry.get("id"), str):
        label = f'source #{index} (id "{entry["id"]}")'

    def fail(message: str) -> SourcesError:
        return SourcesError(file, label, message)

    unknown = set(entry) - _KNOWN_KEYS
    if unknown:
        raise fail(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_KNOWN_KEYS)}")
    source_id = entry.get("id")
    if not isinstance(source_id, str) or not SOURCE_ID.match(source_id):
        raise fail("id must be a lower-case slug (letters, digits, - or _), at most 64 characters")
    name = entry.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise fail("name must be a non-empty string when given")
    start_urls = entry.get("start_urls")
    if not isinstance(start_urls, list) or not start_urls:
        raise fail("start_urls is missing or empty")
    for url in start_urls:
        if not isinstance(url, str) or not is_http_url(url):
            raise fail(f"malformed start URL {url!r}: need an absolute http(s) URL with a host")
    kind = entry.get("kind", "agency" if name else "portal")
    if kind not in SOURCE_KINDS:
        raise fail(f"kind must be one of {SOURCE_KINDS}, not {kind!r}")
    if kind == "agency" and not name:
        raise fail('kind "agency" needs a name (the agency its reports belong to)')
    if kind == "mirror" and name:
        raise fail('kind "mirror" takes no name: a mirror has no default agency (each report names its own)')
    delay = entry.get("delay", DEFAULT_DELAY)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
        raise fail(f"delay must be a number of seconds >= 0, not {delay!r}")
    max_pages = entry.get("max_pages", DEFAULT_MAX_PAGES)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise fail(f"max_pages must be an integer >= 1, not {max_pages!r}")
    allowed_hosts = entry.get("allowed_hosts", [])
    if not isinstance(allowed_hosts, list) or not all(isinstance(h, str) and h and "/" not in h for h in allowed_hosts):
        raise fail("allowed_hosts must be a list of host names (host or host:port, no scheme or path)")
    platform = entry.get("platform")
    if platform is not None and platform not in platforms:
        raise fail(f"unknown platform {platform!r}; known: {sorted(platforms)}")
    verified = entry.get("verified", False)
    if not isinstance(verified, bool):
        raise fail("verified must be true or false")
    for key in ("found_on", "notes"):
        if key in entry and not isinstance(entry[key], str):
            raise fail(f"{key} must be a string")
    found_date = entry.get("found_date")
    if found_date is not None:
        found_date = str(found_date)  # TOML dates arrive as datetime.date
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", found_date):
            raise fail("found_date must be a date (YYYY-MM-DD)")
    return Source(
        id=source_id,
        name=name.strip() if name else None,
        start_urls=tuple(start_urls),
        delay=float(delay),
        kind=kind,
        allowed_hosts=tuple(h.lower() for h in allowed_hosts),
        max_pages=max_pages,
        platform=platform,
        verified=verified,
        found_on=entry.get("found_on"),
        found_date=found_date,
        notes=entry.get("notes"),
    )
