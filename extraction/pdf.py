"""A PDF as a reader sees it: the text without page furniture, paragraphs whole, and the tables as
grids with their merged cells.

Runs inside the bounded attachment child (``extraction.attachments``), so it imports nothing but
pdfplumber and the standard library. pdfplumber (on pdfminer.six) gives every character with its
box and every ruling line; from those:

* **Tables.** Ruled tables (most reports are Word → PDF, and Word draws every cell border) are found
  from their ruling lines. A cell's row and column spans come from its box measured against the
  table's row and column boundaries, so a merged header cell (申请人情况 over seven columns, the
  2021 主动公开 table's single-value cells) is one cell with a colspan, as in HTML. A table that
  ends a page and a table that starts the next one with the same column edges are one table: rows
  are joined, a header row Word repeated is dropped, and a vertically merged cell that the break
  cut in two is made whole again. Where there is no ruling, a *text grid* is read from the
  positions of the words: columns where numbers line up, header words assigned to the columns
  they sit over.
* **Text.** Characters are grouped into lines by their baseline. Within a line a space is written
  only between Latin letters or digits (or across a gap wide enough to be a column): a Chinese
  sentence never gets a space from justification. Page numbers ("- 1 -", "第1页 共5页", "3/12")
  and running headers and footers (the same line in the top or bottom band of many pages) are
  dropped. Lines are joined into paragraphs: a line that reaches the right margin continues into
  the next one unless that one is indented (Chinese paragraphs start two characters in), changes
  size, or sits after a gap; across a page break too. Compatibility forms a PDF font may carry
  (Kangxi radicals for 一 二 …, compatibility ideographs, ligatures) become the characters a
  reader reads.

Tables are written into the text row by row (cells separated by tabs) where they stand, and into
``html`` as ``<table>`` markup with ``rowspan``/``colspan``, which ``parsing.tables`` reads with the
same label-driven codebook mapping as a web page's tables.
"""
from __future__ import annotations

import html as html_lib
import io
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

# Fractions of the page height where running headers and footers live (Word puts the header at
# 1.5 cm of a 29.7 cm page, the body from 2.54 cm; 公文 format from 3.7 cm).
_HEADER_BAND = 0.12
_FOOTER_BAND = 0.88
# A line is a running header/footer when it recurs (digits ignored) on this share of the pages.
_RECURRING_SHARE = 0.4
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－_~·•.\s]*\d{1,4}[-—–－_~·•.\s]*|第\d{1,4}页(?:[,，/]?共\d{1,4}页)?|共\d{1,4}页[,，/]?第\d{1,4}页|"
    r"\d{1,4}/\d{1,4}|(?:page)?\d{1,4}(?:of\d{1,4})?|[(（]\d{1,4}[)）])$", re.I)
_UNMAPPED = re.compile(r"^\(cid:\d+\)$")  # pdfminer's text for a glyph its font gives no Unicode for
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|万|元|件|项|个|%)?$")
# Code points a PDF font may use for what a reader reads as ordinary characters: NFKC maps them.
_COMPATIBILITY = re.compile("[\u2e80-\u2fdf\uf900-\ufaff\ufb00-\ufb06\u3000\u00a0\u2002-\u200b\ufeff]")
_SNAP = 2.0  # points: cell edges closer than this are one boundary


@dataclass(frozen=True)
class PdfContent:
    text: str
    html: str  # paragraphs and ruled tables as markup (tables with rowspan/colspan)
    grid_html: str  # the tables read from word positions (no ruling), as markup
    pages: int
    empty_pages: tuple[int, ...]  # 1-based pages without a readable text layer (scans, unmapped fonts)
    tables: int  # tables found (ruled or text grids), after joining those a page break split


# -- characters and lines ----------------------------------------------------------------------

