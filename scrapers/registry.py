"""The one registry of platform adapters. Order matters: detection tries them in order, the most
specific markers first (gkmlpt's URL and SID, Hanweb's datastore, TRS's pager script), and the
generic adapter, which matches everything, comes last."""
from __future__ import annotations

from functools import lru_cache

from scrapers.base import ListingPage, Platform


@lru_cache(maxsize=1)
def platforms() -> tuple[Platform, ...]:
    from scrapers.generic import GenericPlatform
    from scrapers.gkmlpt import GkmlptPlatform
    from scrapers.hanweb import HanwebPlatform
    from scrapers.trs import TrsPlatform

    return build_registry([GkmlptPlatform(), HanwebPlatform(), TrsPlatform(), GenericPlatform()])


def build_registry(adapters: list[Platform]) -> tuple[Platform, ...]:
    """Check the contract of a list of adapters and freeze it: unique names, generic last."""
    names = [a.name for a in adapters]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate platform names in the registry: {sorted(duplicates)}")
    for adapter in adapters:
        if not isinstance(adapter, Platform):
            raise RuntimeError(f"{adapter!r} does not implement the Platform protocol")
    if not names or names[-1] != "generic" or names.count("generic") != 1:
        raise RuntimeError("the generic adapter (which detects every page) must come last")
    return tuple(adapters)


def platform_names() -> frozenset[str]:
    return frozenset(p.name for p in platforms())


def get_platform(name: str) -> Platform:
    for platform in platforms():
        if platform.name == name:
            return platform
    raise KeyError(f"unknown platform {name!r}; known: {sorted(platform_names())}")


def detect_platform(page: ListingPage, hint: str | None = None) -> Platform:
    """The adapter for a page: the sources file's hint when given, else the first that detects it."""
    if hint:
        return get_platform(hint)
    for platform in platforms():
        if platform.detect(page):
            return platform
    raise AssertionError("the generic platform detects every page")
