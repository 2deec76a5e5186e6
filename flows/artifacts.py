"""What a crawl run shows in the Prefect UI: artifacts with stable keys, so each run's Artifacts tab
has the same four entries and the Artifacts page keeps one history per key.

* ``crawl-sources`` (table): per source, list pages, candidate links, reports new / changed /
  unchanged, copies added, failures by outcome class, and the source's state;
* ``crawl-summary`` (markdown): the run's totals, failed sources, blocked and parked hosts;
* ``coverage-ledger`` (table): found / late / missing per agency x year (``analysis.coverage``);
* ``crawl-progress`` (progress): sources finished / sources, updated as each source finishes;
* ``coverage-heatmap`` (markdown): the ledger drawn as an agency × year heatmap (``analysis.plot``),
  embedded as a PNG ``data:`` URI so the UI shows it without a file server (checked in Chromium by
  ``scripts/ui_check.py``). At most ``HEATMAP_MAX_AGENCIES`` rows: the table artifact has them all.

A sharded run appends ``-shard-I-of-N`` to every key, so shards running at once never share one.
The row and markdown builders are plain functions (tested without Prefect); only ``publish_*`` and
``RunProgress`` talk to the Prefect API.
"""
from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_progress_artifact, create_table_artifact, \
    update_progress_artifact

from analysis.coverage import LedgerRow, status_counts
from flows.stages import STAGES

SOURCES_KEY = "crawl-sources"
SUMMARY_KEY = "crawl-summary"
COVERAGE_KEY = "coverage-ledger"
PROGRESS_KEY = "crawl-progress"
HEATMAP_KEY = "coverage-heatmap"
HEATMAP_MAX_AGENCIES = 60  # ~2,000 px tall and ~100 KB of base64: beyond that the picture stops being readable


def artifact_key(base: str, shard: int = 0, shards: int = 1) -> str:
    return base if shards <= 1 else f"{base}-shard-{shard}-of-{shards}"


def source_rows(summary: dict) -> list[dict[str, Any]]:
    """One row per source of the run's summary (``flows.crawl._summary``), failed sources included."""
    per_source = summary["counts"]["per_source"]
    failed = summary["errors"]["sources"]
    statuses = summary["errors"].get("source_status") or {}
    rows = []
    for source_id in sorted(set(per_source) | set(failed)):
        counts = per_source.get(source_id, {})
        failures = counts.get("failures") or (summary["errors"].get("source_failures") or {}).get(source_id, {})
        rows.append({
            "source": source_id,
            "state": statuses.get(source_id, "FAILED") if source_id in failed else "ok",
            "list_pages": counts.get("listing_pages", 0),
            "candidate_links": counts.get("candidates", 0),
            "new": counts.get("new", 0),
            "changed": counts.get("changed", 0),
            "unchanged": counts.get("unchanged", 0),
            "copies_added": counts.get("copy_added", 0),
            "not_reports": counts.get("not_reports", 0),
            "failures": ", ".join(f"{k}={v}" for k, v in sorted(failures.items())) or "-",
            "notes": ", ".join(sorted(counts.get("notes") or {})) or "-",
            "error": failed.get(source_id, ""),
        })
    return rows


def summary_markdown(summary: dict, coverage: list[LedgerRow] | None = None) -> str:
    counts, errors = summary["counts"], summary["errors"]
    lines = [
        f"# Crawl run {summary['run_id']}",
        "",
        "| stage | count |", "|---|---:|",
        *(f"| {label} | {counts[key]} |" for label, key in STAGES if key in counts),
        "",
    ]
    if counts.get("notes"):
        lines += ["notes: " + ", ".join(f"`{k}` {v}" for k, v in sorted(counts["notes"].items())), ""]
    lines += _failure_lines(errors)
    if coverage is not None:
        tally = status_counts(coverage)
        lines += ["## Coverage", "", f"found {tally['found']}, late {tally['late']}, missing {tally['missing']} "
                  f"(agency x year; table `{COVERAGE_KEY}`)", ""]
    return "\n".join(lines)


