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
_UNIT = r"(?:件|宗|起|个|份|项|例|次|条)"
_NOT_AFTER = r"(?![\d.%])"
_QUOTE = r"[\"'”’」]?"
_EXCLUDED_GAP = re.compile(r"留言|咨询|建议|提案|投诉|举报|信访|来信|来电|同比|较|增|减|比|复议|诉讼")
_VERB = r"(?:收到|受理|接到|接收|办理|提出|提交)"
_SAID_IS = r"(?:为|共|共计|合计|总计|达|计|是|有)"  # "申请数为32件", "申请共计32件"

# (pattern, gap must avoid _EXCLUDED_GAP)
PROSE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "applications_received": (
        re.compile(rf"{_VERB}(?P<gap>[^。;,，\d]{{0,30}}?)申请(?:数量|总数|件数|数)?{_SAID_IS}?{_N}{_UNIT}{_NOT_AFTER}"),
        # 受理依申请公开政府信息32件
        re.compile(rf"{_VERB}(?P<gap>[^。;,，\d]{{0,12}}?)依申请公开(?:的)?(?:政府)?信息(?:的)?(?:申请)?{_SAID_IS}?{_N}{_UNIT}{_NOT_AFTER}"),
        # the number before the noun: 共受理32件政府信息公开申请, 收到各类32份信息公开申请
        re.compile(rf"(?:{_VERB}|共有)(?:了)?(?:各类|各种|群众|公民)?{_N}(?:件|份|宗|个|条)(?P<gap>[^。;,，\d]{{0,16}}?)申请"),
        # 政府信息公开申请总数为46 (a count said with 数为, unit optional)
        re.compile(rf"(?:信息公开|公开)申请(?:总数|数量|件数|数)(?:为|是|达|共|共计){_N}{_UNIT}?{_NOT_AFTER}"),
    ),
    "disclosed": (
        re.compile(rf"(?<!不)(?:同意公开|予以公开|准予公开|全部公开){_QUOTE}(?:的|答复|申请)*(?:有|为|共)?{_N}{_UNIT}{_NOT_AFTER}"),
        re.compile(rf"(?<![\d.]){_N}(?:件|宗|个|条|份)(?:申请)?(?:已|均|被|属于)?(?:同意公开|予以公开|全部公开|准予公开)(?!的)"),
    ),
    "partially_disclosed": (
        re.compile(rf"(?<![及和与、])(?:同意部分公开|部分同意公开|部分予以公开|部分公开){_QUOTE}(?:的|答复|申请)*(?:有|为|共)?{_N}{_UNIT}{_NOT_AFTER}"),
        re.compile(rf"(?<![\d.]){_N}(?:件|宗|个|条|份)(?:申请)?(?:已|均|被|属于)?(?:同意部分公开|部分同意公开|部分予以公开|部分公开)(?!的)"),
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
# One number said for both: "行政复议和行政诉讼案件均为0件"; two: "行政复议、行政诉讼分别为1件和2件".
_BOTH = re.compile(rf"行政复议(?:案件)?[和、及与]行政诉讼(?:案件)?(?:数量?)?(?:均为|都为|均是|都是|均|都|各)(?:有)?{_N}{_UNIT}?{_NOT_AFTER}")
_EACH = re.compile(rf"行政复议(?:案件)?[和、及与]行政诉讼(?:案件)?(?:数量?)?分别(?:为|是|有)?(?P<a>\d+|[零〇一二两三四五六七八九十]{{1,3}}){_UNIT}?[和、及与,]"
                   rf"(?P<b>\d+|[零〇一二两三四五六七八九十]{{1,3}}){_UNIT}?{_NOT_AFTER}")

# Zero said in words. 无 counts only on its own: compounds such as 无论 ("无论行政复议还是行政诉讼…")
# are blanked before matching.
_NO_COMPOUNDS = re.compile(r"无论|无法|无需|无须|无偿|无关|无误|无疑|无不|无限|无缝|无纸|无私|无线|无效|无意|无力|无障碍|"
                           r"无数|无形|无故|无视|毫无|无一例外|无条件|无差别|无死角|无遗漏|无盲区|无纰漏")
_NONE_WORDS = (r"(?:未发生|没有发生|未收到|没有收到|未接到|没有接到|未受理|没有受理|未出现|没有出现|未提起|没有提起|未被提起|"
               r"未被申请|未有|没有|暂无|尚无|均无|并无|无)")
_IS_ZERO = r"(?:为|均为|都为|是|均是|都是|计)(?:零|〇|0)(?:件|宗|起|个|次|例)?(?![\d.%])"
ZERO_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "applications_received": (
        # the gap holds only who applied: "没有按时答复的申请" is no zero
        re.compile(rf"{_NONE_WORDS}(?:公民|法人|其他组织|群众|申请人|社会公众|[、和或及])*(?:提出|提交|递交)?(?:的)?"
                   rf"(?:依申请公开|(?:政府)?信息公开(?:的)?申请|公开申请|申请)(?!人|书|表|材料|的补正)"),
        re.compile(rf"申请(?:总数|数量|件数|数)?{_IS_ZERO}"),
        re.compile(r"零申请"),
    ),
    "reconsiderations": (
        re.compile(rf"{_NONE_WORDS}[^。;,，\d]{{0,30}}?行政复议"),
        re.compile(rf"行政复议(?:申请|案件|数量|数)?[^。;,，\d]{{0,16}}?{_IS_ZERO}"),
    ),
    "lawsuits": (
        re.compile(rf"{_NONE_WORDS}[^。;,，\d]{{0,40}}?(?:行政)?诉讼"),
        re.compile(rf"诉讼(?:案件|数量|数)?[^。;,，\d]{{0,16}}?{_IS_ZERO}"),
    ),
}
# With no application, no answer disclosed anything: these figures are 0 too (said, not guessed).
IMPLIED_BY_NO_APPLICATION = ("disclosed", "partially_disclosed")

