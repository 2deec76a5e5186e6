"""Statistics tables (HTML, and any other source turned into a grid) → ``StatCell``s.

A table is first expanded into a rectangular *grid*: every ``rowspan``/``colspan`` position holds the
same ``GridCell`` object, so a spanned cell is seen in every row and column it covers but is read
only once (cells are de-duplicated by identity). The grid is then read by meaning:

* the table kind (requests / review_litigation / proactive) from words only that table has;
* each column's code from the header cells stacked above it ("申请人情况 / 法人或其他组织 / 商业企业"),
  matched by keywords, never by position, because pages add, merge and split header cells;
* each row's code from its label cells (row group, group label, item), by keywords first and the
  item number ("3.") second, because Word-made pages sometimes lose characters of a label.

Group labels (（三）不予公开 …) are context, not data rows. （六）其他处理 is a data row in the 2019 layout
and a group label above three item rows in the 2021 layout; which one is decided by the next row.

Blank cells (empty, ``&nbsp;``, "-", "/", "无") are read as 0 with ``empty=True``, and every table
with blanks gets one ``empty_cells_as_zero`` flag listing them. Unreadable cells are flagged, never
guessed.

Header and data grids that do not line up: Word saves tables whose header cells sit on other column
boundaries than the data cells below them (its "misaligned columns"; a merged 自然人 header one fine
column wider than the 自然人 numbers), so a data cell's first grid column can fall under its
neighbour's header and a whole column (25 cells of 商业企业) is lost as a "duplicate". When the grid
mapping loses or doubles a printed data cell, the 申请 and 复议诉讼 tables are read by header text and
count instead: the columns the header names, in the national template's order (the codebook's), are
matched to each row's printed number cells in order when their counts agree; the table is flagged
``columns_aligned_by_order``, and a row whose count does not agree is flagged ``columns_unaligned``
with its numbers (never silently dropped).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import lxml.etree

from core.html import descendants_named, html_tree, is_element, strings_within
from normalization.text import fold_whitespace, match_key
from core.codebook import load_codebook
from core.document import Flag, StatCell

REQUESTS = "requests"
REVIEW = "review_litigation"
PROACTIVE = "proactive"

# A span beyond this is a page error (Word sometimes writes rowspan="999"); clip it to the table.
_MAX_SPAN = 60


class UnreadableNumber(ValueError):
    """A data cell holds text that is neither a number nor a blank placeholder."""


@dataclass(eq=False)
class GridCell:
    """One printed cell. Compared by identity: a spanned cell is the same object at every position."""

    text: str  # as printed, whitespace folded
    key: str = field(init=False)  # comparison key (see normalization.text.match_key)
    filler: bool = False  # not printed: padding of a row shorter than the table

    def __post_init__(self) -> None:
        self.key = match_key(self.text)


Grid = list[list[GridCell]]


@dataclass
class TableParse:
    """What the tables of one source yielded."""

    cells: list[StatCell] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    formats: set[str] = field(default_factory=set)  # layout evidence: "2019" and/or "2021"

    def extend(self, other: TableParse) -> None:
        self.cells.extend(other.cells)
        self.flags.extend(other.flags)
        self.formats |= other.formats

    def tables(self) -> set[str]:
        return {cell.table for cell in self.cells}


# --------------------------------------------------------------------------------------------------
# Matching rules. Codes are the codebook's; tests check that every codebook code has a rule here.

REQUEST_COLUMN_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("natural_person", ("自然人",)),
    ("commercial", ("商业企业",)),
    ("research", ("科研机构",)),
    ("nonprofit", ("社会公益", "公益组织")),
    ("legal_service", ("法律服务",)),
    ("total", ("总计", "合计")),
    ("other_org", ("其他", "其它")),  # last: the group header 法人或其他组织 also says 其他
)
# Group headers above the applicant columns; removed before matching (法人或其他组织 contains 其他).
_REQUEST_HEADER_GROUPS = ("申请人情况", "法人或其他组织", "法人或其它组织", "法人和其他组织", "法人或者其他组织")

REQUEST_TOP_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("received", ("本年新收", "新收")),
    ("carried_over", ("上年结转",)),
    ("carried_forward", ("结转下年", "下年度继续")),
    ("partially_disclosed", ("部分公开",)),
    ("disclosed", ("予以公开",)),
    ("total", ("总计", "合计")),
)
REQUEST_GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # (group, keywords, number in （三）…（六）)
    ("withheld", ("不予公开",), "三"),
    ("unavailable", ("无法提供",), "四"),
    ("not_processed", ("不予处理",), "五"),
    ("other", ("其他处理", "其它处理"), "六"),
)
# Items of each group in printed order (the item number is the fallback when keywords fail).
REQUEST_ITEMS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "withheld": (
        ("withheld.state_secret", ("国家秘密",)),
        ("withheld.prohibited", ("禁止公开",)),
        ("withheld.security", ("三安全", "一稳定")),
        ("withheld.third_party", ("第三方",)),
        ("withheld.internal_affairs", ("内部事务",)),
        ("withheld.process_info", ("过程性",)),
        ("withheld.enforcement_file", ("执法案卷",)),
        ("withheld.query_matter", ("查询事项",)),
    ),
    "unavailable": (
        ("unavailable.not_held", ("不掌握",)),
        ("unavailable.needs_creation", ("另行制作", "现成信息")),
        ("unavailable.unclear", ("不明确",)),
    ),
    "not_processed": (
        ("not_processed.petition", ("信访", "举报", "投诉")),
        ("not_processed.repeated", ("重复申请",)),
        ("not_processed.publication", ("出版物",)),
        ("not_processed.excessive", ("大量反复", "反复申请")),
        ("not_processed.confirmation", ("确认", "重新出具")),
    ),
    "other": (
        ("other.no_correction", ("不补正",)),
        ("other.unpaid_fee", ("缴纳费用", "收费通知", "逾期未按")),
        ("other.other", ("其他", "其它")),
    ),
}
# Keywords too generic to identify an item without its group (header cells say 其他 too).
_GENERIC_ITEM_WORDS = frozenset({"其他", "其它"})

REVIEW_GROUP_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("litigation_after_review", ("复议后",)),
    ("litigation_direct", ("直接起诉", "未经复议")),
    ("reconsideration", ("行政复议",)),
)
REVIEW_RESULT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("upheld", ("维持",)),
    ("corrected", ("纠正",)),
    ("pending", ("审结",)),
    ("total", ("总计", "合计")),
    ("other", ("其他", "其它")),
)
_REVIEW_HEADER_WORDS = ("复议", "诉讼", "起诉", "维持", "纠正", "审结", "总计", "合计", "其他结果", "其它结果")

PROACTIVE_ROW_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("normative_docs", ("规范性文件",)),
    ("rules", ("规章",)),
    ("licensing", ("行政许可",)),
    ("other_services", ("其他对外管理服务", "对外管理服务")),
    ("penalty", ("行政处罚",)),
    ("enforcement", ("行政强制",)),
    ("fees", ("行政事业性收费",)),
    ("procurement", ("政府集中采购", "集中采购")),
)
PROACTIVE_COLUMN_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("issued", ("本年制发",)),
    ("repealed", ("本年废止", "废止件数")),
    ("in_force", ("现行有效",)),
    ("decisions", ("处理决定",)),
    ("fee_amount", ("收费金额",)),
    ("new_made", ("新制作",)),
    ("new_published", ("新公开",)),
    ("total_published", ("对外公开总", "公开总数")),
    ("prev_count", ("上一年项目", "上年项目")),
    ("change", ("增/减", "增减", "增(减)")),
    ("procurement_count", ("采购项目数",)),
    ("procurement_amount", ("采购总金额", "采购金额")),
)
PROACTIVE_2021_COLUMNS = frozenset({"issued", "repealed", "in_force", "fee_amount"})
PROACTIVE_2019_COLUMNS = frozenset(
    {"new_made", "new_published", "total_published", "prev_count", "change", "procurement_count", "procurement_amount"}
)
AMOUNT_COLUMNS = frozenset({"fee_amount", "procurement_amount"})
REQUESTS_2021_ROWS = frozenset({"other.no_correction", "other.unpaid_fee", "other.other"})


def _first_rule(text: str, rules: Iterable[tuple[str, tuple[str, ...]]]) -> str | None:
    for code, words in rules:
        if any(word in text for word in words):
            return code
    return None


# --------------------------------------------------------------------------------------------------
# Numbers

_BLANKS = frozenset({"", "-", "--", "---", "/", "无", "空", "\\"})
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_COUNT_UNITS = re.compile(r"(?:件|项|个|宗|条|次|份|人次|起)$")
_WAN = 10000.0


def is_numeric_text(key: str) -> bool:
    """True for a cell key that reads as a number (with an optional unit)."""
    try:
        read_number(key, column="")
    except UnreadableNumber:
        return False
    return key not in _BLANKS


def read_number(key: str, column: str, header_key: str = "") -> tuple[float, bool, bool]:
    """Read a data cell key → (value, was_blank, unit_assumed).

    Amount columns are returned in 万元: "251000元" → 25.1; a bare number takes the header's unit
    ("（单位：万元）"), and with no unit anywhere is taken as 万元 with ``unit_assumed``. The 本年增/减
    column may carry a sign or 增/减.
    """
    if key in _BLANKS:
        return 0.0, True, False
    text = key
    sign = 1.0
    if text[:1] in "增减" and column == "change":
        sign, text = (-1.0 if text[0] == "减" else 1.0), text[1:].lstrip("少加:")
    scale, unit_assumed = 1.0, False
    if column in AMOUNT_COLUMNS:
        text, scale, unit_assumed = _amount_scale(text, header_key)
    else:
        text = _COUNT_UNITS.sub("", text)
    if not _NUMBER.fullmatch(text):
        raise UnreadableNumber(key)
    value = sign * float(text.replace(",", "")) * scale
    return round(value, 6), False, unit_assumed


def _amount_scale(text: str, header_key: str) -> tuple[str, float, bool]:
    """Strip the unit of an amount; return (digits, factor to 万元, unit assumed)."""
    if text.endswith("万元") or text.endswith("万"):
        return text.removesuffix("元").removesuffix("万"), 1.0, False
    if text.endswith("元"):
        return text[:-1], 1 / _WAN, False
    if "万元" in header_key:
        return text, 1.0, False
    if "元" in header_key:
        return text, 1 / _WAN, False
    return text, 1.0, True


# --------------------------------------------------------------------------------------------------
# HTML → grids
#
# lxml, not BeautifulSoup: the 2019+ pages carry ~600 cells in three tables, and building
# BeautifulSoup's objects for them cost more CPU than the rest of the page (bench/extraction.py).
# ``core.html.strings`` reads a cell's text as BeautifulSoup's ``get_text(" ")`` did.


_SPAN_DIGITS = re.compile(r"\s*(\d+)")
# A table whose rows hold no further rows (no nested table, no row inside a row): its rows and
# cells are all its tr, td and th, which lxml finds without a walk in Python.
_NESTED = lxml.etree.XPath("boolean(.//table | .//tr//tr)")


def _span(tag: lxml.etree._Element, name: str) -> int:
    value = tag.get(name)
    if value is None:
        return 1
    digits = _SPAN_DIGITS.match(value)
    span = int(digits.group(1)) if digits else 1
    return min(max(span, 1), _MAX_SPAN)


def _rows_and_cells(table: lxml.etree._Element) -> list[tuple[lxml.etree._Element, list[lxml.etree._Element]]]:
    """Each of the table's own rows (not those of tables nested in its cells) with its own cells
    (nested ones too, not those of a nested table's rows), in document order."""
    if not _NESTED(table):
        return [(tr, list(tr.iter("td", "th"))) for tr in table.iter("tr")]
    return [(tr, descendants_named(tr, ("td", "th"), stop="tr"))
            for tr in descendants_named(table, ("tr",), stop="table")]


def table_to_grid(table: lxml.etree._Element) -> Grid:
    """Expand rowspan/colspan: each position of a spanned cell holds the same ``GridCell``."""
    placed: dict[tuple[int, int], GridCell] = {}
    rows = _rows_and_cells(table)
    strings = strings_within(table)
    for r, (_tr, cells) in enumerate(rows):
        c = 0
        for td in cells:
            while (r, c) in placed:
                c += 1
            cell = GridCell(fold_whitespace(" ".join(strings(td))))
            rowspan = min(_span(td, "rowspan"), len(rows) - r)
            colspan = _span(td, "colspan")
            for dr in range(rowspan):
                for dc in range(colspan):
                    placed[(r + dr, c + dc)] = cell
            c += colspan
    if not placed:
        return []
    width = max(c for _, c in placed) + 1
    filler = {}
    grid: Grid = []
    for r in range(len(rows)):
        row = []
        for c in range(width):
            # Short rows (fewer cells than the table is wide) are padded with blank cells.
            row.append(placed.get((r, c)) or filler.setdefault((r, c), GridCell("", filler=True)))
        grid.append(row)
    return grid


def html_grids(html: str | None = None, *, roots: Sequence[lxml.etree._Element] | None = None) -> list[Grid]:
    """Every ``<table>`` of the page as a grid, in document order (nested tables included): of the
    markup ``html``, or of the already parsed ``roots`` (the page's content region in its tree)."""
    if roots is None:
        tree = html_tree(html or "")
        roots = [tree] if tree is not None else []
    return [table_to_grid(table) for root in roots if is_element(root) for table in root.iter("table")]


def parse_html_tables(html: str | None = None, *, roots: Sequence[lxml.etree._Element] | None = None) -> TableParse:
    """All statistics tables of an HTML page (its markup, or its parsed ``roots``: see ``html_grids``)."""
    result = TableParse()
    for index, grid in enumerate(html_grids(html, roots=roots)):
        result.extend(parse_grid(grid, table_index=index, origin="html"))
    return result


# --------------------------------------------------------------------------------------------------
# Grid → cells


def classify_grid(grid: Grid) -> str | None:
    """Which statistics table a grid is, from words only that table has; None for other tables."""
    words = "".join(cell.key for cell in _distinct(cell for row in grid for cell in row))
    if "本年新收" in words or ("自然人" in words and "予以公开" in words):
        return REQUESTS
    if "行政复议" in words and "诉讼" in words and ("维持" in words or "纠正" in words):
        return REVIEW
    has_row = _first_rule(words, PROACTIVE_ROW_RULES) is not None
    if has_row and ("信息内容" in words or _first_rule(words, PROACTIVE_COLUMN_RULES)):
        return PROACTIVE
    return None


def parse_grid(grid: Grid, *, table_index: int, origin: str) -> TableParse:
    """Read one grid; a grid that is not a statistics table yields nothing."""
    kind = classify_grid(grid)
    if kind is None:
        return TableParse()
    reader = {REQUESTS: _read_requests, REVIEW: _read_review, PROACTIVE: _read_proactive}[kind]
    builder = CellBuilder(kind, table_index, origin)
    reader(grid, builder)
    return builder.finish()


def _distinct(cells: Iterable[GridCell]) -> list[GridCell]:
    seen: set[int] = set()
    out = []
    for cell in cells:
        if id(cell) not in seen:
            seen.add(id(cell))
            out.append(cell)
    return out


@dataclass
class CellBuilder:
    """Collects the cells of one table with the flags that go with them."""

    table: str
    table_index: int
    origin: str
    result: TableParse = field(default_factory=TableParse)
    blanks: list[dict] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, row: str, column: str, cell_key: str, row_label: str, column_label: str,
            header_key: str = "") -> None:
        if (row, column) in self.seen:
            self.flag("duplicate_cell", f"{row}/{column} printed twice; kept the first ({row_label} / {column_label})",
                      {"row": row, "column": column, "value": cell_key})
            return
        try:
            value, blank, unit_assumed = read_number(cell_key, column, header_key)
        except UnreadableNumber:
            self.flag("unreadable_cell", f"{row_label} / {column_label}: {cell_key!r} is not a number",
                      {"row": row, "column": column, "text": cell_key})
            return
        self.seen.add((row, column))
        if blank:
            self.blanks.append({"row": row, "column": column, "row_label": row_label, "column_label": column_label})
        if unit_assumed:
            self.flag("amount_unit_assumed", f"{row_label} / {column_label}: {cell_key} has no unit; read as 万元",
                      {"row": row, "column": column})
        self.result.cells.append(StatCell(self.table, row, column, value, row_label, column_label,
                                          self.table_index, self.origin, empty=blank))

    def flag(self, kind: str, detail: str, data: dict | None = None) -> None:
        self.result.flags.append(Flag(kind, self.table, detail, {"table_index": self.table_index, **(data or {})}))

    def finish(self) -> TableParse:
        if self.blanks:
            self.flag("empty_cells_as_zero", f"{len(self.blanks)} blank cells read as 0", {"cells": self.blanks})
        return self.result


