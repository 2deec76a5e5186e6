"""Read the store into the shapes the data views need: the numbers metrics are computed from, the
cross-year carry-over check, agencies in their place, and the sources kept in the database.

Read only, and the same on SQLite and Postgres. Browse, plot, metrics and compare read through here;
the computations themselves are pure (``analysis.metrics``, ``parsing.crossyear``,
``core.regions``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from pathlib import Path

from sqlalchemy import or_, select

from analysis.metrics import Cell, ReportNumbers
from core.regions import PLACE_KEYS, Place, places
from core.sources import Source
from parsing.crossyear import carry_over, carry_over_flag
from core.document import Flag
from storage.models import FigureRow, FlagRow, Report, SourceRow, StatRow
from storage.store import Store

_METRIC_CELLS = or_((StatRow.table == "requests") & (StatRow.column == "total"),
                    StatRow.table == "review_litigation")


def report_numbers(store: Store, agency: str | None = None) -> list[ReportNumbers]:
    """Per report: the cells the metrics read (the 申请 table's 总计 column and the 复议/诉讼 row),
    key figures with how they were read, and the identities each table breaks."""
    with store.session() as s:
        query = select(Report.id, Report.agency, Report.year).order_by(Report.agency, Report.year)
        if agency is not None:
            query = query.where(Report.agency == agency)
        reports = s.execute(query).all()
        ids = [r.id for r in reports]
        cells: dict[str, dict] = defaultdict(dict)
        figures: dict[str, dict] = defaultdict(dict)
        methods: dict[str, dict] = defaultdict(dict)
        broken: dict[str, dict] = defaultdict(lambda: defaultdict(list))
        for chunk in _chunks(ids):
            for c in s.scalars(select(StatRow).where(StatRow.report_id.in_(chunk), _METRIC_CELLS)):
                cells[c.report_id][(c.table, c.row, c.column)] = Cell(c.table, c.row, c.column, c.value, c.empty)
            for f in s.scalars(select(FigureRow).where(FigureRow.report_id.in_(chunk))):
                figures[f.report_id][f.key] = f.value
                methods[f.report_id][f.key] = f.method
            for f in s.scalars(select(FlagRow).where(FlagRow.report_id.in_(chunk), FlagRow.kind == "check_failed")):
                check = (f.data or {}).get("check", f.detail)
                if check not in broken[f.report_id][f.table]:
                    broken[f.report_id][f.table].append(check)
    return [ReportNumbers(r.id, r.agency, r.year, cells[r.id], figures[r.id], methods[r.id],
                          {t: tuple(v) for t, v in broken[r.id].items()}) for r in reports]


def _chunks(ids: list[str], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def carry_over_row(s, report_id: str, row: str) -> dict[str, float]:
    """{column: value} of one row of a report's 申请 table (the first table of that kind)."""
    values: dict[str, float] = {}
    for column, value in s.execute(select(StatRow.column, StatRow.value).where(
            StatRow.report_id == report_id, StatRow.table == "requests", StatRow.row == row).order_by(StatRow.id)):
        values.setdefault(column, value)
    return values


def report_ref(report: Report) -> dict:
    return {"id": report.id, "agency": report.agency, "year": report.year, "url": report.url}


def carry_over_for(s, report: Report) -> tuple[Report | None, list]:
    """The agency's report for the year before, and the column-by-column check against it."""
    earlier = s.scalars(select(Report).where(Report.agency == report.agency, Report.year == report.year - 1)).first()
    if earlier is None:
        return None, []
    forward = carry_over_row(s, earlier.id, "carried_forward")
    over = carry_over_row(s, report.id, "carried_over")
    return earlier, carry_over(forward, over)


def carry_over_flag_for(s, report: Report) -> Flag | None:
    """The ``carry_over_mismatch`` flag of a report (the later of the two years), or None."""
    earlier, checked = carry_over_for(s, report)
    if earlier is None:
        return None
    return carry_over_flag(checked, report_ref(earlier), report_ref(report))


def sources_in_db(store: Store) -> list[Source]:
    """The sources of every crawl, as last recorded (for the ledger when no sources file is given)."""
    known = {f.name for f in fields(Source)}
    with store.session() as s:
        rows = list(s.scalars(select(SourceRow).order_by(SourceRow.id)))
    out = []
    for row in rows:
        config = {k: tuple(v) if isinstance(v, list) else v for k, v in (row.config or {}).items() if k in known}
        out.append(Source(**config))
    return out


def agency_places(store: Store, sources: list[Source] | None = None) -> dict[str, Place]:
    """A place for every agency with a report or a named source: the sources' keys, else inference."""
    sources = sources if sources is not None else sources_in_db(store)
    given = {s.name: {k: getattr(s, k) for k in PLACE_KEYS} for s in sources if s.name}
    with store.session() as s:
        agencies = set(s.scalars(select(Report.agency).distinct()))
    return places(agencies | set(given), given)


def open_for_reading(db: str | None) -> Store:
    """A Store over an existing database, never creating or migrating one (read commands: browse,
    plot, metrics, compare). A missing SQLite file or an empty database is bad input (exit 2)."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from core.errors import ConfigError
    from storage.db import resolve_db_url

    url = resolve_db_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and (not parsed.database or not Path(parsed.database).is_file()):
        raise ConfigError(f"no database at {parsed.database or url}: crawl into it first, or pass --db")
    store = Store(url, create=False)
    try:
        has_reports = inspect(store.engine).has_table("reports")
    except OperationalError as exc:
        store.close()
        raise ConfigError(f"cannot open the database {parsed.render_as_string(hide_password=True)}: "
                          f"{str(exc.orig).strip().splitlines()[0]}") from None
    if not has_reports:
        store.close()
        raise ConfigError(f"{parsed.render_as_string(hide_password=True)} is not a govreports database (no reports table)")
    return store
