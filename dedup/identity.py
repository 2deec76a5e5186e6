"""Identity: which report a copy belongs to, and which copy it is.

A report is one (agency, year): its id depends on nothing else, so re-crawls, re-parses and other
machines all file a copy under the same report, and two agencies or two years can never share one.
A copy is one text at one URL.
"""
from __future__ import annotations

import hashlib


def report_id_for(agency: str, year: int) -> str:
    """Stable id of the report of (agency, year): survives re-crawls and re-parses."""
    return "r" + hashlib.sha256(f"{agency}\x1f{year}".encode()).hexdigest()[:16]


def copy_id_for(url: str, text_key: str) -> str:
    return "c" + hashlib.sha256(f"{url}\x1f{text_key}".encode()).hexdigest()[:16]
