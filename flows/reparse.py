"""The reparse flow: rebuild every report's parsed content from stored snapshots, with no network.

For when parsers improve. Each report's canonical copy is read back from its snapshot, extracted,
normalized and parsed again (``flows.pipeline.content_of_copy``, the same code the crawl uses
when a canonical copy changes), and its figures, stats, sections and flags are rewritten in one
transaction per report (``Store.replace_content``). Only reports whose parse key (canonical text
+ ``storage.reports.PARSER_VERSION``) changed are rewritten, unless ``force``. No Fetcher is ever
built here: a snapshot that is missing is a failure of that report, never a fetch.

Reports are parsed in batches, one Prefect task per batch: per-report tasks would be thousands of
task runs for a CPU-bound loop the GIL serializes anyway, and a batch keeps the UI readable. The
run is recorded in crawl_runs with flow="reparse".
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed

from flows.runtime import prefect_run_id, run_logger

from core.errors import GovreportsError
from flows.pipeline import content_of_copy
from storage.db import resolve_db_url
from storage.reports import ReparseTarget, parse_key_for
from storage.runs import heartbeat_every, run_heartbeat
from storage.store import Store

DEFAULT_BATCH = 50


@dataclass
class BatchResult:
    counts: Counter = field(default_factory=Counter)  # rewritten | unchanged | failed
    errors: dict[str, str] = field(default_factory=dict)  # report id -> why it could not be reparsed


def reparse_one(store: Store, target: ReparseTarget, run_id: int, force: bool) -> bool:
    """Re-parse one report from its canonical snapshot; True when its rows were rewritten."""
    parse_key = parse_key_for(target.canonical.text_key)
    if parse_key == target.parse_key and not force:
        return False  # same text, same parser: parsing again would write the same rows
    content = content_of_copy(store, target.canonical, target.year)
    return store.replace_content(target.report_id, content, parse_key, run_id, force=force)


@task(name="reparse-batch", cache_policy=NO_CACHE, task_run_name="reparse-{first}")
def reparse_batch(store: Store, targets: list[ReparseTarget], run_id: int, force: bool, first: str) -> BatchResult:
    result = BatchResult()
    for target in targets:
        try:
            rewritten = reparse_one(store, target, run_id, force)
        except KeyError as exc:  # Store.load_snapshot: the snapshot is gone
            result.counts["failed"] += 1
            result.errors[target.report_id] = f"snapshot missing: {exc}"
            continue
        except GovreportsError as exc:  # extraction or attachment reading failed on this snapshot
            result.counts["failed"] += 1
            result.errors[target.report_id] = f"{type(exc).__name__}: {exc}"
            continue
        result.counts["rewritten" if rewritten else "unchanged"] += 1
    run_logger("flows.reparse").info("reports from %s: %s", first, dict(result.counts))
    return result


@flow(name="reparse", log_prints=True)
def reparse(db: str | None = None, force: bool = False, batch_size: int = DEFAULT_BATCH):
    """Rebuild every report's parsed rows from stored snapshots; returns the run's summary."""
    store = Store(resolve_db_url(db))
    beat = heartbeat_every()
    store.mark_crashed_runs()
    run_id = store.start_run("reparse", {"force": force, "batch_size": batch_size}, prefect_run_id())
    try:
        with run_heartbeat(store, run_id, beat):  # alive between batches, however long one takes
            counts, errors = _run_batches(store, run_id, force, max(1, batch_size))
    except BaseException as exc:
        store.finish_run(run_id, "failed", {}, {"flow": f"{type(exc).__name__}: {exc}"})
        store.close()
        raise
    state = "failed" if errors else "completed"
    store.finish_run(run_id, state, counts, {"reports": errors} if errors else {})
    store.close()
    summary = {"run_id": run_id, "counts": counts, "errors": errors}
    message = (f"run {run_id}: {counts['rewritten']} rewritten, {counts['unchanged']} unchanged, "
               f"{counts['failed']} failed of {counts['reports']} reports")
    if errors:
        return Failed(message=message, data=summary)
    return Completed(message=message, data=summary)


def _run_batches(store: Store, run_id: int, force: bool, batch_size: int) -> tuple[dict, dict]:
    targets = store.reparse_targets()
    totals: Counter = Counter()
    errors: dict[str, str] = {}
    for start in range(0, len(targets), batch_size):
        batch = targets[start:start + batch_size]
        result = reparse_batch(store, batch, run_id, force, batch[0].report_id)
        totals.update(result.counts)
        errors.update(result.errors)
        store.heartbeat(run_id, {"reports_done": start + len(batch)})
    counts = {"reports": len(targets), "rewritten": totals["rewritten"], "unchanged": totals["unchanged"],
              "failed": totals["failed"], "near_keys_filled": store.fill_near_keys()}
    return counts, errors


