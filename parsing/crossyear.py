"""The cross-year identity the 申请 table invites: this year's 二、上年结转 should equal last year's
四、结转下年度继续办理, column by column, for the same agency.

Pure functions over cell values; the export (``govreports.export``) turns a mismatch into a
``carry_over_mismatch`` flag on the later report, and ``govreports compare`` prints the same check.
Because the flag is computed from the two reports' stored cells whenever it is read, it holds
whichever of the two years was loaded first, and a re-run can never duplicate it. Numbers are never
corrected: both are shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from core.document import Flag

CHECK_TEXT = "every column: carried_over (this year) == carried_forward (last year)"
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CarryOver:
    column: str
    last_year_forward: float  # requests / carried_forward / column of the earlier report
    this_year_over: float  # requests / carried_over / column of the later report

    @property
    def holds(self) -> bool:
        return abs(self.last_year_forward - self.this_year_over) <= _TOLERANCE


def carry_over(earlier_forward: Mapping[str, float], later_over: Mapping[str, float]) -> list[CarryOver]:
    """Every column present in both reports, in the later report's column order.

    ``earlier_forward``: {column: value} of the earlier year's 结转下年度继续办理 row;
    ``later_over``: {column: value} of the later year's 上年结转 row. A column either report lacks is
    not compared (there is nothing to compare), as the in-table identities do.
    """
    return [CarryOver(column, float(earlier_forward[column]), float(value))
            for column, value in later_over.items() if column in earlier_forward]


def carry_over_flag(checked: list[CarryOver], earlier: Mapping[str, object], later: Mapping[str, object]) -> Flag | None:
    """The flag for the later report when any column differs, else None. ``earlier``/``later``
    describe the two reports (id, agency, year, url) so the flag names both."""
    broken = [c for c in checked if not c.holds]
    if not broken:
        return None
    numbers = ", ".join(f"{c.column}: {_number(c.this_year_over)} ≠ {_number(c.last_year_forward)}" for c in broken)
    detail = (f"上年结转 of {later['year']} ≠ 结转下年度继续办理 of {earlier['year']} ({numbers}; "
              f"this year's report {later['id']}, last year's {earlier['id']})")
    data = {"check": CHECK_TEXT, "earlier": dict(earlier), "later": dict(later),
            "columns": [{"column": c.column, "carried_over": c.this_year_over,
                         "last_year_carried_forward": c.last_year_forward} for c in broken]}
    return Flag("carry_over_mismatch", "requests", detail, data)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