def _failure_lines(errors: dict) -> list[str]:
    lines = ["## Failures", ""]
    by_class = errors.get("by_class") or {}
    lines.append("by outcome class: " + (", ".join(f"`{k}` {v}" for k, v in sorted(by_class.items())) or "none"))
    lines.append("")
    for label, key in (("Blocked hosts", "blocked_hosts"), ("Parked hosts", "parked_hosts")):
        hosts = errors.get(key) or []
        lines.append(f"{label}: " + (", ".join(f"`{h}`" for h in hosts) or "none"))
    lines.append("")
    statuses = errors.get("source_status") or {}
    for source_id, message in sorted((errors.get("sources") or {}).items()):
        lines.append(f"- **{source_id} {statuses.get(source_id, 'FAILED')}**: {message}")
    if errors.get("run"):
        lines += ["", "**The run failed:** " + "; ".join(errors["run"])]
    return lines


def heatmap_markdown(rows: list[LedgerRow], run_id: int) -> str:
    """The coverage heatmap as markdown with the PNG inline; a sentence instead when it cannot be drawn."""
    import base64

    from analysis.plot import NoCJKFont, coverage_heatmap

    agencies = sorted({r.agency for r in rows})
    shown = set(agencies[:HEATMAP_MAX_AGENCIES])
    note = "" if len(agencies) <= HEATMAP_MAX_AGENCIES else (
        f"\n\nThe first {HEATMAP_MAX_AGENCIES} of {len(agencies)} agencies (by name); every agency is in "
        f"`{COVERAGE_KEY}` and in `govreports plot`.")
    try:
        png = coverage_heatmap([r for r in rows if r.agency in shown], title=f"run {run_id}")
    except NoCJKFont as exc:
        return f"# Coverage heatmap, run {run_id}\n\nNot drawn: {exc}."
    encoded = base64.b64encode(png).decode("ascii")
    return (f"# Coverage heatmap, run {run_id}\n\nAgency × year: found (green), late (amber), missing (grey).{note}"
            f"\n\n![coverage heatmap, run {run_id}](data:image/png;base64,{encoded})\n")


def coverage_rows(rows: list[LedgerRow]) -> list[dict[str, object]]:
    return [row.as_dict() for row in rows]


def publish_run_artifacts(summary: dict, coverage: list[LedgerRow] | None, shard: int = 0, shards: int = 1) -> None:
    """The table, summary and ledger artifacts of one finished run."""
    run = summary["run_id"]
    create_table_artifact(source_rows(summary), key=artifact_key(SOURCES_KEY, shard, shards),
                          description=f"Run {run}: per source, list pages, candidate links, reports and failures")
    create_markdown_artifact(summary_markdown(summary, coverage), key=artifact_key(SUMMARY_KEY, shard, shards),
                             description=f"Run {run}: summary")
    if coverage is not None:
        create_table_artifact(coverage_rows(coverage), key=artifact_key(COVERAGE_KEY, shard, shards),
                              description=f"Run {run}: coverage ledger (found / late / missing per agency x year)")
        create_markdown_artifact(heatmap_markdown(coverage, run), key=artifact_key(HEATMAP_KEY, shard, shards),
                                 description=f"Run {run}: coverage heatmap (agency x year)")


class RunProgress:
    """A progress artifact: sources finished out of the run's sources."""

    def __init__(self, total: int, shard: int = 0, shards: int = 1) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.artifact_id = create_progress_artifact(0.0, key=artifact_key(PROGRESS_KEY, shard, shards),
                                                    description=f"0 of {total} sources finished")

    def source_finished(self) -> None:
        self.done += 1
        update_progress_artifact(self.artifact_id, 100.0 * self.done / self.total,
                                 description=f"{self.done} of {self.total} sources finished")
