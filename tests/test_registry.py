"""Contract over the real registry: every adapter has a fixture site and a test module, detects its
own fixture, generic is last and catches what nothing else claims; and the starter registry
``sources/`` loads with ``load_sources``."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from fetching.client import PageRequest
from fetching.decode import decode_html
from core.sources import load_sources
from scrapers.registry import platform_names
from scrapers.base import ListingPage, Platform
from scrapers.registry import build_registry, detect_platform, get_platform, platforms

ROOT = Path(__file__).parent.parent
SITES = Path(__file__).parent / "fixtures" / "sites"
NAMES = [p.name for p in platforms()]


def start_page(name: str) -> ListingPage:
    site = tomllib.loads((SITES / name / "routes.toml").read_text(encoding="utf-8"))
    route = next(r for r in site["route"] if r["path"] == site["start"].split("#")[0])
    url = "http://site.example.gov.cn" + site["start"]
    text = decode_html((SITES / name / route["file"]).read_bytes(), route.get("content_type", "text/html")).text
    return ListingPage(PageRequest(url), url.split("#")[0], text)


@pytest.mark.parametrize("name", NAMES)
def test_every_adapter_has_a_fixture_site(name):
    assert (SITES / name / "routes.toml").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_every_adapter_has_a_test_module(name):
    assert (Path(__file__).parent / f"test_scrapers_{name}.py").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_every_adapter_implements_the_protocol(name):
    assert isinstance(get_platform(name), Platform)


@pytest.mark.parametrize("name", NAMES)
def test_own_fixture_detected_as_own_platform(name):
    assert detect_platform(start_page(name)).name == name


def test_generic_is_last():
    assert NAMES[-1] == "generic"


def test_duplicate_names_refused():
    with pytest.raises(RuntimeError, match="duplicate"):
        build_registry([platforms()[0], platforms()[0], platforms()[-1]])


def test_generic_not_last_refused():
    with pytest.raises(RuntimeError, match="last"):
        build_registry([platforms()[-1], platforms()[0]])


def test_hint_overrides_detection():
    assert detect_platform(start_page("trs"), "generic").name == "generic"


def test_unknown_page_falls_back_to_generic():
    url = "http://x.gov.cn/list.jsp"
    assert detect_platform(ListingPage(PageRequest(url), url, "<a href='/a.html'>a</a>")).name == "generic"


@pytest.fixture(scope="module")
def registry():
    return load_sources(ROOT / "sources", platform_names())


def test_starter_registry_loads_at_least_40_agencies(registry):
    assert len(registry) >= 40


def test_starter_registry_entries_say_where_they_were_found(registry):
    assert all(s.found_on and s.found_date and s.notes and not s.verified for s in registry)


def test_starter_registry_public_security_first(registry):
    assert sum("公安" in (s.name or "") for s in registry) >= 20