# Appendix indicator tables of 2008-2018 reports ("申请总数\t46", "1.同意公开答复数\t17"), matched on
# the row label without its numbering and 其中.
APPENDIX_LABELS: dict[str, tuple[str, ...]] = {
    "applications_received": ("申请总数", "收到申请总数", "受理申请总数", "收到申请数", "受理申请数", "申请数",
                              "政府信息公开申请总数", "政府信息公开申请数", "依申请公开申请总数", "受理政府信息公开申请数",
                              "收到政府信息公开申请数"),
    "disclosed": ("同意公开答复数", "同意公开数", "同意公开", "予以公开数", "全部公开数"),
    "partially_disclosed": ("同意部分公开答复数", "部分公开答复数", "同意部分公开数", "同意部分公开", "部分公开数"),
    "reconsiderations": ("行政复议数", "申请行政复议数", "行政复议案件数", "行政复议", "被申请行政复议数"),
    "lawsuits": ("行政诉讼数", "提起行政诉讼数", "行政诉讼案件数", "行政诉讼", "被提起行政诉讼数"),
}
_LABEL_PREFIX = re.compile(r"^(?:其中[:：]?)?(?:\(?[一二三四五六七八九十\d]{1,2}[).、．]|[一二三四五六七八九十]、)?")
# Header words of an appendix table's number columns: this year's, or a running total over the years.
_THIS_YEAR_HEADER = re.compile(r"本年|当年|今年|年度|数量|数值|数据|统计数|\d{4}年")
_CUMULATIVE_HEADER = re.compile(r"累计|历年|上年|去年|同比|增减|比上年")
_CELL_NUMBER = re.compile(r"^(\d+)(?:件|宗|个|次|起|条|份)?$")
_SPACE = re.compile(r"\s")  # where ``_cells`` may split a line that has no "|" or tab
_SENTENCES = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")


def chinese_count(token: str) -> int:
    """"12" → 12, "三" → 3, "十二" → 12, "二十" → 20, "零" → 0."""
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
    """Figures from the indicator tables of old reports, as text rows (tab-, pipe- or space-separated).

    A table with several number columns (本年 | 历年累计, 2016年 | 2015年) gives the year's column: the
    one its header names as this year's, else the first that is not a running total.
    """
    figures: dict[str, Figure] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if "|" not in line and "\t" not in line and not _SPACE.search(line.strip()):
            continue  # one cell at most: neither a row (a label and a number) nor a header
        cells = _cells(line)
        if not cells:
            continue
        numeric = [bool(_CELL_NUMBER.match(cell)) for cell in cells]
        if not any(numeric):
            header = cells if _is_header(cells) else header
            continue
        at = numeric.index(False) if False in numeric else len(cells)  # the label: a 序号 column may come first
        numbers = [i for i in range(at + 1, len(cells)) if numeric[i]]
        key = _appendix_key(cells[at]) if at < len(cells) else None
        if key is None or key in figures or not numbers:
            continue
        column = _year_column(header, cells, numbers)
        figures[key] = Figure(key, int(_CELL_NUMBER.match(cells[column]).group(1)), line.strip(), "appendix")
    return figures


def _appendix_key(label_cell: str) -> str | None:
    label = _LABEL_PREFIX.sub("", label_cell)
    for candidate in (label, re.sub(r"(?:件|宗|个|次|人次)$", "", label)):  # "申请总数 件 46": the unit column
        key = next((k for k, labels in APPENDIX_LABELS.items() if candidate in labels), None)
        if key is not None:
            return key
    return None


def _cells(line: str) -> list[str]:
    """A text row's cells, each folded (full-width, no spaces): trafilatura renders table rows as
    "| 申请总数 | 46 |", extraction of plain tables gives tabs, some pages pad with spaces."""
    if "|" in line:
        parts = line.split("|")
    elif "\t" in line:
        parts = line.split("\t")
    else:
        parts = re.split(r"\s{2,}|(?<=[\u4e00-\u9fff])\s+(?=\d)|(?<=\d)\s+(?=\d)", line.strip())
    return [key for part in parts if (key := match_key(part))]


