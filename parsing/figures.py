"""Key figures (codebook ``figures``) from tables, old appendix tables, or prose.

Precedence: the statistics table (2019+), then an appendix indicator table in the text (申请总数 46),
then prose ("共受理政府信息公开申请32件"). Every figure carries the cell or sentence it came from. A
figure the report does not state is absent, never a guessed 0; an explicit "未发生…行政诉讼" is 0.

Prose patterns run on ``match_key`` of each sentence (full-width folded, no spaces), so "申请 46 宗"
reads as "申请46宗". They require a count unit (件/宗/起 …) right after the number, which keeps
percentages, 同比 changes and years out; gaps exclude 留言/咨询/同比 and other look-alikes.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from normalization.text import match_key
from core.document import Figure, Flag, StatCell

FIGURE_KEYS = ("applications_received", "disclosed", "partially_disclosed", "reconsiderations", "lawsuits")

# Cells behind each figure in the 2019+ tables: (table, row, column), summed.
TABLE_SOURCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "applications_received": (("requests", "received", "total"),),
    "disclosed": (("requests", "disclosed", "total"),),
    "partially_disclosed": (("requests", "partially_disclosed", "total"),),
    "reconsiderations": (("review_litigation", "count", "reconsideration.total"),),
    "lawsuits": (("review_litigation", "count", "litigation_direct.total"),
                 ("review_litigation", "count", "litigation_after_review.total")),
}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_N = r"(?P<n>\d+|[零〇一二两三四五六七八九十]{1,3})"
_UNIT = r"(?:件|宗|起|个|份|项|例|次)"
_NOT_AFTER = r"(?![\d.%])"
_QUOTE = r"[\"'”’」]?"
_EXCLUDED_GAP = re.compile(r"留言|咨询|建议|提案|投诉|举报|信访|来信|来电|同比|较|增|减|比|复议|诉讼")

# (pattern, gap must avoid _EXCLUDED_GAP)
PROSE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "applications_received": (
        re.compile(rf"(?:收到|受理|接到|接收)(?P<gap>[^。;,，\d]{{0,30}}?)申请(?:数量|总数|数)?(?:为|共|共计|合计|总计|达|计)?{_N}{_UNIT}{_NOT_AFTER}"),
    ),
    "disclosed": (
        re.compile(rf"(?<!不)(?:同意公开|予以公开|准予公开|全部公开){_QUOTE}(?:的|答复|申请)*(?:有|为|共)?{_N}{_UNIT}{_NOT_AFTER}"),
    ),
    "partially_disclosed": (
        re.compile(rf"(?<![及和与、])(?:同意部分公开|部分同意公开|部分予以公开|部分公开){_QUOTE}(?:的|答复|申请)*(?:有|为|共)?{_N}{_UNIT}{_NOT_AFTER}"),
    ),
    "reconsiderations": (
        re.compile(rf"行政复议(?:申请|案件|数)?(?:共|为|有)?{_N}{_UNIT}{_NOT_AFTER}"),
        re.compile(rf"(?<![\d.]){_N}(?:起|件|宗|例)(?P<gap>[^。;,，\d]{{0,30}}?)行政复议"),
    ),
    "lawsuits": (
        re.compile(rf"诉讼(?:案件|申请|数)?(?:共|为|有)?{_N}{_UNIT}{_NOT_AFTER}"),
        re.compile(rf"(?<![\d.]){_N}(?:起|件|宗|例)(?P<gap>[^。;,，\d]{{0,30}}?)行政诉讼"),
    ),
}
_NONE_WORDS = r"(?:未发生|没有发生|未收到|没有收到|未出现|未有|没有|无)"
ZERO_PATTERNS: dict[str, re.Pattern[str]] = {
    "reconsiderations": re.compile(rf"{_NONE_WORDS}[^。;,，\d]{{0,30}}?行政复议"),
    "lawsuits": re.compile(rf"{_NONE_WORDS}[^。;,，\d]{{0,40}}?(?:行政)?诉讼"),
}

# Appendix indicator tables of 2008-2018 reports ("申请总数\t46", "1.同意公开答复数\t17").
APPENDIX_LABELS: dict[str, tuple[str, ...]] = {
    "applications_received": ("申请总数", "收到申请总数", "受理申请总数", "收到申请数", "受理申请数"),
    "disclosed": ("同意公开答复数", "同意公开数"),
    "partially_disclosed": ("同意部分公开答复数", "部分公开答复数", "同意部分公开数"),
    "reconsiderations": ("行政复议数", "申请行政复议数", "行政复议案件数"),
    "lawsuits": ("行政诉讼数", "提起行政诉讼数", "行政诉讼案件数"),
}
_SENTENCES = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")


def chinese_count(token: str) -> int:
    """"12" → 12, "三" → 3, "十二" → 12, "二十" → 20."""
    if token.isdigit():
        return int(token)
    if "十" in token:
        tens, _, ones = token.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[token] if len(token) == 1 else int("".join(str(_CN_DIGITS[ch]) for ch in token))


def figures_from_cells(cells: Sequence[StatCell]) -> tuple[dict[str, Figure], list[Flag]]:
    """Figures from the 2019+ tables. A blank total next to filled cells is not read as 0."""
    by_code = {(c.table, c.row, c.column): c for c in cells}
    figures: dict[str, Figure] = {}
    flags: list[Flag] = []
    for key, sources in TABLE_SOURCES.items():
        found = [by_code.get(source) for source in sources]
        if any(cell is None for cell in found):
            continue
        blank_total = [cell for cell in found if cell.empty and _row_has_numbers(cells, cell)]
        if blank_total:
            flags.append(Flag("figure_unreliable", blank_total[0].table,
                              f"{key}: total cell {blank_total[0].row_label} / {blank_total[0].column_label} is blank "
                              "while the row has numbers", {"figure": key}))
            continue
        evidence = " + ".join(f"{c.table}[{c.table_index}] {c.row_label} / {c.column_label} = {c.value:g}" for c in found)
        figures[key] = Figure(key, int(sum(c.value for c in found)), evidence, "table")
    return figures, flags


def _row_has_numbers(cells: Sequence[StatCell], total: StatCell) -> bool:
    """Whether the cells this total adds up (its row; in 复议诉讼 its group) hold any number."""
    group = total.column.partition(".")[0] if total.table == "review_litigation" else ""
    return any(c.value and c.table == total.table and c.table_index == total.table_index and c.row == total.row
               and c.column.startswith(group) for c in cells)


def figures_from_appendix(text: str) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    for line in text.splitlines():
        # trafilatura renders table rows as "| 申请总数 | 46 |": the pipes are cell borders
        key_line = match_key(line.replace("|", " ").strip())
        for key, labels in APPENDIX_LABELS.items():
            if key in figures:
                continue
            pattern = rf"^(?:其中:?)?(?:\d+[.、])?(?:{'|'.join(labels)}):?(\d+)(?:件|宗|个)?$"
            match = re.match(pattern, key_line)
            if match:
                figures[key] = Figure(key, int(match.group(1)), line.strip(), "appendix")
    return figures


def figures_from_prose(text: str) -> dict[str, Figure]:
    sentences = [s.strip() for s in _SENTENCES.findall(text) if s.strip()]
    figures: dict[str, Figure] = {}
    for key, patterns in PROSE_PATTERNS.items():
        figure = _first_prose_match(key, patterns, sentences)
        if figure is None and key in ZERO_PATTERNS:
            figure = _first_zero(key, ZERO_PATTERNS[key], sentences)
        if figure is not None:
            figures[key] = figure
    return figures


def _first_prose_match(key: str, patterns: Sequence[re.Pattern[str]], sentences: Sequence[str]) -> Figure | None:
    for sentence in sentences:
        folded = match_key(sentence)
        for pattern in patterns:
            for match in pattern.finditer(folded):
                gap = match.groupdict().get("gap")
                if gap and _EXCLUDED_GAP.search(gap):
                    continue
                return Figure(key, chinese_count(match.group("n")), sentence, "prose")
    return None


def _first_zero(key: str, pattern: re.Pattern[str], sentences: Sequence[str]) -> Figure | None:
    for sentence in sentences:
        if pattern.search(match_key(sentence)):
            return Figure(key, 0, sentence, "prose")
    return None


def extract_figures(text: str, cells: Sequence[StatCell]) -> tuple[dict[str, Figure], list[Flag]]:
    """All figures, each from the most reliable source that states it."""
    from_tables, flags = figures_from_cells(cells)
    figures = dict(figures_from_prose(text))
    figures.update(figures_from_appendix(text))
    figures.update(from_tables)
    return {key: figures[key] for key in FIGURE_KEYS if key in figures}, flags
