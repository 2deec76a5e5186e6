"""XLSX (and old XLS) attachments → ``StatCell``s, through the same grid reader as HTML tables.

openpyxl's read-only mode does not expose merged ranges: a merged cell's value sits in its top-left
position and the others read as None. The grid reader copes (row labels fall back on the group of
earlier rows; blank header cells right of a group header inherit it). A sheet can hold several tables:
it is cut at blank rows and at title rows (a single filled cell naming a table).
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import openpyxl

from normalization.text import match_key
from parsing.tables import Grid, GridCell, TableParse, parse_grid
from parsing.tables_xls import is_xls, xls_sheet_rows

_TITLE_WORDS = ("主动公开政府信息", "收到和处理政府信息公开申请", "行政复议、行政诉讼", "行政复议和行政诉讼")


class XlsxReadError(ValueError):
    """The bytes are not a readable XLSX workbook."""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_title(row: Sequence[str]) -> bool:
    filled = [text for text in row if text.strip()]
    return len(filled) == 1 and any(word in match_key(filled[0]) for word in _TITLE_WORDS)


def _blocks(rows: list[list[str]]) -> list[list[list[str]]]:
    blocks: list[list[list[str]]] = [[]]
    for row in rows:
        if not any(text.strip() for text in row) or _is_title(row):
            if blocks[-1]:
                blocks.append([])
            continue
        blocks[-1].append(row)
    return [block for block in blocks if block]


def _grid(block: list[list[str]]) -> Grid:
    width = max(len(row) for row in block)
    return [[GridCell(text) for text in row + [""] * (width - len(row))] for row in block]


def workbook_grids(data: bytes) -> list[Grid]:
    """Every table block of every sheet, in sheet order (an XLS workbook is read by xlrd)."""
    if is_xls(data):
        try:
            sheets = xls_sheet_rows(data)
        except Exception as error:  # xlrd raises several types on a file that is not a workbook
            raise XlsxReadError(f"not a readable xls workbook: {type(error).__name__}: {error}") from error
        return [_grid(block) for rows in sheets
                for block in _blocks([[_text(value).strip() for value in row] for row in rows])]
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise XlsxReadError(f"not a readable xlsx workbook: {error}") from error
    try:
        grids = []
        for sheet in workbook.worksheets:
            rows = [[_text(value).strip() for value in row] for row in sheet.iter_rows(values_only=True)]
            grids.extend(_grid(block) for block in _blocks(rows))
        return grids
    finally:
        workbook.close()


def parse_xlsx_tables(workbooks: Sequence[bytes], first_index: int = 0) -> TableParse:
    """Statistics tables of XLSX attachments. ``table_index`` counts table blocks across workbooks.

    Raises ``XlsxReadError`` for a workbook that cannot be opened.
    """
    result = TableParse()
    index = first_index
    for data in workbooks:
        for grid in workbook_grids(data):
            result.extend(parse_grid(grid, table_index=index, origin="xlsx"))
            index += 1
    return result