def _is_wide(ch: str) -> bool:
    """CJK characters and full-width punctuation: no space is ever written next to one."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _reader_text(text: str) -> str:
    return _COMPATIBILITY.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


@dataclass
class _Line:
    chars: list[dict]
    top: float = 0.0
    bottom: float = 0.0
    x0: float = 0.0
    x1: float = 0.0
    size: float = 0.0
    text: str = ""

    def close(self) -> "_Line":
        self.chars.sort(key=lambda c: c["x0"])
        visible = [c for c in self.chars if c["text"].strip()]
        self.top = min(c["top"] for c in visible)
        self.bottom = max(c["bottom"] for c in visible)
        self.x0, self.x1 = visible[0]["x0"], max(c["x1"] for c in visible)
        self.size = statistics.median(c["size"] for c in visible)
        self.text = _join_chars(self.chars)
        return self


def _join_chars(chars: list[dict], column_gap: float = 1.5) -> str:
    """Characters of one line (sorted by x) as text: a space between Latin letters/digits that stand
    apart, where the PDF draws a space next to a Latin word, and across a column-wide gap; never
    between two Chinese characters (justification spreads them)."""
    out: list[str] = []
    previous: dict | None = None
    pending_space = False
    for char in chars:
        text = char["text"]
        if not text.strip():
            pending_space = previous is not None
            continue
        if previous is not None:
            gap = char["x0"] - previous["x1"]
            size = max(previous["size"], char["size"], 1.0)
            left_wide, right_wide = _is_wide(previous["text"][-1]), _is_wide(text[0])
            if gap > column_gap * size or (not (left_wide or right_wide) and gap > 0.2 * size) \
                    or (pending_space and not (left_wide and right_wide)):
                out.append(" ")  # a space between Chinese characters is justification, never a word break
        out.append(text)
        previous, pending_space = char, False
    return _reader_text("".join(out))


def _lines(chars: list[dict]) -> list[_Line]:
    """Characters grouped into lines by baseline, top to bottom."""
    lines: list[_Line] = []
    current: list[dict] = []
    baseline = None
    for char in sorted(chars, key=lambda c: (c["bottom"], c["x0"])):
        if baseline is not None and char["bottom"] - baseline > 0.5 * max(char["size"], 1.0):
            if any(c["text"].strip() for c in current):
                lines.append(_Line(current).close())
            current = []
        if not current:
            baseline = char["bottom"]
        current.append(char)
    if any(c["text"].strip() for c in current):
        lines.append(_Line(current).close())
    return sorted(lines, key=lambda line: (line.top, line.x0))


# -- tables --------------------------------------------------------------------------------------

@dataclass
class _Cell:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str


@dataclass
class _Table:
    """A table as cell boxes on one coordinate axis (continuations are shifted below)."""

    page: int
    cells: list[_Cell]
    ruled: bool
    anchor_top: float | None = None  # where the table starts on its page, when cells were moved

    @property
    def top(self) -> float:
        return self.anchor_top if self.anchor_top is not None else min(c.top for c in self.cells)

    @property
    def bottom(self) -> float:
        return max(c.bottom for c in self.cells)

    @property
    def x0(self) -> float:
        return min(c.x0 for c in self.cells)

    @property
    def x1(self) -> float:
        return max(c.x1 for c in self.cells)

    def structure(self) -> tuple[list[list[tuple[_Cell, int, int]]], int]:
        """Rows of (cell, colspan, rowspan) in reading order, holes filled with empty cells, and
        the number of columns."""
        xs = _boundaries([c.x0 for c in self.cells] + [c.x1 for c in self.cells])
        ys = self.row_edges()
        starts: dict[tuple[int, int], tuple[_Cell, int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for cell in sorted(self.cells, key=lambda c: (c.top, c.x0)):
            c0, c1 = _index(xs, cell.x0), _index(xs, cell.x1)
            r0, r1 = _index(ys, cell.top), _index(ys, cell.bottom)
            if c1 <= c0 or r1 <= r0 or (r0, c0) in covered:
                continue
            starts[(r0, c0)] = (cell, c1 - c0, r1 - r0)
            covered.update((r, c) for r in range(r0, r1) for c in range(c0, c1))
        width = len(xs) - 1
        rows = []
        for r in range(len(ys) - 1):
            row = []
            for c in range(width):
                if (r, c) in starts:
                    row.append(starts[(r, c)])
                elif (r, c) not in covered:
                    row.append((_Cell(0, 0, 0, 0, ""), 1, 1))
            rows.append(row)
        return rows, width

    def row_edges(self) -> list[float]:
        return _boundaries([c.top for c in self.cells] + [c.bottom for c in self.cells])

    def row_texts(self) -> list[list[str]]:
        rows, _ = self.structure()
        return [[cell.text for cell, _, _ in row] for row in rows]


def _boundaries(values: list[float]) -> list[float]:
    snapped: list[float] = []
    for value in sorted(values):
        if not snapped or value - snapped[-1] > _SNAP:
            snapped.append(value)
    return snapped


def _index(boundaries: list[float], value: float) -> int:
    return min(range(len(boundaries)), key=lambda i: abs(boundaries[i] - value))


def _cell_text(chars: list[dict]) -> str:
    """The text of one cell: its lines joined (a wrapped label is one label)."""
    lines = _lines(chars)
    text = ""
    for line in lines:
        text = _join_text(text, line.text) if text else line.text
    return text.strip()


def _inside(char: dict, box: tuple[float, float, float, float]) -> bool:
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _ruled_tables(page, chars: list[dict], number: int) -> list[_Table]:
    found = page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines",
                              "snap_tolerance": 3, "join_tolerance": 3, "intersection_tolerance": 3})
    tables = []
    for table in found:
        if len(table.rows) < 2 or len(table.columns) < 2:
            continue  # a box around a paragraph or a page border, not a table
        by_cell: dict[int, list[dict]] = defaultdict(list)
        boxes = list(table.cells)
        for char in chars:
            if _inside(char, table.bbox):
                hit = next((i for i, box in enumerate(boxes) if _inside(char, box)), None)
                if hit is not None:
                    by_cell[hit].append(char)
        cells = [_Cell(box[0], box[1], box[2], box[3], _cell_text(by_cell[i])) for i, box in enumerate(boxes)]
        tables.append(_Table(number, cells, ruled=True))
    return tables


# -- text grids (tables without ruling) -----------------------------------------------------------

@dataclass
class _Word:
    x0: float
    x1: float
    text: str


def _words(line: _Line) -> list[_Word]:
    """A line cut into words at gaps of more than half a character (cells of an unruled table)."""
    words: list[_Word] = []
    group: list[dict] = []
    for char in line.chars:
        if not char["text"].strip():
            continue
        if group and char["x0"] - group[-1]["x1"] > 0.6 * max(char["size"], 1.0):
            words.append(_Word(group[0]["x0"], group[-1]["x1"], _join_chars(group)))
            group = []
        group.append(char)
    if group:
        words.append(_Word(group[0]["x0"], group[-1]["x1"], _join_chars(group)))
    return words


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.replace(" ", "")))


def _is_row_line(line: _Line) -> bool:
    """A line that reads as a table row: words standing apart, one of them a number (a 2021
    主动公开 row is a label and one number)."""
    words = _words(line)
    return len(words) >= 2 and any(_is_number(w.text) for w in words[1:]) and not _is_sentence(line)


def _grid_regions(lines: list[_Line]) -> list[tuple[int, int, int]]:
    """(header start, first numeric line, last numeric line) of each run that looks like a table
    without ruling: two or more lines whose numbers stand apart (gaps between them allowed for
    wrapped labels), and the header lines right above them (several words or words over the
    number columns, no sentence)."""
    numeric = [_is_row_line(line) for line in lines]
    regions = []
    i = 0
    while i < len(lines):
        if not numeric[i]:
            i += 1
            continue
        j, gap = i, 0
        for k in range(i + 1, len(lines)):
            if numeric[k]:
                j, gap = k, 0
            elif _is_sentence(lines[k]) or (gap := gap + 1) > 3:
                break
        if sum(numeric[i:j + 1]) >= 2:
            start = i
            while start > 0 and i - start < 6 and _is_header_line(lines[start - 1]):
                start -= 1
            regions.append((start, i, j))
        i = j + 1
    return regions


def _is_sentence(line: _Line) -> bool:
    return any(ch in line.text for ch in "。；;") or len(line.text) > 60


def _is_header_line(line: _Line) -> bool:
    return not _is_sentence(line) and (len(_words(line)) >= 2 or line.size < 12)


def _text_grid(lines: list[_Line], first_numeric: int, number: int) -> _Table:
    """An unruled table as cells. Columns are where the numbers of the data rows line up; every
    line with numbers is a row, and a line without numbers joins the row nearest to it (a wrapped
    label, a group label set beside several rows); header lines are rows of their own, each word
    over the columns it covers. Label words (left of the first number column) make one label cell
    per row, read column by column."""
    body = lines[first_numeric:]
    anchors = [line for line in body if _is_row_line(line)]
    data_words = [w for line in anchors for w in _words(line) if _is_number(w.text)]
    columns: list[list[_Word]] = []
    for word in sorted(data_words, key=lambda w: (w.x0 + w.x1) / 2):
        center = (word.x0 + word.x1) / 2
        if columns and center - (columns[-1][-1].x0 + columns[-1][-1].x1) / 2 <= max(6.0, word.x1 - word.x0):
            columns[-1].append(word)
        else:
            columns.append([word])
    centers = [statistics.median((w.x0 + w.x1) / 2 for w in column) for column in columns]
    lefts = [min(w.x0 for w in column) for column in columns]
    rights = [max(w.x1 for w in column) for column in columns]
    edges = [lefts[0] - 1] + [(rights[i] + lefts[i + 1]) / 2 for i in range(len(columns) - 1)] + [rights[-1] + 1]
    label_left = min(line.x0 for line in lines) - 1
    rows: list[tuple[float, float, list[_Line]]] = [(line.top, line.bottom, [line]) for line in lines[:first_numeric]]
    anchor_rows = {id(line): [line] for line in anchors}
    for line in body:
        if id(line) in anchor_rows:
            continue
        if any((w.x0 + w.x1) / 2 >= edges[0] for w in _words(line)):  # words over the columns: a header row
            rows.append((line.top, line.bottom, [line]))
        else:  # a label line alone: part of the row beside it
            middle = (line.top + line.bottom) / 2
            nearest = min(anchors, key=lambda a: abs((a.top + a.bottom) / 2 - middle))
            anchor_rows[id(nearest)].append(line)
    rows += [(min(l.top for l in group), max(l.bottom for l in group), group)
             for group in (anchor_rows[id(a)] for a in anchors)]
    rows.sort(key=lambda row: row[0])
    cells: list[_Cell] = []
    labels: list[_Cell] = []
    for index, (top, _, group) in enumerate(rows):
        bottom = rows[index + 1][0] if index + 1 < len(rows) else rows[index][1]
        label: list[tuple[float, float, str]] = []
        placed: dict[tuple[int, int], list[str]] = defaultdict(list)
        for line in sorted(group, key=lambda l: l.top):
            for word in _words(line):
                center = (word.x0 + word.x1) / 2
                if center < edges[0]:
                    label.append((word.x0 // (1.5 * max(line.size, 1.0)), line.top, word.text))
                    continue
                spanned = [i for i, c in enumerate(centers) if word.x0 - 2 <= c <= word.x1 + 2] or \
                    [min(range(len(centers)), key=lambda i: abs(centers[i] - center))]
                placed[(spanned[0], spanned[-1])].append(word.text)
        labels.append(_Cell(label_left, top, edges[0], bottom, "".join(text for *_, text in sorted(label))))
        taken: set[int] = set()
        for (c0, c1), texts in sorted(placed.items()):
            if any(c in taken for c in range(c0, c1 + 1)):
                continue
            taken.update(range(c0, c1 + 1))
            cells.append(_Cell(edges[c0], top, edges[c1 + 1], bottom, "".join(texts)))
    _group_labels_to_run_start(labels)
    return _Table(number, cells + labels, ruled=False)


_ITEM_NUMBER = re.compile(r"(?<![\d.])(\d{1,2})[.、．](?!\d)")
_GROUP_NUMERAL = re.compile(r"[（(][一二三四五六七八九十]{1,2}[)）]")


def _group_labels_to_run_start(labels: list[_Cell]) -> None:
    """Without ruling, a group label set vertically centred beside its numbered items (（五） beside
    1.… 5.…) lands on a middle row; move its numeral to the row where the numbering starts at 1,
    which is where an HTML rowspan would put it."""
    numbers = [int(m.group(1)) if (m := _ITEM_NUMBER.search(cell.text)) else None for cell in labels]
    start = None
    for index, number in enumerate(numbers):
        if number == 1:
            start = index
        elif number is None or start is None or numbers[index - 1] != number - 1:
            start = None
            continue
        numeral = _GROUP_NUMERAL.search(labels[index].text)
        if numeral and index != start and not _GROUP_NUMERAL.search(labels[start].text):
            labels[index].text = labels[index].text.replace(numeral.group(0), "", 1)
            labels[start].text = numeral.group(0) + labels[start].text


# -- page furniture -------------------------------------------------------------------------------

def _furniture_key(line: _Line) -> tuple[str, int]:
    """A running header is the same words at the same height on every page (a title that repeats
    the header's words further down page 1 is not one)."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text)), round(line.top / 6)


def _furniture(pages: list[tuple[float, list[_Line]]]) -> set[int]:
    """ids of the lines that are page numbers or running headers/footers."""
    dropped: set[int] = set()
    recurring: dict[tuple[str, tuple[str, int]], set[int]] = defaultdict(set)
    for index, (height, lines) in enumerate(pages):
        for line in lines:
            band = "top" if line.bottom <= height * _HEADER_BAND else "bottom" if line.top >= height * _FOOTER_BAND else None
            if band is None:
                continue
            if _PAGE_NUMBER.match(re.sub(r"\s+", "", line.text)):
                dropped.add(id(line))
            else:
                recurring[(band, _furniture_key(line))].add(index)
    threshold = max(2, _RECURRING_SHARE * len(pages))
    repeated = {key for key, on_pages in recurring.items() if len(on_pages) >= threshold}
    for height, lines in pages:
        for line in lines:
            band = "top" if line.bottom <= height * _HEADER_BAND else "bottom" if line.top >= height * _FOOTER_BAND else None
            if band is not None and (band, _furniture_key(line)) in repeated:
                dropped.add(id(line))
    return dropped


# -- paragraphs -----------------------------------------------------------------------------------

def _join_text(left: str, right: str) -> str:
    """Two pieces of one sentence: no space where either side is Chinese."""
    if not left or not right:
        return left + right
    if _is_wide(left[-1]) or _is_wide(right[0]) or left.endswith("-"):
        return left + right
    return left + " " + right


# A line opening a numbered part or item starts a paragraph even when it is not indented.
_HEADING_START = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十]+[章节部分条])")