# Header parts per column -----------------------------------------------------------------------

def _header_parts(grid: Grid, rows: Sequence[int], group_words: Sequence[str]) -> list[list[GridCell]]:
    """For every column, the distinct non-blank header cells stacked above it, top to bottom.

    A blank header cell right of a group header (法人或其他组织, 行政复议 …) belongs to that group:
    XLSX merged cells and pages that pad instead of using colspan leave such blanks.
    """
    width = len(grid[0]) if grid else 0
    parts: list[list[GridCell]] = [[] for _ in range(width)]
    for r in rows:
        inherited: GridCell | None = None
        for c in range(width):
            cell = grid[r][c]
            if cell.key:
                inherited = cell if any(word in cell.key for word in group_words) else None
            elif inherited is not None:
                cell = inherited
            if cell.key and all(cell is not seen for seen in parts[c]):
                parts[c].append(cell)
    return parts


def _column_label(parts: Sequence[GridCell]) -> str:
    return " / ".join(cell.text for cell in parts)


def _label_columns(codes: Sequence[str | None]) -> range:
    first_coded = next((c for c, code in enumerate(codes) if code is not None), len(codes))
    return range(first_coded)


def _data_cells(row: Sequence[GridCell], codes: Sequence[str | None], label_cells: Sequence[GridCell]
                ) -> list[tuple[str, GridCell, int]]:
    """(column code, cell, grid column) for each distinct cell of a data row, at its first coded column."""
    taken: set[int] = {id(cell) for cell in label_cells}
    out = []
    for c, code in enumerate(codes):
        cell = row[c]
        if code is None or id(cell) in taken:
            continue
        taken.add(id(cell))
        out.append((code, cell, c))
    return out


