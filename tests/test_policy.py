"""The run policy (govreports/policy.py) as a pure function: each source's status → the run's state
and exit code. The flow and the CLI both use it; the README's table states it."""
from __future__ import annotations

import pytest

from core.errors import ConfigError, SiteRefused, SourceFailed, SourceRegressed
from core.policy import (
    COMPLETED, EXIT_FAILED, EXIT_OK, FAILED, SourceStatus, decide, status_of, statuses_of,
)

OK, REFUSED, REGRESSED, ERROR = (SourceStatus.OK, SourceStatus.REFUSED, SourceStatus.REGRESSED,
                                 SourceStatus.ERROR)

CASES = [
    ({"a": OK, "b": OK}, COMPLETED),
    ({"a": OK, "b": REFUSED, "c": REFUSED}, COMPLETED),  # refusals are reported, not a failed run
    ({"a": OK, "b": REGRESSED}, FAILED),
    ({"a": OK, "b": ERROR}, FAILED),
    ({"a": REFUSED}, FAILED),  # every source failed
    ({"a": REFUSED, "b": REFUSED}, FAILED),
    ({}, COMPLETED),  # an empty shard: nothing to do
]


@pytest.mark.parametrize("statuses,state", CASES)
def test_state(statuses, state):
    assert decide(statuses).state == state


@pytest.mark.parametrize("statuses,state", CASES)
def test_exit_code_follows_the_state(statuses, state):
    assert decide(statuses).exit_code == (EXIT_OK if state == COMPLETED else EXIT_FAILED)


def test_reasons_name_the_sources():
    verdict = decide({"a": OK, "b": REGRESSED, "c": ERROR})
    assert verdict.reasons == ("1 source regressed (no reports where earlier runs found some): b",
                               "1 source failed on our side: c")


def test_a_completed_run_has_no_reasons():
    assert decide({"a": OK, "b": REFUSED}).reasons == ()


def test_statuses_are_accepted_as_strings():
    assert decide({"a": "ok", "b": "regressed"}).failed


def test_long_lists_of_sources_are_shortened():
    verdict = decide({f"s{i:02d}": ERROR for i in range(25)})
    assert "s09 and 15 more" in verdict.reasons[0]


@pytest.mark.parametrize("error,status", [
    (SiteRefused("no listing page", {"blocked": 1}), REFUSED),
    (SourceRegressed("no reports this run"), REGRESSED),
    (SourceFailed("something else"), ERROR),
    (ConfigError("bad"), ERROR),
    (RuntimeError("a bug"), ERROR),
])
def test_status_of_an_error(error, status):
    assert status_of(error) is status


def test_statuses_of_a_summary():
    summary = {"counts": {"per_source": {"a": {}, "b": {}}},
               "errors": {"sources": {"c": "x", "d": "y"}, "source_status": {"c": "refused", "d": "error"}}}
    assert statuses_of(summary) == {"a": OK, "b": OK, "c": REFUSED, "d": ERROR}


def test_a_summary_from_before_statuses_counts_every_failure_as_ours():
    summary = {"counts": {"per_source": {"a": {}}}, "errors": {"sources": {"b": "SourceFailed: x"}}}
    assert statuses_of(summary) == {"a": OK, "b": ERROR}
