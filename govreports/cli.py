"""The command line: a thin layer over the library. Each command is a few lines over a library call;
library errors become one clear line and a non-zero exit (2 for bad input, 1 for failures)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from core.errors import ConfigError, GovreportsError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="govreports: government information disclosure annual reports, every number traceable.")
runs_app = typer.Typer(help="Run history (kept in our own database).", invoke_without_command=True)
reports_app = typer.Typer(help="Reports in the database, with their figures and flags.", invoke_without_command=True)
app.add_typer(runs_app, name="runs")
app.add_typer(reports_app, name="reports")

DB_HELP = "Database URL or SQLite path (default: $GOVREPORTS_DB or ./govreports.db)."


def _prefect_env() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry, ever


def _store(db: str | None, create: bool = True):
    from storage.db import resolve_db_url
    from storage.store import Store

    return Store(resolve_db_url(db), create=create)


@app.command()
def validate(sources: Path = typer.Option(..., "--sources", help="Sources TOML file or directory.")) -> None:
    """Check a sources file without fetching anything."""
    from core.sources import load_sources
    from scrapers.registry import platform_names

    loaded = load_sources(sources, platform_names())
    typer.echo(f"{sources}: {len(loaded)} sources OK")


@app.command()
def crawl(
    sources: Path = typer.Option(..., "--sources", help="Sources TOML file or directory."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    years: Optional[str] = typer.Option(None, "--years", help="Report years to keep, e.g. 2008-2024 or 2019."),
    source: Optional[list[str]] = typer.Option(None, "--source", help="Only this source id (repeatable)."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Sources crawled at once."),
) -> None:
    """Crawl the sources into the database (a Prefect flow run)."""
    from flows.crawl import parse_years, select_sources
    from core.sources import load_sources
    from scrapers.registry import platform_names
    from storage.db import resolve_db_url

    select_sources(load_sources(sources, platform_names()), source)  # validate everything before any fetch or write
    parse_years(years)
    resolve_db_url(db)
    summary = _run_crawl(str(sources), db, years, source, concurrency)
    _print_summary(summary)
    if summary["errors"]["sources"]:
        raise typer.Exit(1)


def _run_crawl(sources: str, db: str | None, years: str | None, source: list[str] | None, concurrency: int) -> dict:
    _prefect_env()
    from flows.crawl import crawl as crawl_flow

    state = crawl_flow(sources_file=sources, db=db, years=years, source_ids=source or None,
                       concurrency=concurrency, return_state=True)
    if state.is_completed() or (state.is_failed() and isinstance(state.data, dict)):
        return state.data if isinstance(state.data, dict) else state.result()
    state.result()  # re-raises the flow's exception
    raise GovreportsError(f"crawl ended in state {state.type}")


def _print_summary(summary: dict) -> None:
    counts, errors = summary["counts"], summary["errors"]
    typer.echo(f"run {summary['run_id']}: {counts['sources']} sources, {counts['listing_pages']} listing pages, "
               f"{counts['candidates']} candidate links, {counts['documents_fetched']} documents fetched "
               f"({counts['resumed']} resumed), {counts['requests']} requests")
    typer.echo(f"  reports: {counts['reports_new']} new, {counts['reports_changed']} changed; copies: "
               f"{counts['copies_added']} added, {counts['copies_unchanged']} unchanged; "
               f"{counts['not_reports']} documents were not reports")
    if errors["by_class"]:
        typer.echo("  failures by class: " + _classes(errors["by_class"]))
    for host_list in ("blocked_hosts", "parked_hosts"):
        if errors[host_list]:
            typer.echo(f"  {host_list.replace('_', ' ')}: {', '.join(errors[host_list])}")
    for source_id, message in errors["sources"].items():
        typer.echo(f"  FAILED {source_id}: {message}")


@app.command()
def reparse(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    force: bool = typer.Option(False, "--force", help="Re-parse every report, even where the parse key is unchanged."),
) -> None:
    """Rebuild every report's figures, stats, sections and flags from stored snapshots (no network)."""
    _prefect_env()
    from flows.reparse import reparse as reparse_flow
    from storage.db import resolve_db_url

    state = reparse_flow(db=resolve_db_url(db), force=force, return_state=True)
    summary = state.data if isinstance(state.data, dict) else state.result()
    counts = summary["counts"]
    typer.echo(f"run {summary['run_id']}: {counts['reports']} reports, {counts['rewritten']} rewritten, "
               f"{counts['unchanged']} unchanged, {counts['failed']} failed")
    for report_id, message in summary["errors"].items():
        typer.echo(f"  FAILED {report_id}: {message}")
    if summary["errors"]:
        raise typer.Exit(1)


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="Output file."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (full records), csv (scalar fields) or sqlite (the browse database)."),
) -> None:
    """Export one record per deduplicated report."""
    from govreports.export import export as export_reports

    if fmt not in ("jsonl", "csv", "sqlite"):
        raise ConfigError(f"--format must be jsonl, csv or sqlite, not {fmt!r}")
    if fmt == "sqlite":  # the browse database (govreports.browse): what `browse` serves, for any backend
        from govreports.browse import build_browse_db
        from analysis.dataviews import open_for_reading

        built = build_browse_db(open_for_reading(db), out)
        typer.echo(f"wrote {built.reports} reports to {out} (open it with `datasette {out}`)")
        return
    count = export_reports(_store(db), out, fmt)
    typer.echo(f"wrote {count} reports to {out}")


