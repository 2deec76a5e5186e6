"""Bytes → text for HTML pages, in the order that survives the Chinese government web:

BOM → strict UTF-8 → declared charset (HTTP header, then <meta>; gb2312/gbk → gb18030) →
charset-normalizer → gb18030 with replacement.

Strict UTF-8 comes before the declaration because pages declaring gb2312 while sending UTF-8
bytes are common (see shared/reference/html/detail_youth_cn_*): GBK text almost never decodes as
valid UTF-8, so trying UTF-8 first costs nothing on real GBK pages. The GB family is decoded as
gb18030, its superset, because "gb2312" pages routinely use GBK-only characters (镕, 喆, 堃).
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_GB_FAMILY = {"gb2312", "gbk", "gb_2312-80", "gb_2312", "x-gbk", "cp936", "ms936", "euc-cn", "csgb2312", "gb18030", "hz-gb-2312"}
# Detection answers are only trusted inside the encodings Chinese government pages actually use;
# on short or damaged GBK bytes charset-normalizer otherwise proposes codepages like cp1006.
_PLAUSIBLE_DETECTED = {"utf-8", "gb18030", "big5", "big5hkscs", "cp950", "utf-16"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec actually used
    method: str  # bom | utf-8 | header | meta | detected | fallback


def normalize_charset(name: str) -> str | None:
    """Python codec name for a declared charset, mapping the GB family to gb18030."""
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(method, codec) pairs declared by the HTTP header and the first <meta> charset, in that order."""
    found: list[tuple[str, str]] = []
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match and (codec := normalize_charset(match.group(1))):
            found.append(("header", codec))
    match = _META_CHARSET.search(body[:4096])
    if match and (codec := normalize_charset(match.group(1).decode("ascii", "ignore"))):
        found.append(("meta", codec))
    return found


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return Decoded(body.decode(codec, errors="replace"), codec, "bom")
    try:
        return Decoded(body.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    for method, codec in declared_charsets(body, content_type):
        if codec == "utf-8":
            continue  # already failed strictly above
        try:
            return Decoded(body.decode(codec), codec, method)
        except UnicodeDecodeError:
            continue
    best = from_bytes(body[:200_000]).best()
    codec = normalize_charset(best.encoding) if best is not None and best.encoding else None
    if codec in _PLAUSIBLE_DETECTED:
        try:
            return Decoded(body.decode(codec), codec, "detected")
        except (UnicodeDecodeError, LookupError):
            pass
    return Decoded(body.decode("gb18030", errors="replace"), "gb18030", "fallback")
