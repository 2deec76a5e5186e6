"""The command line: a thin layer over the library. Each command is a few lines over a library call.

Commands raise the library's errors and never print tracebacks: ``main`` converts every exception
to one line on stderr and the documented exit code, in one place (``exit_for``): 0 done, 1 the run
failed, 2 bad input (usage, sources file, --db, --out), 130 interrupted. ``--debug`` anywhere on
the command line adds the traceback. A new command is one function here; a new export format is
one registered writer in ``govreports.export``.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Optional

import typer

from core.errors import ConfigError, GovreportsError
from core.policy import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="govreports: government information disclosure annual reports, every number traceable.")
runs_app = typer.Typer(help="Run history (kept in our own database).", invoke_without_command=True)
reports_app = typer.Typer(help="Reports in the database, with their figures and flags.", invoke_without_command=True)
app.add_typer(runs_app, name="runs")
app.add_typer(reports_app, name="reports")

DB_HELP = "Database URL or SQLite path (default: $GOVREPORTS_DB or ./govreports.db)."
VERBOSE_HELP = "Show Prefect's own log lines (INFO) on stderr."
# Written to a file or a pipe, rich would wrap tables at 80 columns; a log reads better wider.
PLAIN_WIDTH = 120


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help="On an error, also print its traceback "
                                                               "(accepted anywhere on the command line).")) -> None:
    """govreports: government information disclosure annual reports, every number traceable."""


def _console():
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PLAIN_WIDTH)


EPHEMERAL_STARTUP_SECONDS = 120


def _prefect_defaults() -> None:
    """Settings of ours unless the user set them: no telemetry, ever; and Prefect gives its temporary
    server 20 s to start, which a busy 2-core machine (load 8) exceeded, so the crawl died before it
    began: two minutes."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(EPHEMERAL_STARTUP_SECONDS))


def _prefect_env(verbose: bool = False) -> None:
    """Before a flow runs: our defaults (``_prefect_defaults``); Prefect's console log lines (its
    temporary server, flow and task runs) only with --verbose (they still go to the Prefect API, so the UI has them);
    and a configured Prefect API that answers."""
    _prefect_defaults()
    level = "INFO" if verbose else "CRITICAL"
    os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = level  # read when Prefect configures logging
    import logging

    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()  # Prefect configures logging lazily: do it now, with the level above
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in loggers:  # Prefect was imported earlier in this process (tests, the demo): set it now
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(level)
                if not any(isinstance(f, _NoTracebackForOurErrors) for f in handler.filters):
                    handler.addFilter(_NoTracebackForOurErrors())
    _check_prefect_api()


class _NoTracebackForOurErrors:
    """On the console (--verbose), a task that failed with one of our typed errors (a site that
    refused us, a regressed source) is its one-line message: the traceback of an expected outcome
    says nothing more. The Prefect API handler runs before this one, so the UI keeps it; --debug
    keeps it on the console too."""

    def filter(self, record) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, GovreportsError) and not _DEBUG:
            record.exc_info, record.exc_text = None, None
        return True


def _check_prefect_api() -> None:
    """A configured Prefect API (PREFECT_API_URL, in the environment or a Prefect profile) must
    answer before a run starts; without one, Prefect starts a temporary server itself."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    if not api:
        return
    try:
        httpx.get(f"{api.rstrip('/')}/health", timeout=10, trust_env=False).raise_for_status()
    except httpx.HTTPError as exc:
        raise ConfigError(f"the Prefect API at {api} (PREFECT_API_URL) does not answer ({type(exc).__name__}): "
                          "start that server, or unset PREFECT_API_URL to use a temporary one") from None


def _db_url(db: str | None, *, must_exist: bool) -> str:
    """The database URL, checked before anything else happens (see storage/preflight.py)."""
    from storage.db import resolve_db_url
    from storage.preflight import check_database

    url = resolve_db_url(db)
    check_database(url, must_exist=must_exist)
    return url


def _store(db: str | None):
    """The store of a command that reads: the database must already exist; nothing is created."""
    from storage.store import Store

    return Store(_db_url(db, must_exist=True))


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
    concurrency: int = typer.Option(
        64, "--concurrency", min=1, max=1024,
        help="Hosts crawled at once (each still gets one request at a time, spaced by its delay)."),
    shard: int = typer.Option(0, "--shard", min=0, help="Crawl only this shard of the sources (0-based)."),
    shards: int = typer.Option(1, "--shards", min=1, help="Split the sources into this many shards, one per "
                               "process or machine on one Postgres database (README: From one laptop to N workers)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Crawl the sources into the database (a Prefect flow run); exit code by the run policy (README)."""
    from core.selection import parse_years, select_sources
    from core.sources import load_sources
    from scrapers.registry import platform_names
    from storage.runs import heartbeat_every

    select_sources(load_sources(sources, platform_names()), source)  # validate everything before any fetch or write
    parse_years(years)
    heartbeat_every()  # the run's heartbeat settings (GOVREPORTS_HEARTBEAT_SECONDS, GOVREPORTS_RUN_STALE_SECONDS)
    if shard >= shards:
        raise ConfigError(f"--shard {shard} must be below --shards {shards} (shards are numbered from 0)")
    url = _db_url(db, must_exist=False)  # before Prefect starts: a wrong --db fails in a second
    started = time.monotonic()
    summary = _run_crawl(str(sources), url, years, source, concurrency, verbose=verbose, shard=shard, shards=shards)
    verdict = _print_summary(summary, elapsed=time.monotonic() - started)
    raise typer.Exit(verdict.exit_code)