# Column alignment by header text and count ------------------------------------------------------

def _is_data_text(key: str) -> bool:
    return key in _BLANKS or is_numeric_text(key)


def _printed_cells(row: Sequence[GridCell]) -> tuple[list[GridCell], list[tuple[GridCell, int]]]:
    """(label cells, number cells with their first grid column) of a row, read by content: the
    printed text cells, and the printed number-or-blank cells to the right of the last of them."""
    first: dict[int, int] = {}
    for c, cell in enumerate(row):
        if not cell.filler:
            first.setdefault(id(cell), c)
    cells = _distinct(cell for cell in row if not cell.filler)
    texts = [i for i, cell in enumerate(cells) if not _is_data_text(cell.key)]
    start = texts[-1] + 1 if texts else 0
    return [cells[i] for i in texts], [(cell, first[id(cell)]) for cell in cells[start:]]


def _lines_up(view: "_RowView", numbers: Sequence[tuple[GridCell, int]]) -> bool:
    """Whether the grid mapping reads every printed number of the row under a code of its own (a
    blank under no header, or sharing a code, loses nothing)."""
    mapped = {id(cell): code for code, cell, _ in view.data}
    codes = [mapped.get(id(cell)) for cell, _ in numbers]
    return all(code is not None and codes.count(code) == 1
               for code, (cell, _) in zip(codes, numbers) if cell.key not in _BLANKS)


