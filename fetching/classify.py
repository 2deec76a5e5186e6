"""Classify a 2xx body: a document, a soft 404, a block/captcha page, or binary junk.

Markers are matched only on *short* pages: a real report is thousands of characters, while error
and challenge pages are a few hundred, and a report may well quote a phrase like "验证码".
"""
from __future__ import annotations

import re

from core.html import html_tree

# A page whose visible text is shorter than this may be an error/challenge page (real report bodies
# in the seeds are 8-15k characters; the longest error page seen in reference/ is well under 1k).
SHORT_PAGE_CHARS = 1500

_SOFT_404 = re.compile(r"您访问的页面不存在|页面不存在|页面未找到|找不到该页面|该页面已被删除|信息已删除|404\s*not\s*found|\b404\b|文章不存在|该信息不存在", re.I)
_CAPTCHA = re.compile(r"验证码|人机验证|安全验证|访问过于频繁|请开启JavaScript|滑动验证|captcha", re.I)
# 瑞数 (Riversecurity) challenge pages: a near-empty body, a $_ts bootstrap and an obfuscated script.
_RUISHU = re.compile(r"\$_ts\s*=|\$_ts\.|_\$[a-zA-Z]{2}\s*=", re.S)

# Magic numbers of the binary documents we do read.
BINARY_KINDS = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),  # docx / xlsx (told apart by their content types or names)
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # legacy .doc / .xls
)


def sniff_binary(body: bytes) -> str | None:
    """'pdf' | 'zip' | 'ole' for known document formats, else None."""
    for magic, kind in BINARY_KINDS:
        if body.startswith(magic):
            return kind
    return None


def looks_binary(body: bytes) -> bool:
    """Binary junk: NUL bytes or many control bytes in the first 2 KB."""
    head = body[:2048]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and control / len(head) > 0.1


def visible_text(html: str) -> str:
    """The page's text without scripts and styles, whitespace folded (lxml: this runs on every page)."""
    root = html_tree(html)
    if root is None:
        return ""
    for hidden in root.xpath("//script|//style|//noscript"):
        hidden.drop_tree()
    return re.sub(r"\s+", " ", " ".join(root.itertext())).strip()


def classify_html(html: str) -> str:
    """'ok' | 'soft_404' | 'blocked' for a decoded 2xx HTML page."""
    text = visible_text(html)
    if len(text) >= SHORT_PAGE_CHARS:
        return "ok"
    if _RUISHU.search(html) or _CAPTCHA.search(text):
        return "blocked"
    if _SOFT_404.search(text):
        return "soft_404"
    return "ok"
