"""Two statistics tables of one kind in one report: which one the report's cells and figures come from.

Real pages print a kind twice: a corrected table beside the original, a summary plus a per-department
detail table, last year's table for comparison, or the same table twice (a desktop and a mobile
rendering). Storing the first while computing figures from the last gave a report whose cells said 120
and whose figures said 600. The rule, one for cells and figures alike:

1. a table whose own arithmetic holds (the codebook's 勾稽关系) beats one that breaks it — a corrected
   table fixes what the original got wrong;
2. then the table with more cells read — a fragment or a half-read table loses to a full one;
3. then the first in document order — the template prints the report's own table in its section
   (三 for 申请, 四 for 复议诉讼); what follows is appendix material.

Tables of one kind that print *different* rows are parts of one table, not copies: Word splits a
long table at page breaks, and many pages print 主动公开 as one small table per 第二十条 item. Two
tables are copies when at least half of the smaller one's cells (row and column codes) are also in
the other; parts are all kept.

Every report with copies of a kind is flagged ``duplicate_table`` with the kept and the dropped tables
and how many cells differ, so a reader can look at the page.
"""
from __future__ import annotations

from collections import defaultdict

from parsing.checks import check_cells
from parsing.tables import TableParse
from core.document import Flag, StatCell

_KIND_NAMES = {"requests": "申请", "review_litigation": "复议诉讼", "proactive": "主动公开"}


def keep_one_table_per_kind(tables: TableParse) -> TableParse:
    """``tables`` with one table per kind: its cells and its flags, plus a ``duplicate_table`` flag
    for every kind that had more."""
    by_table: dict[tuple[str, int], list[StatCell]] = defaultdict(list)
    for cell in tables.cells:
        by_table[(cell.table, cell.table_index)].append(cell)
    indexes: dict[str, list[int]] = defaultdict(list)
    for kind, index in by_table:
        indexes[kind].append(index)
    if all(len(found) == 1 for found in indexes.values()):
        return tables
    dropped: set[tuple[str, int]] = set()
    duplicate_flags = []
    for kind, found in indexes.items():
        for copies in _copies(kind, sorted(found), by_table):
            kept = min(copies, key=lambda i: _rank(by_table[(kind, i)], i))
            others = [i for i in copies if i != kept]
            dropped.update((kind, i) for i in others)
            duplicate_flags.append(_flag(kind, kept, others, by_table))
    if not dropped:
        return tables
    result = TableParse(formats=set(tables.formats))
    result.cells = [c for c in tables.cells if (c.table, c.table_index) not in dropped]
    result.flags = [f for f in tables.flags if (f.table, f.data.get("table_index")) not in dropped] + duplicate_flags
    return result


# Two tables are copies when this share of the smaller one's cell codes is in the other too.
_COPY_OVERLAP = 0.5


def _copies(kind: str, found: list[int], by_table: dict[tuple[str, int], list[StatCell]]) -> list[list[int]]:
    """Groups (of two or more) of tables of ``kind`` that are copies of each other, in page order."""
    codes = {i: {(c.row, c.column) for c in by_table[(kind, i)]} for i in found}
    groups: list[list[int]] = []
    for index in found:
        for group in groups:
            if any(_overlap(codes[index], codes[other]) >= _COPY_OVERLAP for other in group):
                group.append(index)
                break
        else:
            groups.append([index])
    return [group for group in groups if len(group) > 1]


def _overlap(a: set, b: set) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _rank(cells: list[StatCell], index: int) -> tuple[int, int, int]:
    """Lower is better: identities broken, fewer cells, later in the page."""
    return (len(check_cells(cells)), -len(cells), index)


def _flag(kind: str, kept: int, others: list[int], by_table: dict[tuple[str, int], list[StatCell]]) -> Flag:
    kept_values = {(c.row, c.column): c.value for c in by_table[(kind, kept)]}
    differences = {}
    for index in others:
        values = {(c.row, c.column): c.value for c in by_table[(kind, index)]}
        differences[index] = sum(1 for key in kept_values.keys() | values.keys() if kept_values.get(key) != values.get(key))
    broken = {index: len(check_cells(by_table[(kind, index)])) for index in [kept, *others]}
    described = "; ".join(f"table {i}: {n} cells differ" if n else f"table {i}: the same numbers"
                          for i, n in differences.items())
    detail = (f"{len(others) + 1} {_KIND_NAMES.get(kind, kind)} tables: kept table {kept} "
              f"({'its identities hold' if not broken[kept] else f'{broken[kept]} identities broken'}, "
              f"{len(by_table[(kind, kept)])} cells); dropped {described}")
    return Flag("duplicate_table", kind, detail, {"kept": kept, "dropped": others, "cells_differing": differences,
                                                   "checks_failed": broken})