def _align_by_order(views: list["_RowView"], rows: Sequence[Sequence[GridCell]], order: Sequence[str],
                    parts: Sequence[Sequence[GridCell]], codes: Sequence[str | None], out: "CellBuilder",
                    table_name: str) -> None:
    """When header and data columns do not line up, re-read the rows by header text and count (see
    the module docstring). ``views`` are rewritten in place; rows that line up are left alone."""
    printed = [_printed_cells(row) for row in rows]
    if all(_lines_up(view, numbers) for view, (_, numbers) in zip(views, printed) if numbers):
        return
    first_column = {code: c for c, code in reversed(list(enumerate(codes))) if code is not None}
    aligned, unaligned = 0, []
    for view, (label_cells, numbers) in zip(views, printed):
        if all(cell.key in _BLANKS for cell, _ in numbers) and not label_cells:
            continue  # a spacer row (Word's supportMisalignedColumns row) or an empty one
        while len(numbers) > len(order) and numbers[-1][0].key in _BLANKS:
            numbers = numbers[:-1]  # trailing blank cells beyond the header: padding, not a column
        if len(numbers) == len(order):
            view.label_cells = label_cells or view.label_cells
            # a code the header names only in a group cell has no column of its own: the cell's own
            view.data = [(code, cell, first_column.get(code, column)) for code, (cell, column) in zip(order, numbers)]
            aligned += 1
        elif not _lines_up(view, numbers):
            unaligned.append({"row_label": " / ".join(cell.text for cell in label_cells),
                              "numbers": [cell.text for cell, _ in numbers], "columns": list(order)})
            view.data = []
    if aligned:
        out.flag("columns_aligned_by_order",
                 f"{table_name} table: header and data columns do not line up; {aligned} rows read by header text and "
                 f"count ({len(order)} columns: {', '.join(order)})", {"rows": aligned, "columns": list(order)})
    for row in unaligned:
        out.flag("columns_unaligned", f"{table_name} table row {row['row_label']!r}: {len(row['numbers'])} numbers "
                 f"for {len(order)} header columns; not read", row)


