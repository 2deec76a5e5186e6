"""The exit and state policy: how the outcomes of a run's sources decide the run's state, and so
the CLI's exit code. One pure function, ``decide``, serves the Prefect flow (its final state and
our ``crawl_runs.state``) and ``govreports crawl`` (its exit code); the README's table is this.

A site that refuses us (blocked, robots.txt, unreachable, list page gone) is the web being the
web: with hundreds of sources some always do, and a run that "fails" every time teaches people to
ignore failures. So a refusal is reported per source and the run still completes. What a person
must act on fails the run: a source that regressed (read, and no reports where earlier runs found
some: the site or its markup changed), a source that failed on our side (an exception that is not
a site outcome: a bug, the database; or a document of it that could not be stored, while its
other documents were), or a run where every source failed (nothing was crawled).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping

from core.errors import SiteRefused, SourceRegressed

# Exit codes of every govreports command (README "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # Ctrl-C, the shell's convention (128 + SIGINT)

COMPLETED, FAILED = "completed", "failed"


class SourceStatus(StrEnum):
    OK = "ok"  # crawled (it may still have failed documents the site did not give us: counted by outcome class)
    REFUSED = "refused"  # the site did not let us read its listing: reported, the run goes on
    REGRESSED = "regressed"  # read, and no reports where earlier runs found some: fails the run
    ERROR = "error"  # failed on our side (an exception that is not a site outcome): fails the run


# A document the site gave us and we could not store (``storage.loading``): our side, not the
# site's. The source's other documents are loaded, but the source is ``error``: a person must look.
LOAD_FAILED = "load_failed"
OUR_SIDE_CLASSES = frozenset({LOAD_FAILED})


def status_of_crawled(failures: Mapping[str, int]) -> SourceStatus:
    """The status of a source whose tasks ended with a result, from its documents' failure classes."""
    return SourceStatus.ERROR if any(failures.get(name) for name in OUR_SIDE_CLASSES) else SourceStatus.OK


def status_of(error: BaseException) -> SourceStatus:
    """The status of a source whose tasks ended with ``error``."""
    if isinstance(error, SiteRefused):
        return SourceStatus.REFUSED
    if isinstance(error, SourceRegressed):
        return SourceStatus.REGRESSED
    return SourceStatus.ERROR


@dataclass(frozen=True)
class Verdict:
    state: str  # completed | failed
    exit_code: int
    reasons: tuple[str, ...]  # why it failed (empty when completed)

    @property
    def failed(self) -> bool:
        return self.state == FAILED


def decide(statuses: Mapping[str, SourceStatus | str]) -> Verdict:
    """The run's state and exit code from each source's status (``{source id: status}``).

    A run with no sources (an empty shard) completes: there was nothing to do.
    """
    by_status: dict[SourceStatus, list[str]] = {s: [] for s in SourceStatus}
    for source_id, status in sorted(statuses.items()):
        by_status[SourceStatus(status)].append(source_id)
    reasons = []
    if by_status[SourceStatus.REGRESSED]:
        reasons.append(_named(by_status[SourceStatus.REGRESSED], "regressed (no reports where earlier runs found some)"))
    if by_status[SourceStatus.ERROR]:
        reasons.append(_named(by_status[SourceStatus.ERROR], "failed on our side"))
    if statuses and not by_status[SourceStatus.OK]:
        reasons.append(f"every source failed ({len(statuses)} of {len(statuses)})")
    if reasons:
        return Verdict(FAILED, EXIT_FAILED, tuple(reasons))
    return Verdict(COMPLETED, EXIT_OK, ())


def _named(source_ids: list[str], what: str) -> str:
    shown = ", ".join(source_ids[:10]) + (f" and {len(source_ids) - 10} more" if len(source_ids) > 10 else "")
    noun = "source" if len(source_ids) == 1 else "sources"
    return f"{len(source_ids)} {noun} {what}: {shown}"


def statuses_of(summary: dict) -> dict[str, SourceStatus]:
    """Each source's status from a crawl summary (``flows.crawl``): sources with a result are ok,
    the others carry their status in ``errors.source_status``."""
    errors = summary["errors"]
    statuses = {source_id: SourceStatus.OK for source_id in summary["counts"].get("per_source", {})}
    failed = errors.get("source_status") or {}
    for source_id in errors.get("sources", {}):  # a summary from before statuses: every failure was ours
        statuses[source_id] = SourceStatus(failed.get(source_id, SourceStatus.ERROR))
    return statuses