def _run_crawl(sources: str, db: str | None, years: str | None, source: list[str] | None, concurrency: int,
               verbose: bool = False, shard: int = 0, shards: int = 1) -> dict:
    """Run the crawl flow in this process with the live progress display; returns its summary."""
    _prefect_env(verbose)
    from flows.crawl import crawl as crawl_flow
    from flows.events import listening
    from flows.runtime import summary_of
    from govreports.progress import CrawlProgress

    with CrawlProgress(_console()) as progress, listening(progress):
        state = crawl_flow(sources_file=sources, db=db, years=years, source_ids=source or None,
                           concurrency=concurrency, shard=shard, shards=shards, return_state=True)
    return summary_of(state)


def _print_summary(summary: dict, elapsed: float | None = None):
    """The summary tables; returns the run policy's verdict (its exit code is the command's)."""
    from govreports.summary import print_summary

    return print_summary(summary, _console(), elapsed)


@app.command()
def reparse(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    force: bool = typer.Option(False, "--force", help="Re-parse every report, even where the parse key is unchanged."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Rebuild every report's figures, stats, sections and flags from stored snapshots (no network)."""
    url = _db_url(db, must_exist=True)
    _prefect_env(verbose)
    from flows.reparse import reparse as reparse_flow
    from flows.runtime import summary_of

    summary = summary_of(reparse_flow(db=url, force=force, return_state=True))
    counts = summary["counts"]
    typer.echo(f"run {summary['run_id']}: {counts['reports']} reports, {counts['rewritten']} rewritten, "
               f"{counts['unchanged']} unchanged, {counts['failed']} failed")
    for report_id, message in summary["errors"].items():
        typer.echo(f"  FAILED {report_id}: {message}")
    if summary["errors"]:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="Output file (jsonl, csv) or directory (parquet)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl (full records), csv (reports + NAME.stats.csv), "
                                                      "parquet (a directory: reports.parquet, stats.parquet) or "
                                                      "sqlite (the browse database)."),
) -> None:
    """Export the deduplicated reports (README: "Export formats")."""
    from govreports.export import DIRECTORY, FORMATS, export as export_reports
    from core.output import check_directory, check_file

    chosen = FORMATS.get(fmt)
    if chosen is None:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    (check_directory if chosen.target == DIRECTORY else check_file)(out)  # before any work
    for written in export_reports(_store(db), out, fmt):
        typer.echo(f"wrote {written.rows} {written.what} to {written.path}")


@runs_app.callback()
def runs(ctx: typer.Context, db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
         limit: int = typer.Option(20, "--limit", min=1, help="How many runs to list.")) -> None:
    """List crawl runs, newest first (times in Beijing time, as everywhere in govreports)."""
    from core.dates import beijing_time

    ctx.obj = db
    if ctx.invoked_subcommand:
        return
    store = _store(db)
    store.mark_crashed_runs()
    typer.echo(f"{'run':>4}  {'flow':8} {'state':9} {'started (Beijing)':19}  {'duration':>8}  {'sources':>7}  "
               f"{'fetched':>7}  {'new':>4}  {'changed':>7}  {'failures':>8}  parameters")
    for run in store.runs(limit):
        counts, errors = run.counts or {}, run.errors or {}
        failures = sum((errors.get("by_class") or {}).values())
        typer.echo(f"{run.id:>4}  {run.flow:8} {run.state:9} {beijing_time(run.started_at)}  "
                   f"{_duration(run):>8}  {counts.get('sources', 0):>7}  {counts.get('documents_fetched', 0):>7}  "
                   f"{counts.get('reports_new', 0):>4}  {counts.get('reports_changed', 0):>7}  {failures:>8}  "
                   f"{_short_parameters(run.parameters or {})}")


def _duration(run) -> str:
    return f"{(run.ended_at - run.started_at).total_seconds():.1f}s" if run.ended_at else "-"


def _short_parameters(parameters: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in parameters.items() if v not in (None, [], ""))


