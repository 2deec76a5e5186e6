"""Arithmetic identities (勾稽关系) of the statistics tables, evaluated from the codebook.

Each identity that does not hold becomes a ``check_failed`` flag carrying the identity and the
numbers. Numbers are never corrected: a report that breaks its own arithmetic is published that way.
An identity is skipped where a named cell is missing (there is nothing to compare); a ``sum(x.*)``
term sums the cells present.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from core.codebook import Check, Term, load_codebook
from core.document import Flag, StatCell

_TOLERANCE = 1e-6  # cells are floats; counts are whole numbers, amounts have at most 6 decimals


def _side(terms: Sequence[Term], values: dict[str, float]) -> dict[str, float] | None:
    """The cells one side of an identity adds up, or None if a named cell is missing."""
    picked: dict[str, float] = {}
    for term in terms:
        if term.is_prefix:
            hits = {code: v for code, v in values.items() if term.matches(code)}
        else:  # one code: a lookup, not a scan of the row
            hits = {term.pattern: values[term.pattern]} if term.pattern in values else {}
        if not hits and not term.is_prefix:
            return None
        picked.update(hits)
    return picked


def _format_side(side: dict[str, float]) -> str:
    shown = " + ".join(f"{_number(v)}" for v in side.values()) or "0"
    return f"{shown} = {_number(sum(side.values()))}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _evaluate(check: Check, where: str, values: dict[str, float], table: str, table_index: int) -> Flag | None:
    lhs, rhs = _side(check.lhs, values), _side(check.rhs, values)
    if lhs is None or rhs is None:
        return None
    lhs_total, rhs_total = sum(lhs.values()), sum(rhs.values())
    if abs(lhs_total - rhs_total) <= _TOLERANCE:
        return None
    detail = f"{check.text} [{where}]: {_format_side(lhs)} ≠ {_format_side(rhs)}"
    data = {"check": check.text, "where": where, "table_index": table_index,
            "lhs": lhs, "rhs": rhs, "lhs_total": lhs_total, "rhs_total": rhs_total}
    return Flag("check_failed", table, detail, data)


def _slices(check: Check, cells: Sequence[StatCell]) -> Iterable[tuple[str, dict[str, float]]]:
    """(where, {code: value}) for every column, row or group the identity ranges over."""
    grouped: dict[str, dict[str, float]] = defaultdict(dict)
    for cell in cells:
        if check.scope == "column":
            grouped[f"column {cell.column}"][cell.row] = cell.value
        elif check.scope == "row":
            grouped[f"row {cell.row}"][cell.column] = cell.value
        else:  # group: review_litigation columns are "<group>.<result>"
            group, _, result = cell.column.partition(".")
            grouped[f"{cell.row} {group}"][result] = cell.value
    return grouped.items()


def check_cells(cells: Sequence[StatCell]) -> list[Flag]:
    """Evaluate every codebook identity on every table present in ``cells``."""
    codebook = load_codebook()
    by_table: dict[tuple[str, int], list[StatCell]] = defaultdict(list)
    for cell in cells:
        by_table[(cell.table, cell.table_index)].append(cell)
    flags = []
    for (table, table_index), table_cells in sorted(by_table.items()):
        for check in codebook.table(table).checks:
            for where, values in _slices(check, table_cells):
                flag = _evaluate(check, where, values, table, table_index)
                if flag is not None:
                    flags.append(flag)
    return flags
