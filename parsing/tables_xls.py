"""Old Excel (XLS, BIFF) workbooks → rows of cell texts, for the same block and grid reader as XLSX.

xlrd (the reader pandas uses for XLS) gives each sheet's values; a merged range's value sits in its
top-left cell and the others are empty, exactly as openpyxl's read-only mode gives XLSX, so the
tables go through ``parsing.tables_xlsx``'s blocks and grids unchanged.
"""
from __future__ import annotations

import xlrd

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_xls(data: bytes) -> bool:
    return data[:8] == OLE_MAGIC


def xls_sheet_rows(data: bytes) -> list[list[list[object]]]:
    """Every sheet's rows of raw values; raises ``xlrd.XLRDError`` (or another error from a file
    that is not a workbook)."""
    workbook = xlrd.open_workbook(file_contents=data, on_demand=True)
    try:
        return [[sheet.row_values(r) for r in range(sheet.nrows)] for sheet in workbook.sheets()]
    finally:
        workbook.release_resources()