@runs_app.command("show")
def runs_show(ctx: typer.Context, run_id: int = typer.Argument(..., help="Run id."),
              db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """One run in full: parameters, counts per stage and source, failures by class."""
    from core.dates import beijing_time

    store = _store(db or ctx.obj)
    run = store.run(run_id)
    if run is None:
        raise ConfigError(f"no run {run_id}")
    counts, errors = run.counts or {}, run.errors or {}
    typer.echo(f"run {run.id}: {run.flow}, {run.state}; started {beijing_time(run.started_at)} Beijing time, "
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
    statuses = errors.get("source_status") or {}
    for source_id, message in (errors.get("sources") or {}).items():
        typer.echo(f"{statuses.get(source_id, 'failed').upper()} {source_id}: {message}")
    if errors.get("run"):
        typer.echo("the run failed: " + "; ".join(errors["run"]))
    shown = {"by_class", "blocked_hosts", "parked_hosts", "sources", "source_status", "source_failures", "run"}
    for key in sorted(set(errors) - shown):
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
    """The coverage ledger: found (first seen, a Beijing date), late or missing, per agency and year."""
    from analysis.coverage import coverage_ledger, status_counts, write_csv
    from core.output import check_file
    from core.selection import parse_years
    from core.sources import load_sources
    from scrapers.registry import platform_names

    loaded = load_sources(sources, platform_names())
    span = parse_years(years)
    if out is not None:
        check_file(out)  # before the ledger is printed
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
    from govreports.records import report_records

    from collections import Counter

    for r in report_records(_store(db)):
        figures = " ".join(f"{k}={v}" for k, v in r["figures"].items()) or "-"
        kinds = Counter(f["kind"] for f in r["flags"])
        flags = ",".join(f"{kind}×{n}" if n > 1 else kind for kind, n in sorted(kinds.items())) or "none"
        typer.echo(f"{r['id']}  {r['year']}  {r['agency']}  copies={len(r['copies'])} stats={len(r['stats'])} "
                   f"flags={flags}  {figures}")


@reports_app.command("show")
def reports_show(ctx: typer.Context, report_id: str = typer.Argument(..., help="Report id (from `reports`)."),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """One report's record, without its full text."""
    from govreports.records import report_records

    for r in report_records(_store(db or ctx.obj)):
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
def demo(db: str = typer.Option("govreports-demo/demo.db", "--db", help=DB_HELP),
         verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP)) -> None:
    """Serve the bundled demo sites on 127.0.0.1 and crawl them with the real flow."""
    from govreports.demo.run import run_demo

    if "://" not in db:
        Path(db).parent.mkdir(parents=True, exist_ok=True)  # the demo's own directory, as documented
    _db_url(db, must_exist=False)

    def crawl(sources: str, db_url: str | None, years, source, concurrency: int) -> dict:
        return _run_crawl(sources, db_url, years, source, concurrency, verbose=verbose)

    run_demo(db, echo=typer.echo, crawl=crawl, print_summary=_print_summary)


# -- the edge: every exception becomes one line and an exit code --------------------------------


def exit_for(exc: BaseException) -> tuple[int, str | None]:
    """The exit code and the one-line message (None: say nothing) for an exception out of a command."""
    from typer._click import exceptions as click_errors  # typer's own vendored click, not `click`

    if isinstance(exc, typer.Exit):
        return exc.exit_code, None
    if isinstance(exc, SystemExit):
        return (exc.code if isinstance(exc.code, int) else EXIT_FAILED), None
    if isinstance(exc, click_errors.NoArgsIsHelpError):
        typer.echo(exc.ctx.get_help())
        return EXIT_BAD_INPUT, None
    if isinstance(exc, click_errors.UsageError):
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        return EXIT_BAD_INPUT, exc.format_message().rstrip(".") + where
    if isinstance(exc, click_errors.ClickException):
        return exc.exit_code, exc.format_message()
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, ConfigError):
        return EXIT_BAD_INPUT, str(exc)
    if isinstance(exc, GovreportsError):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, BrokenPipeError):  # `govreports reports | head`: the reader left, nothing to say
        return EXIT_FAILED, None
    if isinstance(exc, OSError) and exc.filename:
        return EXIT_FAILED, f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, RuntimeError) and "ephemeral Prefect API server" in str(exc):
        return EXIT_FAILED, ("Prefect's temporary server did not start in time (a busy machine?): run "
                             "`prefect server start` and set PREFECT_API_URL, or raise "
                             "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return EXIT_FAILED, f"database error: {_first_line(str(getattr(exc, 'orig', None) or exc))}"
    return EXIT_FAILED, (f"unexpected {type(exc).__name__}: {_first_line(str(exc))} (a bug: please report it; "
                         "--debug shows the traceback)")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


_DEBUG = False


def main(argv: list[str] | None = None) -> None:
    global _DEBUG
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _DEBUG = "--debug" in args or os.environ.get("GOVREPORTS_DEBUG") == "1"
    args = [arg for arg in args if arg != "--debug"]
    try:
        code = app(args=args, prog_name="govreports", standalone_mode=False)
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this code before we see it
            sys.stderr.write("error: interrupted\n")
    except BaseException as exc:
        code, message = exit_for(exc)
        if debug and not isinstance(exc, (typer.Exit, SystemExit)):
            traceback.print_exception(exc)
        if isinstance(exc, BrokenPipeError):
            sys.stdout = open(os.devnull, "w")  # flushing at exit would raise again
        if message:
            sys.stderr.write("error: " + " ".join(message.split()) + "\n")
    sys.exit(code if isinstance(code, int) else EXIT_OK)