# requests --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowMatch:
    code: str | None  # row code, None for a group label or an unknown row
    group: str | None  # the group this label names or belongs to


_ITEM_MARKER = re.compile(r"(?<![\d.])(\d{1,2})[.、](?!\d)")


def _group_of(head: str) -> str | None:
    for group, words, numeral in REQUEST_GROUPS:
        if any(word in head for word in words):
            return group
    for group, _words, numeral in REQUEST_GROUPS:
        if f"({numeral})" in head:
            return group
    return None


def _item_code(group: str | None, item: str, number: int | None) -> str | None:
    if group is None:
        return _unique_item(item)
    items = REQUEST_ITEMS[group]
    code = _first_rule(item, items)
    if code is None and number is not None and 1 <= number <= len(items):
        code = items[number - 1][0]
    return code


def _unique_item(text: str) -> str | None:
    """An item named without its group ("属于国家秘密"), if exactly one item has such a keyword."""
    hits = {code for items in REQUEST_ITEMS.values() for code, words in items
            if any(word in text for word in words if word not in _GENERIC_ITEM_WORDS)}
    return hits.pop() if len(hits) == 1 else None


def match_request_row(label_key: str, context_group: str | None) -> RowMatch:
    """Row code of a 申请 table label (its cells joined), given the group named by earlier rows."""
    items = list(_ITEM_MARKER.finditer(label_key))
    if items:
        marker = items[-1]
        head, item = label_key[: marker.start()], label_key[marker.end():]
        group = _group_of(head) or context_group
        return RowMatch(_item_code(group, item, int(marker.group(1))), group)
    group = _group_of(label_key)
    if group is not None:
        # A group label, or an item whose number was lost ("（三）不予公开属于国家秘密").
        rest = label_key
        for words in (w for g, w, _ in REQUEST_GROUPS if g == group):
            for word in words:
                rest = rest.replace(word, "")
        code = _first_rule(rest, [(c, tuple(x for x in w if x not in _GENERIC_ITEM_WORDS))
                                  for c, w in REQUEST_ITEMS[group]])
        return RowMatch(code, group)
    top = _first_rule(label_key, REQUEST_TOP_ROWS)
    if top is not None:
        return RowMatch(top, None)
    if context_group is not None:
        return RowMatch(_item_code(context_group, label_key, None), context_group)
    return RowMatch(_unique_item(label_key), None)


