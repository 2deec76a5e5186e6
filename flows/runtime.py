"""What the flows ask of the Prefect runtime, with fallbacks for task bodies called directly
(``task.fn(...)``: the benchmarks' direct runner executes the same code without Prefect)."""
from __future__ import annotations

import logging

from prefect import get_run_logger
from prefect.exceptions import MissingContextError
from prefect.runtime import flow_run


def run_logger(fallback: str) -> logging.Logger | logging.LoggerAdapter:
    """The current run's logger, or the plain logger ``fallback`` outside a Prefect run."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(fallback)


def prefect_run_id() -> str | None:
    """The current flow run's id, recorded in crawl_runs so a run links to the Prefect UI."""
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


def summary_of(state) -> dict:
    """The summary dict a finished flow run (crawl, reparse) returned, whether it ended Completed
    or Failed; re-raises the flow's own exception when it ended without one (the database went
    away, a crash). Prefect may hand the summary back wrapped in a result record, and
    ``state.result()`` of a Failed state raises instead of returning it: ask for the value without
    raising, and never read ``state.data`` directly."""
    value = state.result(raise_on_failure=False)
    if isinstance(value, dict):
        return value
    if isinstance(value, BaseException):
        raise value
    raise RuntimeError(f"the flow run ended {state.type.value} without a summary")
