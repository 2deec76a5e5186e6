"""Folding of printed labels and numbers, so that matching works on meaning rather than bytes.

Real pages mix full-width and ASCII brackets, digits and punctuation, NBSP and ideographic spaces,
curly and straight quotes. ``fold_whitespace`` keeps a label readable (it is stored as printed);
``match_key`` is only for comparing.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WHITESPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")

# Characters that NFKC leaves alone but pages use interchangeably.
_EQUIVALENTS = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"',
        "‘": "'", "’": "'",
        "〔": "(", "〕": ")", "﹝": "(", "﹞": ")", "【": "(", "】": ")", "[": "(", "]": ")",
        "－": "-", "−": "-", "–": "-", "—": "-",
    }
)

_HAS_EQUIVALENT = re.compile("[" + re.escape("".join(map(chr, _EQUIVALENTS))) + "]")


def fold_whitespace(text: str) -> str:
    """Collapse runs of any whitespace (NBSP, ideographic space, zero-width) to one space; strip."""
    return _WHITESPACE.sub(" ", text).strip()


# Keys of strings up to this long are remembered: table cells and labels ("0", "自然人", "1.属于国家秘密")
# recur on every page of a template, sentences do not.
_REMEMBERED_LENGTH = 40


def match_key(text: str) -> str:
    """A comparison key: NFKC (full-width → ASCII), unified brackets/quotes, no whitespace at all.

    Chinese labels carry no meaningful spaces ("一 概 述" is "一概述"), so all whitespace goes.
    """
    if len(text) <= _REMEMBERED_LENGTH:
        return _remembered_key(text)
    return _key(text)


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    if _HAS_EQUIVALENT.search(folded):  # translate looks every character up: only when one is there
        folded = folded.translate(_EQUIVALENTS)
    return _WHITESPACE.sub("", folded)


_remembered_key = lru_cache(maxsize=8192)(_key)
