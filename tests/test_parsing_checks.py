"""Each codebook identity, broken on purpose, is flagged with its numbers."""
import pytest

from parsing.checks import check_cells
from core.document import StatCell

ORGS = ["natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org"]


def _requests(values):
    """values: {row: [6 org numbers]}; totals computed so every identity holds."""
    cells = []
    for row, numbers in values.items():
        for column, value in zip(ORGS + ["total"], numbers + [sum(numbers)]):
            cells.append(StatCell("requests", row, column, float(value), row, column, 0, "html"))
    return cells


CONSISTENT = {"received": [5, 1, 0, 0, 0, 0], "carried_over": [1, 0, 0, 0, 0, 0],
              "disclosed": [3, 1, 0, 0, 0, 0], "partially_disclosed": [0, 0, 0, 0, 0, 0],
              "withheld.state_secret": [2, 0, 0, 0, 0, 0],
              "total": [5, 1, 0, 0, 0, 0], "carried_forward": [1, 0, 0, 0, 0, 0]}


def _replace(cells, row, column, value):
    return [StatCell(c.table, c.row, c.column, value, c.row_label, c.column_label, 0, "html")
            if (c.row, c.column) == (row, column) else c for c in cells]


def test_consistent_table_has_no_flags():
    assert check_cells(_requests(CONSISTENT)) == []


def test_row_total_identity():
    flags = check_cells(_replace(_requests(CONSISTENT), "disclosed", "total", 5.0))
    row_flags = [f for f in flags if f.data["where"] == "row disclosed"]
    assert row_flags and row_flags[0].data["lhs_total"] == 5 and row_flags[0].data["rhs_total"] == 4


def test_column_balance_identity():
    flags = check_cells(_replace(_requests(CONSISTENT), "carried_forward", "research", 2.0))
    hit = [f for f in flags if f.data["check"].startswith("every column: received") and f.data["where"] == "column research"]
    assert hit and "0 + 0 = 0 ≠ 0 + 2 = 2" in hit[0].detail


def test_column_results_identity():
    flags = check_cells(_replace(_requests(CONSISTENT), "withheld.state_secret", "natural_person", 1.0))
    hit = [f for f in flags if f.data["check"].startswith("every column: total ==") and f.data["where"] == "column natural_person"]
    assert hit and hit[0].data["lhs_total"] == 5 and hit[0].data["rhs_total"] == 4


def test_flag_kind_and_table():
    flag = check_cells(_replace(_requests(CONSISTENT), "disclosed", "total", 9.0))[0]
    assert (flag.kind, flag.table) == ("check_failed", "requests")


def test_numbers_are_not_fixed():
    cells = _replace(_requests(CONSISTENT), "disclosed", "total", 9.0)
    check_cells(cells)
    assert [c for c in cells if (c.row, c.column) == ("disclosed", "total")][0].value == 9.0


@pytest.mark.parametrize("group", ["reconsideration", "litigation_direct", "litigation_after_review"])
def test_review_group_identity(group):
    cells = []
    for g in ["reconsideration", "litigation_direct", "litigation_after_review"]:
        for result, value in [("upheld", 1), ("corrected", 1), ("other", 0), ("pending", 1), ("total", 3)]:
            value = 4 if (g, result) == (group, "total") else value
            cells.append(StatCell("review_litigation", "count", f"{g}.{result}", float(value), "", "", 2, "html"))
    flags = check_cells(cells)
    assert [f.data["where"] for f in flags] == [f"count {group}"]
    assert flags[0].data["lhs_total"] == 4 and flags[0].data["rhs_total"] == 3


def test_missing_named_cell_skips_identity():
    cells = [c for c in _requests(CONSISTENT) if c.row != "carried_forward"]
    assert not any(f.data["check"].startswith("every column: received") for f in check_cells(cells))