@runs_app.callback()
def runs(ctx: typer.Context, db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
         limit: int = typer.Option(20, "--limit", help="How many runs to list.")) -> None:
    """List crawl runs, newest first."""
    ctx.obj = db
    if ctx.invoked_subcommand:
        return
    store = _store(db)
    store.mark_crashed_runs()
    typer.echo(f"{'run':>4}  {'flow':8} {'state':9} {'started (UTC)':19}  {'duration':>8}  {'sources':>7}  "
               f"{'fetched':>7}  {'new':>4}  {'changed':>7}  {'failures':>8}  parameters")
    for run in store.runs(limit):
        counts, errors = run.counts or {}, run.errors or {}
        failures = sum((errors.get("by_class") or {}).values())
        typer.echo(f"{run.id:>4}  {run.flow:8} {run.state:9} {run.started_at:%Y-%m-%d %H:%M:%S}  "
                   f"{_duration(run):>8}  {counts.get('sources', 0):>7}  {counts.get('documents_fetched', 0):>7}  "
                   f"{counts.get('reports_new', 0):>4}  {counts.get('reports_changed', 0):>7}  {failures:>8}  "
                   f"{_short_parameters(run.parameters or {})}")


def _duration(run) -> str:
    return f"{(run.ended_at - run.started_at).total_seconds():.1f}s" if run.ended_at else "-"


def _short_parameters(parameters: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in parameters.items() if v not in (None, [], ""))


@runs_app.command("show")
def runs_show(ctx: typer.Context, run_id: int = typer.Argument(..., help="Run id.")) -> None:
    """One run in full: parameters, counts per stage and source, failures by class."""
    store = _store(ctx.obj)
    run = store.run(run_id)
    if run is None:
        raise ConfigError(f"no run {run_id}")
    counts, errors = run.counts or {}, run.errors or {}
    typer.echo(f"run {run.id}: {run.flow}, {run.state}; started {run.started_at:%Y-%m-%d %H:%M:%S} UTC, "
               f"duration {_duration(run)}; host {run.hostname} pid {run.pid}; Prefect flow run "
               f"{run.prefect_flow_run_id or '-'}")
    typer.echo("parameters: " + json.dumps(run.parameters, ensure_ascii=False))
    from flows.stages import STAGES

    typer.echo("counts per stage:")
    for label, key in STAGES:
        if key in counts:
            typer.echo(f"  {label:28} {counts[key]:>6}")
    ledger_failures = store.failures_by_class(run.id)
    typer.echo("failures by class (documents): " + _classes(errors.get("by_class") or {}))
    typer.echo("fetch attempts by outcome (ledger): " + _classes(ledger_failures))
    for label in ("blocked_hosts", "parked_hosts"):
        if errors.get(label):
            typer.echo(f"{label.replace('_', ' ')}: {', '.join(errors[label])}")
    for source_id, message in (errors.get("sources") or {}).items():
        typer.echo(f"FAILED {source_id}: {message}")
    for key in sorted(set(errors) - {"by_class", "blocked_hosts", "parked_hosts", "sources"}):
        typer.echo(f"{key}: {errors[key]}")
    if counts.get("per_source"):
        typer.echo("per source:")
        for source_id, c in counts["per_source"].items():
            typer.echo(f"  {source_id}: {c.get('listing_pages', 0)} list pages, {c.get('candidates', 0)} candidates, "
                       f"{c.get('new', 0)} new, {c.get('changed', 0)} changed, {c.get('unchanged', 0)} unchanged, "
                       f"failures {_classes(c.get('failures') or {})}")
            if c.get("notes"):
                typer.echo(f"    notes: {_classes(c['notes'])}")