def _is_header(cells: list[str]) -> bool:
    return any(_THIS_YEAR_HEADER.search(cell) or _CUMULATIVE_HEADER.search(cell) for cell in cells[1:])


def _year_column(header: list[str] | None, cells: list[str], numbers: list[int]) -> int:
    if header is not None and len(header) == len(cells):
        for i in numbers:
            if _THIS_YEAR_HEADER.search(header[i]) and not _CUMULATIVE_HEADER.search(header[i]):
                return i
        for i in numbers:
            if not _CUMULATIVE_HEADER.search(header[i]):
                return i
    return numbers[0]


class _Sentences:
    """A text's sentences as printed, each folded (``match_key``) once, when a pattern first needs
    it: every figure's search walks the same sentences, most stop at an early one, and folding is
    the cost (NFKC over each sentence), not the patterns."""

    def __init__(self, text: str) -> None:
        self.printed = [s.strip() for s in _SENTENCES.findall(text) if s.strip()]
        self._folded: list[str | None] = [None] * len(self.printed)

    def __iter__(self):
        """(sentence as printed, folded) in order."""
        for i, sentence in enumerate(self.printed):
            folded = self._folded[i]
            if folded is None:
                folded = self._folded[i] = match_key(sentence)
            yield sentence, folded


# A word every prose, shared and zero pattern of a figure needs in the folded sentence (each
# pattern spells it outside any optional part; tests/test_parsing_figures.py checks that the word is
# in each pattern): a sentence without it is passed over before any pattern runs.
NEEDED_WORD = {"applications_received": "申请", "disclosed": "公开", "partially_disclosed": "公开",
               "reconsiderations": "行政复议", "lawsuits": "诉讼"}
_SHARED_WORD = "行政复议"


def figures_from_prose(text: str) -> dict[str, Figure]:
    sentences = _Sentences(text)
    figures: dict[str, Figure] = {}
    for key, patterns in PROSE_PATTERNS.items():
        figure = _first_prose_match(key, patterns, sentences)
        if figure is None and key in ("reconsiderations", "lawsuits"):
            figure = _first_shared(key, sentences)
        if figure is None and key in ZERO_PATTERNS:
            figure = _first_zero(key, ZERO_PATTERNS[key], sentences)
        if figure is not None:
            figures[key] = figure
    received = figures.get("applications_received")
    if received is not None and received.value == 0:
        for key in IMPLIED_BY_NO_APPLICATION:
            figures.setdefault(key, Figure(key, 0, received.evidence, "prose"))
    return figures


def _first_prose_match(key: str, patterns: Sequence[re.Pattern[str]], sentences: _Sentences) -> Figure | None:
    needed = NEEDED_WORD[key]
    for sentence, folded in sentences:
        if needed not in folded:
            continue
        for pattern in patterns:
            for match in pattern.finditer(folded):
                gap = match.groupdict().get("gap")
                if gap and _EXCLUDED_GAP.search(gap):
                    continue
                return Figure(key, chinese_count(match.group("n")), sentence, "prose")
    return None


def _first_shared(key: str, sentences: _Sentences) -> Figure | None:
    """行政复议和行政诉讼均为0件 (one number for both), 分别为1件和2件 (one each)."""
    for sentence, folded in sentences:
        if _SHARED_WORD not in folded:
            continue
        if match := _BOTH.search(folded):
            return Figure(key, chinese_count(match.group("n")), sentence, "prose")
        if match := _EACH.search(folded):
            return Figure(key, chinese_count(match.group("a" if key == "reconsiderations" else "b")), sentence, "prose")
    return None


def _first_zero(key: str, patterns: Sequence[re.Pattern[str]], sentences: _Sentences) -> Figure | None:
    needed = NEEDED_WORD[key]
    for sentence, folded in sentences:
        if needed not in folded:
            continue
        blanked = _NO_COMPOUNDS.sub("■", folded)
        if any(pattern.search(blanked) for pattern in patterns):
            return Figure(key, 0, sentence, "prose")
    return None


def extract_figures(text: str, cells: Sequence[StatCell]) -> tuple[dict[str, Figure], list[Flag]]:
    """All figures, each from the most reliable source that states it."""
    from_tables, flags = figures_from_cells(cells)
    if all(key in from_tables for key in FIGURE_KEYS):  # nothing the prose or an appendix says would be kept
        return {key: from_tables[key] for key in FIGURE_KEYS}, flags
    figures = dict(figures_from_prose(text))
    figures.update(figures_from_appendix(text))
    figures.update(from_tables)
    return {key: figures[key] for key in FIGURE_KEYS if key in figures}, flags
