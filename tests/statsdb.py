"""Test helper: put a report with given statistics tables into a real Store, through the real parser.

The tables are rendered as the demo's statistics web renders them (``govreports.demo.tables``: the
markup of real 2019/2021 reports, blank cells included), parsed by ``parsing.content.parse_content``
and loaded by ``Store.load``, so a test states the numbers as printed and reads back what the
pipeline made of them.
"""
from __future__ import annotations

import hashlib

from bs4 import BeautifulSoup

from govreports.demo.tables import APPLICANTS, StatsReport, report_body, report_title
from parsing.content import parse_content
from core.document import Document
from storage.store import Store


def requests_cells(rows: dict[str, dict[str, int]]) -> dict[tuple[str, str], int]:
    """{row: {column: value}} → the (row, column) map the renderer takes; 总计 added per row."""
    cells: dict[tuple[str, str], int] = {}
    for row, columns in rows.items():
        for column, value in columns.items():
            cells[(row, column)] = value
        if "total" not in columns:
            cells[(row, "total")] = sum(columns.get(c, 0) for c in APPLICANTS)
    return cells


def load_report(store: Store, agency: str, year: int, requests: dict, review: dict | None = None,
                run_id: int | None = None, published: str | None = None, url: str | None = None) -> str:
    """Load one report; returns its id. ``requests`` as from ``requests_cells``; blanks are cells
    left out (or 0 in the research / nonprofit / legal-service columns, which print blank)."""
    fmt = "2021" if year >= 2021 else "2019"
    report = StatsReport(agency, year, fmt, requests, review or {}, published or f"{year + 1}-01-20")
    html = report_body(report)
    text = BeautifulSoup(html, "lxml").get_text("\n")
    content = parse_content(text, html=html, year=year)
    run_id = run_id if run_id is not None else store.start_run("crawl", {})
    url = url or f"http://127.0.0.1:9/{hashlib.sha256(agency.encode()).hexdigest()[:6]}/{year}.html"
    snapshot = hashlib.sha256(html.encode()).hexdigest()
    store.save_snapshot(snapshot, html.encode(), "text/html; charset=utf-8")
    document = Document(source_id="test", official=True, url=url, final_url=url, kind="html", snapshot_hash=snapshot,
                        agency=agency, year=year, title=report_title(report), published=report.published,
                        text=text, text_original=text, content=content)
    store.load(document, run_id, lambda copy: content)
    from dedup.identity import report_id_for

    return report_id_for(agency, year)


def simple_requests(received: int, carried_over: int, disclosed: int, partial: int, withheld: int, not_held: int,
                    carried_forward: int, *, blank_partial: bool = False) -> dict:
    """A one-column (自然人) table whose identities hold when the numbers add up:
    received + carried_over == disclosed + partial + withheld + not_held + carried_forward."""
    rows = {"received": {"natural_person": received}, "carried_over": {"natural_person": carried_over},
            "disclosed": {"natural_person": disclosed},
            "withheld.third_party": {"natural_person": withheld},
            "unavailable.not_held": {"natural_person": not_held},
            "total": {"natural_person": disclosed + partial + withheld + not_held},
            "carried_forward": {"natural_person": carried_forward}}
    if not blank_partial:
        rows["partially_disclosed"] = {"natural_person": partial}
    return requests_cells(rows)