@dataclass
class _Layout:
    """The body's geometry, measured over the whole document."""

    left: float
    right: float
    size: float
    pitch: float

    @classmethod
    def of(cls, pages: list[list[_Line]]) -> "_Layout":
        lines = [line for page in pages for line in page]
        if not lines:
            return cls(0, 0, 10, 12)
        size = Counter(round(line.size) for line in lines for _ in line.text).most_common(1)[0][0]
        body = [line for line in lines if abs(line.size - size) < 1] or lines
        left = Counter(round(line.x0) for line in body).most_common(1)[0][0]
        rights = sorted(line.x1 for line in body)
        right = rights[int(0.9 * (len(rights) - 1))]
        gaps = [b.top - a.top for page in pages for a, b in zip(page, page[1:])
                if abs(a.size - size) < 1 and abs(b.size - size) < 1 and 0 < b.top - a.top < 3 * size]
        return cls(left, right, size, statistics.median(gaps) if gaps else 1.5 * size)

    def continues(self, previous: _Line, line: _Line, same_page: bool) -> bool:
        """Whether ``line`` carries on the paragraph ``previous`` ended."""
        if abs(previous.size - line.size) >= 1:
            return False
        if previous.size > self.size + 1:  # a title set in two lines, both centred
            return same_page and line.top - previous.bottom < previous.size and self._centred(previous) \
                and self._centred(line)  # not full lines: a centred title wraps anywhere
        full = previous.x1 >= self.right - 1.2 * previous.size
        indented = line.x0 >= self.left + 1.0 * line.size
        close = not same_page or line.top - previous.top <= 1.8 * self.pitch
        return full and not indented and close and not _HEADING_START.match(line.text)

    def _centred(self, line: _Line) -> bool:
        return abs((line.x0 + line.x1) / 2 - (self.left + self.right) / 2) < 2 * line.size