def _request_column(parts: Sequence[GridCell]) -> str | None:
    text = "".join(cell.key for cell in parts)
    if "勾稽" in text:
        return None
    for group in _REQUEST_HEADER_GROUPS:
        text = text.replace(group, "")
    return _first_rule(text, REQUEST_COLUMN_RULES)


def _is_request_label(key: str) -> bool:
    if not key or _first_rule(key, REQUEST_COLUMN_RULES) and len(key) <= 8:
        return False  # a header word (自然人, 总计 …), not a row label
    match = match_request_row(key, None)
    return match.code is not None or match.group is not None


def _first_filled(row: Sequence[GridCell]) -> GridCell | None:
    return next((cell for cell in row if cell.key), None)


def _read_requests(grid: Grid, out: CellBuilder) -> None:
    body_start = next((r for r, row in enumerate(grid)
                       if (first := _first_filled(row)) is not None and _is_request_label(first.key)), None)
    if body_start is None:
        out.flag("table_unread", "申请 table without recognisable rows")
        return
    parts = _header_parts(grid, range(body_start), _REQUEST_HEADER_GROUPS)
    codes = [_request_column(p) for p in parts]
    missing = [code for code, _ in REQUEST_COLUMN_RULES if code not in codes]
    if missing:
        out.flag("columns_missing", f"申请 table: no column for {', '.join(missing)}", {"columns": missing})
    labels = _label_columns(codes)
    rows = [_request_row_view(grid[r], labels, codes) for r in range(body_start, len(grid))]
    named = set(codes) | {code for cell in _distinct(c for r in range(body_start) for c in grid[r])
                          if (code := _request_column([cell])) is not None}
    order = [code for code, _ in load_codebook().table(REQUESTS).columns.items() if code in named]
    _align_by_order(rows, grid[body_start:], order, parts, codes, out, "申请")
    _emit_request_rows(rows, parts, codes, out)


