"""The end of a crawl as a person reads it: what was found, per source, what failed and why, and
what the run's state (and so the exit code) is under the run policy (``core.policy``).
Rendered with rich: tables on a terminal, the same tables as plain text in a log."""
from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fetching.outcomes import OUTCOMES
from core.policy import SourceStatus, Verdict, decide, statuses_of

# Failure classes the crawl counts besides the fetcher's outcome classes.
CRAWL_CLASSES = {"extraction_failed": "no body text could be extracted from a fetched document",
                 "load_failed": "a document could not be stored (rolled back; the source's others were): see why",
                 "over_cap": "more attachments on a page than the per-page cap; the rest were not fetched",
                 "off_host": "an attachment on a host the source may not fetch (see allowed_hosts)"}
SHOW_EVERY_SOURCE = 30  # above this many sources, the table lists only those that did not end ok
_ORDER = {SourceStatus.ERROR: 0, SourceStatus.REGRESSED: 1, SourceStatus.REFUSED: 2, SourceStatus.OK: 3}
STAGES = (("listing pages", "listing_pages"), ("candidate links", "candidates"),
          ("documents fetched", "documents_fetched"), ("  of them resumed from a crashed run", "resumed"),
          ("not reports", "not_reports"), ("reports new", "reports_new"), ("reports changed", "reports_changed"),
          ("copies added", "copies_added"), ("copies unchanged", "copies_unchanged"), ("requests", "requests"))


def print_summary(summary: dict, console: Console, elapsed: float | None = None) -> Verdict:
    """Print the run's summary; returns the policy's verdict (its exit code is the CLI's)."""
    statuses = statuses_of(summary)
    verdict = decide(statuses)
    took = f" in {clock(elapsed)}" if elapsed is not None else ""
    console.print(Text(f"\nrun {summary['run_id']} {verdict.state}{took}", style="bold"))
    console.print(_totals(summary, statuses))
    console.print(_sources(summary, statuses))
    hidden = sum(1 for s in statuses.values() if s is SourceStatus.OK) if len(statuses) > SHOW_EVERY_SOURCE else 0
    if hidden:
        console.print(f"{hidden} more sources ended ok: `govreports runs show {summary['run_id']}` lists every source",
                      highlight=False, markup=False)
    by_class = summary["errors"].get("by_class") or {}
    if by_class:
        console.print(_failures(by_class))
    for label, key in (("blocked hosts (left alone for the rest of the run)", "blocked_hosts"),
                       ("parked hosts (5 failed attempts in a row)", "parked_hosts")):
        if summary["errors"].get(key):
            console.print(f"{label}: {', '.join(summary['errors'][key])}", highlight=False, markup=False)
    console.print(_verdict_line(verdict, statuses))
    return verdict


def _totals(summary: dict, statuses: dict[str, SourceStatus]) -> Table:
    counts = summary["counts"]
    table = Table(box=box.SIMPLE_HEAD, show_header=True, title=None, pad_edge=False)
    table.add_column("stage")
    table.add_column("count", justify="right")
    tally = {s: sum(1 for v in statuses.values() if v is s) for s in SourceStatus}
    breakdown = ", ".join(f"{n} {s.value}" for s, n in tally.items() if n)
    table.add_row("sources", f"{counts['sources']}" + (f" ({breakdown})" if breakdown else ""))
    for label, key in STAGES:
        if key != "resumed" or counts.get(key):
            table.add_row(label, str(counts.get(key, 0)))
    return table


def _sources(summary: dict, statuses: dict[str, SourceStatus]) -> Table:
    per_source = summary["counts"].get("per_source") or {}
    errors = summary["errors"]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="per source", title_justify="left")
    shown = sorted(statuses, key=lambda sid: (_ORDER[statuses[sid]], sid))
    if len(shown) > SHOW_EVERY_SOURCE:
        shown = [sid for sid in shown if statuses[sid] is not SourceStatus.OK]
    columns = [("source", "left"), ("state", "left"), ("list pages", "right"), ("links", "right"), ("new", "right"),
               ("changed", "right"), ("unchanged", "right"), ("failures", "left")]
    any_message = any((errors.get("sources") or {}).get(sid) for sid in shown)
    for name, justify in columns + ([("why", "left")] if any_message else []):
        table.add_column(name, justify=justify, overflow="fold")
    for source_id in shown:
        counts = per_source.get(source_id, {})
        failures = counts.get("failures") or (errors.get("source_failures") or {}).get(source_id, {})
        status = statuses[source_id]
        style = {SourceStatus.ERROR: "bold red", SourceStatus.REGRESSED: "bold red",
                 SourceStatus.REFUSED: "yellow"}.get(status, "")
        why = without_source_name(source_id, (errors.get("sources") or {}).get(source_id, ""))
        table.add_row(Text(source_id), Text(status.value, style=style),
                      str(counts.get("listing_pages", 0)), str(counts.get("candidates", 0)),
                      str(counts.get("new", 0)), str(counts.get("changed", 0)), str(counts.get("unchanged", 0)),
                      Text(classes(failures)), *([Text(why)] if any_message else []))
    return table


def _failures(by_class: dict[str, int]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="failures by outcome class", title_justify="left")
    table.add_column("class")
    table.add_column("documents", justify="right")
    table.add_column("meaning", overflow="fold")
    for name, count in sorted(by_class.items(), key=lambda item: (-item[1], item[0])):
        base = name.removeprefix("attachment_")
        meaning = OUTCOMES[base][2] if base in OUTCOMES else CRAWL_CLASSES.get(base, "")
        table.add_row(Text(name), str(count), Text(("attachment: " if name != base else "") + meaning))
    return table


def _verdict_line(verdict: Verdict, statuses: dict[str, SourceStatus]) -> Text:
    refused = sum(1 for s in statuses.values() if s is SourceStatus.REFUSED)
    if verdict.failed:
        return Text.assemble(("FAILED", "bold red"), f" (exit {verdict.exit_code}): " + "; ".join(verdict.reasons))
    note = (f"; {refused} refused by their sites (reported above: a site's refusal does not fail the run)"
            if refused else "")
    return Text.assemble(("completed", "green"), f" (exit {verdict.exit_code}){note}")


def without_source_name(source_id: str, message: str) -> str:
    """A failed source's message without the source's own name in front (the row names it)."""
    for prefix in (f"source {source_id}: ", f"source {source_id} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def classes(counts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "-"


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