# -- the document ---------------------------------------------------------------------------------

def read_pdf(body: bytes, tables: bool = True) -> PdfContent:
    """Text, markup and table count of a PDF (the caller has checked its page count and streams).
    ``tables=False`` skips finding tables (their cells come out as lines of text): what the text
    alone costs, for ``bench/documents.py``."""
    import pdfplumber

    pages_lines: list[tuple[float, list[_Line]]] = []
    page_tables: list[list[_Table]] = []
    empty_pages: list[int] = []
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            chars, unreadable = _page_chars(page)
            if unreadable:
                empty_pages.append(number)
            ruled = _ruled_tables(page, chars, number) if tables else []
            loose = [c for c in chars if not any(_inside(c, (t.x0, t.top, t.x1, t.bottom)) for t in ruled)]
            pages_lines.append((float(page.height), _lines(loose)))
            page_tables.append(ruled)
        count = len(pdf.pages)
    dropped = _furniture(pages_lines)
    body_lines = [[line for line in lines if id(line) not in dropped] for _, lines in pages_lines]
    if tables:
        _add_text_grids(body_lines, page_tables)
    layout = _Layout.of(body_lines)
    blocks = _blocks(body_lines, page_tables, layout)
    text_parts, markup, grids, found = [], [], [], 0
    for block in blocks:
        if isinstance(block, _Table):
            found += 1
            rows, _ = block.structure()
            text_parts.extend("\t".join(cell.text for cell, _, _ in row if cell.text) for row in rows)
            (markup if block.ruled else grids).append(_table_html(rows))
        else:
            text_parts.append(block)
            markup.append(f"<p>{html_lib.escape(block)}</p>")
    text = "\n".join(part for part in text_parts if part.strip())
    return PdfContent(text, "\n".join(markup), "\n".join(grids), count, tuple(empty_pages), found)