@dataclass
class _RowView:
    label_cells: list[GridCell]
    data: list[tuple[str, GridCell, int]]

    @property
    def label_key(self) -> str:
        return "".join(cell.key for cell in self.label_cells)

    @property
    def label(self) -> str:
        return " / ".join(cell.text for cell in self.label_cells)


def _request_row_view(row: Sequence[GridCell], labels: range, codes: Sequence[str | None]) -> _RowView:
    label_cells = _distinct(row[c] for c in labels if row[c].key)
    return _RowView(label_cells, _data_cells(row, codes, label_cells))


def _emit_request_rows(rows: Sequence[_RowView], parts: Sequence[Sequence[GridCell]],
                       codes: Sequence[str | None], out: CellBuilder) -> None:
    context: str | None = None
    matches = []
    for view in rows:
        match = match_request_row(view.label_key, context)
        matches.append(match)
        context = match.group
    context_label = ""  # printed label of the group row the following item rows belong to
    for i, (view, match) in enumerate(zip(rows, matches)):
        if not view.label_cells:
            continue
        code = match.code
        next_match = matches[i + 1] if i + 1 < len(matches) else None
        if code is None and match.group is not None:
            starts_group = next_match is not None and next_match.group == match.group and next_match.code is not None
            if match.group == "other" and not starts_group and view.data:
                code = "other"  # 2019 layout: （六）其他处理 is one data row
            else:
                context_label = view.label
                if any(cell.key not in _BLANKS for _, cell, _ in view.data):
                    out.flag("group_row_numbers_ignored", f"group label row {view.label!r} carries numbers",
                             {"row_label": view.label})
                continue
        if code is None:
            if view.data and any(cell.key not in _BLANKS for _, cell, _ in view.data):
                out.flag("row_unrecognised", f"申请 table row {view.label!r} matches no codebook row",
                         {"row_label": view.label})
            continue
        if code in REQUESTS_2021_ROWS:
            out.result.formats.add("2021")
        elif code == "other":
            out.result.formats.add("2019")
        label = view.label
        if match.group is not None and context_label and context_label not in label:
            label = f"{context_label} / {label}"
        for column, cell, c in view.data:
            out.add(code, column, cell.key, label, _column_label(parts[c]))
        if match.group is None:
            context_label = ""


