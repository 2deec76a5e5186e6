"""Adding a site (City Scrapers' genspider habit): fetch its list page once, politely, keep the raw
bytes as a fixture, append a sources entry, and write a test that stays red until someone writes
down which report links the page holds.

    govreports scaffold --url URL --id ID [--name NAME] [--platform P] [--sources FILE] [--root DIR]
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fetching.client import FetchRecord, Fetcher, PageRequest
from fetching.settings import FetchSettings
from core.errors import ConfigError
from core.sources import SOURCE_ID, load_sources
from scrapers.registry import platform_names
from core.urls import host_of

DEFAULT_SOURCES_FILE = "sources/scaffolded.toml"


class MemorySink:
    """The fetcher's sink for a one-page fetch outside any run: nothing goes to a database."""

    def __init__(self) -> None:
        self.snapshots: dict[str, bytes] = {}
        self.records: list[FetchRecord] = []

    def save_snapshot(self, content_hash: str, body: bytes, content_type: str | None) -> None:
        self.snapshots[content_hash] = body

    def load_snapshot(self, content_hash: str) -> bytes:
        return self.snapshots[content_hash]

    def record_fetch(self, record: FetchRecord) -> None:
        self.records.append(record)


@dataclass(frozen=True)
class Scaffolded:
    fixture: Path
    meta: Path
    test: Path
    sources_file: Path


def scaffold(url: str, site_id: str, *, name: str | None = None, platform: str | None = None,
             root: Path = Path("."), sources_file: str = DEFAULT_SOURCES_FILE,
             settings: FetchSettings | None = None) -> Scaffolded:
    """Fetch ``url`` once and write fixture, sources entry and red test under ``root``."""
    if not SOURCE_ID.match(site_id):
        raise ConfigError(f"--id {site_id!r}: need a lower-case slug (letters, digits, - or _)")
    entry = _sources_entry(url, site_id, name, platform)
    sources_path = root / sources_file
    _check_new(sources_path, site_id)
    test_path = root / "tests" / f"test_site_{site_id.replace('-', '_')}.py"
    fixture_dir = root / "tests" / "fixtures" / "sites" / site_id
    if test_path.exists() or fixture_dir.exists():
        raise ConfigError(f"{site_id}: {test_path} or {fixture_dir} exists already")
    sink = MemorySink()
    with Fetcher(sink, settings=settings or FetchSettings.from_env()) as fetcher:
        fetched = fetcher.fetch(PageRequest(url), source_id=site_id, purpose="listing",
                                allowed_hosts=frozenset({host_of(url)}), delay=1.0)
    fixture_dir.mkdir(parents=True)
    fixture = fixture_dir / "listing.html"
    fixture.write_bytes(fetched.body)  # raw bytes: the encoding is part of what the test checks
    meta = fixture_dir / "fixture.json"
    meta.write_text(json.dumps({"url": url, "final_url": fetched.final_url, "content_type": fetched.content_type,
                                "platform": platform, "sha256": fetched.content_hash}, ensure_ascii=False, indent=2)
                    + "\n", encoding="utf-8")
    _append_entry(sources_path, entry)
    test_path.parent.mkdir(parents=True, exist_ok=True)
    test_path.write_text(_red_test(site_id, fetched.final_url), encoding="utf-8")
    return Scaffolded(fixture, meta, test_path, sources_path)


def _sources_entry(url: str, site_id: str, name: str | None, platform: str | None) -> str:
    lines = ["[[source]]", f'id = "{site_id}"']
    lines.append(f"name = {json.dumps(name, ensure_ascii=False)}" if name else 'kind = "portal"')
    lines.append(f"start_urls = [{json.dumps(url)}]")
    if platform:
        lines.append(f'platform = "{platform}"')
    lines += ["verified = false", f"found_on = {json.dumps(url)}",
              'notes = "scaffolded: fill in tests/test_site_' + site_id.replace("-", "_") + '.py"']
    return "\n".join(lines) + "\n"


def _check_new(sources_path: Path, site_id: str) -> None:
    if sources_path.exists() and any(s.id == site_id for s in load_sources(sources_path, platform_names())):
        raise ConfigError(f"{sources_path}: a source with id {site_id!r} exists already")


def _append_entry(sources_path: Path, entry: str) -> None:
    """Append, then validate the whole file; put the old text back when the result is invalid."""
    before = sources_path.read_text(encoding="utf-8") if sources_path.exists() else None
    sources_path.parent.mkdir(parents=True, exist_ok=True)
    sources_path.write_text((before + "\n" if before else "") + entry, encoding="utf-8")
    try:
        load_sources(sources_path, platform_names())
    except ConfigError:
        if before is None:
            sources_path.unlink()
        else:
            sources_path.write_text(before, encoding="utf-8")
        raise


def _red_test(site_id: str, final_url: str) -> str:
    return f'''"""Scaffolded for source {site_id!r}: the saved list page must yield exactly the report links
written below. Red until someone opens the page and writes them down (URL → report year)."""
from pathlib import Path

from fetching.client import PageRequest
from fetching.decode import decode_html
from scrapers.base import ListingPage
from scrapers.links import classify_link
from scrapers.registry import detect_platform

FIXTURE = Path(__file__).parent / "fixtures" / "sites" / {site_id!r} / "listing.html"
URL = {final_url!r}
EXPECTED_REPORTS: dict[str, int | None] = {{
    # "https://…/t20200118_1.html": 2019,
}}


def test_report_links_of_the_saved_page():
    assert EXPECTED_REPORTS, "fill in EXPECTED_REPORTS from the saved page ({site_id})"
    page = ListingPage(PageRequest(URL), URL, decode_html(FIXTURE.read_bytes()).text)
    found = {{}}
    for link in detect_platform(page).parse_listing(page).links:
        verdict = classify_link(link.text, link.url)
        if verdict.is_candidate:
            found[link.url] = verdict.year
    assert found == EXPECTED_REPORTS
'''