def _add_text_grids(pages: list[list[_Line]], tables: list[list[_Table]]) -> None:
    """Read the unruled tables of every page into ``tables`` and take their lines out of ``pages``.
    A table that runs to the end of a page and on from the top of the next is read as one, from
    the lines of both (the second page's lines moved below the first's), so its columns are one
    set."""
    regions = [_grid_regions(lines) for lines in pages]
    groups: list[list[tuple[int, int, int, int]]] = []  # per table: (page index, start, first, last)
    for index, page_regions in enumerate(regions):
        for start, first, last in page_regions:
            previous = groups[-1][-1] if groups else None
            if previous is not None and start == 0 and previous[0] == index - 1 \
                    and previous[3] == len(pages[index - 1]) - 1:
                groups[-1].append((index, start, first, last))
            else:
                groups.append([(index, start, first, last)])
    for group in groups:
        index, start, first, _ = group[0]
        lines: list[_Line] = []
        for page, part_start, _, part_last in group:
            part = pages[page][part_start:part_last + 1]
            if lines:
                shift = lines[-1].bottom + lines[-1].size - part[0].top
                for line in part:
                    line.top, line.bottom = line.top + shift, line.bottom + shift
            lines.extend(part)
        grid = _text_grid(lines, first - start, index + 1)
        grid_top = pages[index][start].top
        tables[index].append(grid)
        grid.anchor_top = grid_top
    for page, page_regions in enumerate(regions):
        for start, _, last in reversed(page_regions):
            del pages[page][start:last + 1]


