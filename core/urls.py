"""URL and host helpers shared by the sources file, the fetcher and discovery."""
from __future__ import annotations

from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, lower-cased: the unit of politeness."""
    return urlsplit(url).netloc.lower()


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host and no spaces."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url