def _classes(counts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"


@app.command()
def coverage(
    sources: Path = typer.Option(..., "--sources", help="Sources TOML file or directory."),
    years: str = typer.Option(..., "--years", help="Report years, e.g. 2008-2024 or 2019."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the ledger as CSV here."),
) -> None:
    """The coverage ledger: found (first seen), late or missing, per agency and year."""
    from flows.crawl import parse_years
    from analysis.coverage import coverage_ledger, status_counts, write_csv
    from core.sources import load_sources
    from scrapers.registry import platform_names

    loaded = load_sources(sources, platform_names())
    span = parse_years(years)
    rows = coverage_ledger(_store(db), loaded, span)
    for row in rows:
        detail = f"first seen {row.first_seen}" if row.first_seen else f"due {row.deadline}"
        typer.echo(f"{row.year}  {row.status:7}  {row.agency}  {detail}" + (f"  ({row.evidence})" if row.evidence else ""))
    tally = status_counts(rows)
    typer.echo(f"{len(rows)} agency-years: {tally['found']} found, {tally['late']} late, {tally['missing']} missing")
    if out is not None:
        write_csv(rows, out)
        typer.echo(f"wrote {out}")


@reports_app.callback()
def reports(ctx: typer.Context, db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List reports: agency, year, key figures, copies, cells, and flags by kind (broken checks, image-only tables…)."""
    ctx.obj = db
    if ctx.invoked_subcommand:
        return
    from govreports.export import report_records

    from collections import Counter

    for r in report_records(_store(db)):
        figures = " ".join(f"{k}={v}" for k, v in r["figures"].items()) or "-"
        kinds = Counter(f["kind"] for f in r["flags"])
        flags = ",".join(f"{kind}×{n}" if n > 1 else kind for kind, n in sorted(kinds.items())) or "none"
        typer.echo(f"{r['id']}  {r['year']}  {r['agency']}  copies={len(r['copies'])} stats={len(r['stats'])} "
                   f"flags={flags}  {figures}")


@reports_app.command("show")
def reports_show(ctx: typer.Context, report_id: str = typer.Argument(..., help="Report id (from `reports`).")) -> None:
    """One report's record, without its full text."""
    from govreports.export import report_records

    for r in report_records(_store(ctx.obj)):
        if r["id"] == report_id:
            r = {k: v for k, v in r.items() if k not in ("text", "text_original")}
            typer.echo(json.dumps(r, ensure_ascii=False, indent=2))
            return
    raise ConfigError(f"no report {report_id}")


@app.command()
def scaffold(
    url: str = typer.Option(..., "--url", help="The agency's annual-report list page."),
    site_id: str = typer.Option(..., "--id", help="Source id (a lower-case slug)."),
    name: Optional[str] = typer.Option(None, "--name", help="The agency (omit for a multi-agency portal)."),
    platform: Optional[str] = typer.Option(None, "--platform", help="Adapter name, when detection is not enough."),
    sources: str = typer.Option("sources/scaffolded.toml", "--sources", help="Sources file to append to."),
    root: Path = typer.Option(Path("."), "--root", help="Repository root (fixtures and tests go under it)."),
) -> None:
    """Add a site: save its list page as a fixture, append a sources entry, write a red test."""
    from govreports.scaffold import scaffold as scaffold_site

    made = scaffold_site(url, site_id, name=name, platform=platform, root=root, sources_file=sources)
    typer.echo(f"fixture {made.fixture}\nsources {made.sources_file}\ntest    {made.test} (red: fill in EXPECTED_REPORTS)")


def _span(years: str | None) -> tuple[int, int] | None:
    from flows.crawl import parse_years

    return parse_years(years)


def _sources_or_db(sources: Path | None):
    from core.sources import load_sources
    from scrapers.registry import platform_names

    return load_sources(sources, platform_names()) if sources is not None else None


@app.command()
def browse(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    port: int = typer.Option(8001, "--port", min=1, max=65535, help="Port on 127.0.0.1."),
    sources: Optional[Path] = typer.Option(None, "--sources", help="Coverage ledger agencies (default: the crawled sources)."),
    years: Optional[str] = typer.Option(None, "--years", help="Coverage ledger years, e.g. 2019-2023 (default: those found)."),
    keep: Optional[Path] = typer.Option(None, "--keep", help="Write the browse database here and keep it (default: a temporary file)."),
) -> None:
    """Browse the database in Datasette on 127.0.0.1: reports, cells, flags, metrics, coverage, canned queries."""
    from govreports.browse import run_browse
    from analysis.dataviews import open_for_reading

    span, chosen = _span(years), _sources_or_db(sources)
    run_browse(open_for_reading(db), port, keep, sources=chosen, years=span, echo=typer.echo)


@app.command()
def plot(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    out: Path = typer.Option(Path("plots"), "--out", help="Directory for the PNG files."),
    sources: Optional[Path] = typer.Option(None, "--sources", help="Coverage ledger agencies (default: the crawled sources)."),
    years: Optional[str] = typer.Option(None, "--years", help="Coverage ledger years (default: those found)."),
    year: Optional[int] = typer.Option(None, "--year", help="Year of the 公开率 distribution (default: the one with most rates)."),
    agency: Optional[list[str]] = typer.Option(None, "--agency", help="Trend pictures only for this agency (repeatable)."),
) -> None:
    """Draw the pictures: coverage heatmap, per-agency trends, the 公开率 distribution (PNG files)."""
    from analysis.dataviews import open_for_reading
    from analysis.plot import plot_store

    span, chosen = _span(years), _sources_or_db(sources)
    store = open_for_reading(db)
    written = plot_store(store, out, chosen, span, year, agency)
    for picture in written:
        typer.echo(f"wrote {picture.path} ({picture.size[0]}×{picture.size[1]})")
    if not written:
        typer.echo("nothing to draw: the database has no reports")


@app.command()
def compare(
    agency: str = typer.Option(..., "--agency", help="The agency's full name, as in `govreports reports`."),
    years: str = typer.Option(..., "--years", help="Two years, e.g. 2022-2023 (carry-over checked for each pair in between)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write every line as CSV here."),
    show_all: bool = typer.Option(False, "--all", help="Print unchanged cells too."),
) -> None:
    """Year over year for one agency: changed cells row by row, figures, metrics, the carry-over check."""
    from govreports.compare import compare as compare_years, render, write_csv
    from analysis.dataviews import open_for_reading

    span = _span(years)
    comparison = compare_years(open_for_reading(db), agency.strip(), span)
    for line in render(comparison, show_all):
        typer.echo(line)
    if out is not None:
        typer.echo(f"wrote {write_csv(comparison, out)} lines to {out}")


@app.command()
def metrics(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the metrics as CSV here."),
    by: str = typer.Option("report", "--by", help="report (one row per report and metric), division, level or province (rolled up)."),
) -> None:
    """The metric dictionary, and the derived metrics per report or rolled up by region (CSV export)."""
    from analysis.dataviews import open_for_reading
    from govreports.metrics_export import metrics_rows, print_dictionary, write_metrics_csv

    if by not in ("report", "division", "level", "province"):
        raise ConfigError(f"--by must be report, division, level or province, not {by!r}")
    rows = metrics_rows(open_for_reading(db), by)
    print_dictionary(typer.echo)
    if out is not None:
        typer.echo(f"wrote {write_metrics_csv(rows, out)} rows to {out}")
    else:
        typer.echo(f"{len(rows)} rows (--out FILE.csv writes them)")


@app.command()
def demo(db: str = typer.Option("govreports-demo/demo.db", "--db", help=DB_HELP)) -> None:
    """Serve the bundled demo sites on 127.0.0.1 and crawl them with the real flow."""
    from govreports.demo.run import run_demo

    run_demo(db, echo=typer.echo, crawl=_run_crawl, print_summary=_print_summary)


def main() -> None:
    try:
        app(standalone_mode=False)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except GovreportsError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