def _page_chars(page) -> tuple[list[dict], bool]:
    """The page's upright characters, and whether the page lacks a readable text layer (no text
    but images, or mostly glyphs whose font maps to no Unicode)."""
    chars = [c for c in page.dedupe_chars().chars if c.get("upright", True)]
    visible = [c for c in chars if c["text"].strip()]
    unmapped = [c for c in visible if _UNMAPPED.match(c["text"])]
    if not visible:
        return [], bool(page.images)
    if len(unmapped) > len(visible) / 2:
        return [], True
    return [c for c in chars if not _UNMAPPED.match(c["text"])], False


def _blocks(pages: list[list[_Line]], tables: list[list[_Table]], layout: _Layout) -> list[str | _Table]:
    """Paragraphs and tables in reading order, paragraphs and tables that a page break split joined."""
    blocks: list[str | _Table] = []
    last_line: _Line | None = None  # the last line of the paragraph being built
    same_page = True
    for page_lines, page_tables in zip(pages, tables):
        items: list[tuple[float, object]] = [(line.top, line) for line in page_lines]
        items += [(table.top, table) for table in page_tables]
        items.sort(key=lambda item: item[0])
        for index, (_, item) in enumerate(items):
            if isinstance(item, _Table):
                previous = blocks[-1] if blocks else None
                if index == 0 and isinstance(previous, _Table) and _continues(previous, item):
                    _append_continuation(previous, item)
                else:
                    blocks.append(item)
                last_line = None
                continue
            if last_line is not None and isinstance(blocks[-1], str) and layout.continues(last_line, item, same_page):
                blocks[-1] = _join_text(blocks[-1], item.text)
            else:
                blocks.append(item.text)
            last_line = item
            same_page = True
        same_page = False
    return blocks


