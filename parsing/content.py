"""One document's body → ``ContentParse``: format, sections, cells, figures and flags.

Tables are taken per table kind from the first source that has that table: the markup (an HTML
page's tables, or a PDF's / Word file's ruled tables with their merged cells), then the workbook
attachments (XLSX, XLS), then the text. The last rank has two readers of the same printed numbers:
the flattened text, and for a PDF the grid read from word positions where nothing is ruled; per
table the one that read more cells wins (positions keep blank cells in their columns, flattened text
cannot; a header over many unruled columns is easier to read in printed order). Flattened text is,
for a page with tables, the same tables again and must not be counted twice. A source with two
tables of one kind keeps one (``parsing.duplicate_tables``). A 2019+ table heading with nothing
under it is an image-only table and is flagged, not read as zeros.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace


from parsing.checks import check_cells
from parsing.duplicate_tables import keep_one_table_per_kind
from parsing.figures import extract_figures
from parsing.sections import split_sections
from parsing.tables import PROACTIVE, REQUESTS, REVIEW, TableParse, parse_html_tables
from parsing.tables_text import parse_text_tables
from parsing.tables_xlsx import XlsxReadError, parse_xlsx_tables
from core.document import ContentParse, Flag, Section

FORMAT_2019 = "2019"
FORMAT_2021 = "2021"
_TABLE_SECTIONS = (PROACTIVE, REQUESTS, REVIEW)  # section keys that hold a statistics table in 2019+
# Words only one layout prints (used when there is no table and no year).
_TEXT_MARKERS = {FORMAT_2021: ("本年制发件数", "逾期不补正"), FORMAT_2019: ("本年新制作数量", "其他对外管理服务事项")}


def _most_cells(sources: Sequence[TableParse]) -> TableParse:
    """Sources of one rank merged: per table kind, the source with the most cells (first on ties)."""
    merged = TableParse()
    for table in sorted({table for source in sources for table in source.tables()}):
        best = max(sources, key=lambda source: sum(cell.table == table for cell in source.cells))
        merged.cells.extend(c for c in best.cells if c.table == table)
        merged.flags.extend(f for f in best.flags if f.table == table)
        merged.formats |= best.formats
    merged.flags.extend(f for source in sources for f in source.flags if f.table is None)
    return merged


def _choose_tables(sources: Sequence[TableParse]) -> TableParse:
    chosen = TableParse()
    for source in sources:
        new = source.tables() - chosen.tables()
        chosen.cells.extend(c for c in source.cells if c.table in new)
        chosen.flags.extend(f for f in source.flags if f.table in new or f.table is None)
        if new:
            chosen.formats |= source.formats
    return chosen


def _xlsx_tables(xlsx: Sequence[bytes], snapshot_hash: str | None) -> TableParse:
    result = TableParse()
    for position, data in enumerate(xlsx):
        try:
            # table_index keeps counting across attachments, so two workbooks never share an index.
            next_index = max((cell.table_index for cell in result.cells), default=-1) + 1
            result.extend(parse_xlsx_tables([data], first_index=next_index))
        except XlsxReadError as error:
            result.flags.append(Flag("xlsx_unreadable", None, f"attachment {position}: {error}",
                                     {"attachment": position, "snapshot": snapshot_hash}))
    return result


def decide_format(layouts: set[str], year: int | None, text: str) -> tuple[str | None, list[Flag]]:
    """The table format: from the tables' layout, else the year, else words only one layout prints."""
    flags: list[Flag] = []
    by_year = None if year is None else FORMAT_2021 if year >= 2021 else FORMAT_2019 if year >= 2019 else None
    if len(layouts) > 1:
        flags.append(Flag("format_conflict", None, f"tables show both layouts {sorted(layouts)}", {"layouts": sorted(layouts)}))
    if layouts:
        layout = FORMAT_2021 if FORMAT_2021 in layouts else FORMAT_2019
        if year is not None and by_year != layout:
            flags.append(Flag("format_year_mismatch", None, f"{layout} layout in a report for {year}",
                              {"layout": layout, "year": year}))
        return layout, flags
    if by_year is not None or year is not None:
        return by_year, flags
    for fmt, words in _TEXT_MARKERS.items():
        if any(word in text for word in words):
            return fmt, flags
    return None, flags


def _image_only_flags(sections: Sequence[Section], tables: set[str], html: str | None) -> list[Flag]:
    """A table heading whose part holds no text and no table: the table was an image."""
    flags = []
    for section in sections:
        if section.key not in _TABLE_SECTIONS or section.key in tables:
            continue
        body = "".join(ch for ch in section.text if ch.isalnum())
        if body == "" or (len(body) < 30 and not any(ch.isdigit() for ch in body) and _html_has_images(html)):
            flags.append(Flag("image_only_table", section.key, section.heading, {"heading": section.heading}))
    return flags


_IMG_TAG = re.compile(r"<img\b", re.I)


def _html_has_images(html: str | None) -> bool:
    # a regex, not a second parse of the page: this runs for every 2019+ report
    return html is not None and _IMG_TAG.search(html) is not None


def _from_markup(html: str | None, origin: str, nodes: Sequence[object] | None = None) -> TableParse:
    if not html:
        return TableParse()
    parsed = parse_html_tables(html, roots=nodes)
    if origin != "html":  # a document's tables, turned into markup by its reader
        parsed.cells = [replace(cell, origin=origin) for cell in parsed.cells]
    return parsed


def parse_content(text: str, *, html: str | None = None, year: int | None = None,
                  xlsx: Sequence[bytes] = (), snapshot_hash: str | None = None, grid_html: str | None = None,
                  origin: str = "html", html_nodes: Sequence[object] | None = None) -> ContentParse:
    """Parse a report body. ``text`` is the simplified body text, ``html`` the simplified main HTML
    (or a document's markup: ``origin`` then names its kind, "pdf", "docx" …, on every cell read
    from it). ``xlsx`` holds the workbooks (XLSX or XLS) attached to the report; ``grid_html`` the
    tables a PDF reader read from word positions.

    ``snapshot_hash`` only labels flags about attachments (which snapshot they came from).
    ``html_nodes``: ``html`` already parsed, as the nodes of the page's tree that it holds (see
    ``extraction.html.Extracted.content_nodes``), so its tables are read without parsing it again.
    """
    sections = split_sections(text)
    text_rank = [parse_text_tables(text)]
    if grid_html:  # first: on a tie the positions win (they keep blank cells in their columns)
        text_rank.insert(0, _from_markup(grid_html, f"{origin}-grid"))
    text_tables = text_rank[0] if len(text_rank) == 1 else _most_cells(text_rank)
    sources = [_from_markup(html, origin, html_nodes), _xlsx_tables(xlsx, snapshot_hash), text_tables]
    tables = keep_one_table_per_kind(_choose_tables(sources))  # cells and figures from the same table
    fmt, flags = decide_format(tables.formats, year, text)
    flags = tables.flags + flags + check_cells(tables.cells)
    flags += _image_only_flags(sections, tables.tables(), html) if fmt is not None else []
    figures, figure_flags = extract_figures(text, tables.cells)
    return ContentParse(format=fmt, sections=sections, cells=tables.cells, figures=figures,
                        flags=flags + figure_flags)
