"""The statistical year of a report, from short strings (link text, title, URL).

A report for year Y is published in Y+1 (DOMAIN.md), so a *date* (2013-01-15, 2013年1月15日) is
never a report year: only a year standing on its own ("2012年", "2017年度", "（2017年度）") counts.
"""
from __future__ import annotations

import re

FIRST_REPORT_YEAR = 2007  # the 条例 took effect 2008-05-01; a few bodies reported on 2007 already
LAST_PLAUSIBLE_YEAR = 2099

_CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年")
# A year followed by month/day is a date; a year followed by 年度 or 年 (not 年N月) is a year.
_DATE_AFTER = re.compile(r"\s*(?:[-/.]\s*\d{1,2}|年\s*\d{1,2}\s*月)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_URL_YEAR = re.compile(r"(?<!\d)(20\d{2})(?:nb|ndbg|年报|_?annual)|(?:nb|ndbg|gknb|xxgknb)[_/-]?(20\d{2})(?!\d)", re.I)


def cn_numerals_to_digits(text: str) -> str:
    """"二〇一二年" → "2012年" (only four-numeral years are rewritten)."""
    return _CN_YEAR.sub(lambda m: "".join(_CN_DIGITS[c] for c in m.group(1)) + "年", text)


def year_in_text(text: str) -> int | None:
    """The report year named in a title or link text, or None.

    Preference: a year directly followed by 年度; then one followed by 年 that is not a date; then
    a bare year that is not part of a date. Among equals, the first.
    """
    text = cn_numerals_to_digits(text.translate(_FULLWIDTH_DIGITS))
    best: tuple[int, int] | None = None  # (rank, year); lower rank wins
    for match in _YEAR.finditer(text):
        year = int(match.group(1))
        if not FIRST_REPORT_YEAR <= year <= LAST_PLAUSIBLE_YEAR:
            continue
        after = text[match.end():]
        if _DATE_AFTER.match(after):
            continue
        rank = 0 if re.match(r"\s*年度", after) else 1 if re.match(r"\s*年", after) else 2
        if best is None or rank < best[0]:
            best = (rank, year)
    return best[1] if best else None


def year_in_url(url: str) -> int | None:
    """A year the URL's path names as a report year (``.../2019nb/...``, ``xxgknb/2019/``), or None.

    Date folders of TRS/Hanweb detail URLs (``/201901/t20190118_...``, ``/art/2020/1/19/``) are
    publication dates and deliberately not matched.
    """
    match = _URL_YEAR.search(url)
    if not match:
        return None
    year = int(match.group(1) or match.group(2))
    return year if FIRST_REPORT_YEAR <= year <= LAST_PLAUSIBLE_YEAR else None


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