# review_litigation -------------------------------------------------------------------------------

def _review_column(parts: Sequence[GridCell]) -> str | None:
    text = "".join(cell.key for cell in parts)
    group = _first_rule(text, REVIEW_GROUP_RULES)
    result = _first_rule(parts[-1].key if parts else "", REVIEW_RESULT_RULES) or _first_rule(text, REVIEW_RESULT_RULES)
    if group is None or result is None:
        return None
    return f"{group}.{result}"


def _is_review_header(row: Sequence[GridCell]) -> bool:
    return any(cell.key and not is_numeric_text(cell.key) and any(w in cell.key for w in _REVIEW_HEADER_WORDS)
               for cell in row)


def _read_review(grid: Grid, out: CellBuilder) -> None:
    header_rows = []
    for r, row in enumerate(grid):
        if not _is_review_header(row):
            break
        header_rows.append(r)
    parts = _header_parts(grid, header_rows, ("行政复议", "行政诉讼", "直接起诉", "复议后"))
    codes = [_review_column(p) for p in parts]
    expected = list(load_codebook().table(REVIEW).columns)
    missing = [code for code in expected if code not in codes]
    if missing:
        out.flag("columns_missing", f"复议诉讼 table: no column for {', '.join(missing)}", {"columns": missing})
    labels = _label_columns(codes)
    body = grid[len(header_rows):]
    if not body:
        out.flag("table_unread", "复议诉讼 table has no data row")
        return
    # The data row itself may be all blank (an agency with no cases); later rows are notes or junk.
    extra = [r for r in body[1:] if any(cell.key for cell in r)]
    if extra:
        out.flag("rows_ignored", f"复议诉讼 table has {len(extra)} more rows; read the first", {"rows": len(extra)})
    row = body[0]
    label_cells = _distinct(row[c] for c in labels if row[c].key)
    view = _RowView(label_cells, _data_cells(row, codes, label_cells))
    order = [code for code in expected if code in set(codes)]
    _align_by_order([view], [row], order, parts, codes, out, "复议诉讼")
    row_label = view.label
    for column, cell, c in view.data:
        out.add("count", column, cell.key, row_label, _column_label(parts[c]))


# proactive ---------------------------------------------------------------------------------------

def _proactive_column(parts: Sequence[GridCell]) -> str | None:
    return _first_rule("".join(cell.key for cell in parts), PROACTIVE_COLUMN_RULES)


def _is_proactive_header(row: Sequence[GridCell]) -> bool:
    filled = [cell for cell in _distinct(row) if cell.key]
    return (not any(is_numeric_text(cell.key) for cell in filled)
            and any(_first_rule(cell.key, PROACTIVE_COLUMN_RULES) for cell in filled))


def _read_proactive(grid: Grid, out: CellBuilder) -> None:
    header_rows: list[int] = []
    codes: list[str | None] = []
    parts: list[list[GridCell]] = []
    previous_was_header = False
    for r, row in enumerate(grid):
        if _is_proactive_header(row):
            header_rows = header_rows + [r] if previous_was_header else [r]
            parts = _header_parts(grid, header_rows, ())
            codes = [_proactive_column(p) for p in parts]
            previous_was_header = True
            continue
        previous_was_header = False
        first = _first_filled(row)
        row_code = _first_rule(first.key, PROACTIVE_ROW_RULES) if first is not None else None
        if row_code is None or not codes:
            continue
        label_cells = _distinct(row[c] for c in _label_columns(codes) if row[c].key)
        row_label = " / ".join(cell.text for cell in label_cells)
        for column, cell, c in _data_cells(row, codes, label_cells):
            header_key = "".join(p.key for p in parts[c])
            out.add(row_code, column, cell.key, row_label, _column_label(parts[c]), header_key)
            if column in PROACTIVE_2021_COLUMNS:
                out.result.formats.add("2021")
            elif column in PROACTIVE_2019_COLUMNS:
                out.result.formats.add("2019")
