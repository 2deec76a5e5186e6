"""The comparison form of a report text, and its exact key.

``fold_text`` is *only* for comparing copies: it throws away everything that differs between copies
of one report without the report being different — layout (whitespace, line breaks), punctuation
style (ASCII vs full-width), digit width, site chrome (熱門詞條 聯絡我們 on mirrors, 【打印】【关闭】
bylines), the detail-page metadata block and PDF page furniture. The stored report text keeps all of
it; nothing here is meant for display.

The input is assumed to be simplified script already (the loader passes
``normalization.to_simplified`` output), so chrome is matched in simplified form only.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

from normalization.chrome import BRACKETED_CHROME, CHROME_MAX_LENGTH, is_chrome_line

# Detail-page metadata rows (索引号 | 发布日期 | 来源 …). They belong to the page, not to the report:
# the PDF attachment of the same report has none, a re-post on a portal has its own.
_METADATA_LINE = re.compile(
    r"^[|\s]*(?:索\s*引\s*号|文\s*号|发\s*布\s*日\s*期|公\s*开\s*日\s*期|发\s*文\s*日\s*期|成\s*文\s*日\s*期|"
    r"发\s*布\s*机\s*构|发\s*布\s*单\s*位|发\s*文\s*机\s*关|信\s*息\s*来\s*源|来\s*源|主\s*题\s*分\s*类|"
    r"组\s*配\s*分\s*类|公\s*开\s*方\s*式|时\s*间|浏览次数|访问量)\s*[:：|]"
)

# PDF page furniture: "第 3 页 共 12 页", "第3页/共12页", "- 3 -", "— 3 —".
_PAGE_FURNITURE_LINE = re.compile(
    r"^(?:第\s*\d+\s*页(?:\s*[/,，]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*第\s*\d+\s*页|[-—–]\s*\d+\s*[-—–])$"
)

# After NFKC, anything that is not a letter or digit (punctuation, symbols, every kind of space) is
# layout, not content. ``\w`` also keeps "_", removed explicitly.
_NOT_CONTENT = re.compile(r"[\W_]+")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")


def _is_dropped_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return True
    # Metadata rows are short; a longer line that starts like one is a body flattened onto one
    # line (HTML without <p>), and dropping it would drop the report.
    if len(stripped) <= CHROME_MAX_LENGTH and _METADATA_LINE.match(stripped):
        return True
    return bool(_PAGE_FURNITURE_LINE.match(stripped)) or is_chrome_line(stripped)


def _content(text: str) -> str:
    """The text with chrome, metadata and page furniture lines dropped, lines joined.

    NFKC first: it folds full-width digits/letters to ASCII, NBSP and the ideographic space to
    spaces and compatibility ideographs to their unified forms, so the later steps see one alphabet.
    Lines are joined with a space, not "", so that digits at the end of one line and the start of
    the next stay two numbers for ``fold_tokens``.
    """
    normalized = unicodedata.normalize("NFKC", text)
    without_bracketed = BRACKETED_CHROME.sub(" ", normalized)
    return " ".join(line for line in without_bracketed.splitlines() if not _is_dropped_line(line))


def fold_text(text: str) -> str:
    """Return the comparison form of a simplified-script report text: content characters only."""
    return _NOT_CONTENT.sub("", _content(text)).lower()


def fold_tokens(text: str) -> list[str]:
    """The folded text as tokens: each number (decimals kept: "16.5") is one token, and so is each
    run of other content characters between punctuation or numbers. ``fold_text`` drops the
    decimal point, so a correction from 16.5% to 1.65% would be invisible there; diffs of numbers
    use these tokens instead. Runs rather than single characters keep a diff to a few hundred
    tokens (20x faster than per character on the seeds).
    """
    return _TOKEN.findall(_content(text).lower())


def key_of_folded(folded: str) -> str:
    """SHA-256 hex of an already folded text (for callers that keep the folded form)."""
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def exact_key(text: str) -> str:
    """SHA-256 hex of the folded text: equal keys mean the same report text up to layout and chrome."""
    return key_of_folded(fold_text(text))
