"""The metrics' own export (``govreports metrics``): the dictionary, and the values per report or
rolled up by division, level or province, as CSV."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Callable

from analysis.dataviews import agency_places, report_numbers
from analysis.metrics import METRICS, all_metrics, roll_up
from storage.store import Store

PLACE = ("division", "division_code", "level", "agency_kind", "parent", "province")
REPORT_FIELDS = ("report_id", "agency", "year", "metric", "name_zh", "value", "value_pct", "numerator", "denominator",
                 "expression", "caveats", "inputs", *PLACE)
ROLLUP_FIELDS = ("grouping", "group", "year", "metric", "name_zh", "reports", "value", "numerator", "denominator")


def metrics_rows(store: Store, by: str = "report") -> list[dict]:
    values = all_metrics(report_numbers(store))
    places = agency_places(store)
    names = {m.key: m.name_zh for m in METRICS}
    if by == "report":
        rows = []
        for v in values:
            row = v.as_dict()
            row.update(name_zh=names[v.metric], caveats="; ".join(v.caveats),
                       inputs=json.dumps(list(v.inputs), ensure_ascii=False))
            row.update({k: getattr(places[v.agency], k) for k in PLACE})
            rows.append({k: row[k] for k in REPORT_FIELDS})
        return rows
    groups = {agency: getattr(place, by) for agency, place in places.items()}
    return [{"grouping": by, "name_zh": names[r.metric], **r.as_dict()} for r in roll_up(values, groups)]


def write_metrics_csv(rows: list[dict], out: Path) -> int:
    fields = REPORT_FIELDS if rows and "report_id" in rows[0] else ROLLUP_FIELDS
    with Path(out).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: row.get(k) for k in fields} for row in rows)
    return len(rows)


def print_dictionary(echo: Callable[[str], None]) -> None:
    for metric in METRICS:
        echo(f"{metric.key} — {metric.name_zh} ({metric.name_en}): {metric.definition}")
        echo(f"    formula: {metric.formula}")
        echo(f"    caveats: {metric.caveats}")