def _continues(first: _Table, second: _Table) -> bool:
    """A table at the top of a page carries on the table that ended the page before: same kind,
    same left and right edges, and column edges that agree."""
    if not (first.ruled and second.ruled):
        return False  # grids from word positions are joined before (``_add_text_grids``)
    if abs(first.x0 - second.x0) > 3 or abs(first.x1 - second.x1) > 3:
        return False
    _, first_width = first.structure()
    _, second_width = second.structure()
    edges = _boundaries([c.x0 for c in first.cells + second.cells] + [c.x1 for c in first.cells + second.cells])
    return len(edges) - 1 <= max(first_width, second_width) + 1


_ROW_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．](?!\d))")


def _append_continuation(first: _Table, second: _Table) -> None:
    """Join ``second`` (the next page's part) below ``first``. Word's page breaks leave three
    things to undo: header rows repeated on the new page (dropped); a vertically merged cell cut
    in two, its text above the break and an empty box below (made one cell again); and a row that
    broke across the pages (Word's default), its cells' last lines in a first row of their own
    with no numbers and no row number of its own (joined to the row above)."""
    first_rows, second_rows = first.row_texts(), second.row_texts()
    repeated = 0
    while repeated < min(len(first_rows), len(second_rows) - 1) and any(second_rows[repeated]) \
            and second_rows[repeated] == first_rows[repeated]:
        repeated += 1
    cut = second.row_edges()[repeated]
    cells = sorted((c for c in second.cells if c.top >= cut - _SNAP), key=lambda c: (c.top, c.x0))
    if not cells:
        return
    offset = first.bottom - cells[0].top
    for cell in cells:
        cell.top += offset
        cell.bottom += offset
    top = first.bottom
    row_bottom = min(c.bottom for c in cells if abs(c.top - top) <= _SNAP)
    opening = [c for c in cells if abs(c.top - top) <= _SNAP and abs(c.bottom - row_bottom) <= _SNAP]
    last_row = [c for c in first.cells if abs(c.bottom - first.bottom) <= _SNAP]
    split_row = any(c.text for c in last_row) and any(c.text for c in opening) and not any(
        _is_number(c.text) or _ROW_MARKER.match(c.text) for c in opening)
    for cell in cells:
        above = next((c for c in last_row if abs(c.x0 - cell.x0) <= _SNAP and abs(c.x1 - cell.x1) <= _SNAP), None)
        if above is not None and abs(cell.top - top) <= _SNAP and (
                (split_row and cell in opening) or (not cell.text and above.text and _spans_rows(first, above))):
            above.text = _join_text(above.text, cell.text)
            above.bottom = cell.bottom
            continue
        first.cells.append(cell)


def _spans_rows(table: _Table, cell: _Cell) -> bool:
    ys = table.row_edges()
    return _index(ys, cell.bottom) - _index(ys, cell.top) > 1


def _table_html(rows: list[list[tuple[_Cell, int, int]]]) -> str:
    def td(cell: _Cell, colspan: int, rowspan: int) -> str:
        spans = (f' colspan="{colspan}"' if colspan > 1 else "") + (f' rowspan="{rowspan}"' if rowspan > 1 else "")
        return f"<td{spans}>{html_lib.escape(cell.text)}</td>"

    return "<table>" + "".join("<tr>" + "".join(td(*cell) for cell in row) + "</tr>" for row in rows) + "</table>"
