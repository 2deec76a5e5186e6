"""The Store: one handle on the database, through which every write govreports makes goes.

Each role lives in its own module and can be used on its own:

* ``storage.runs.RunLog`` — runs and the fetch ledger (what each crawl did, request by request);
* ``storage.snapshots.Snapshots`` — content-addressed raw bytes of every fetched document;
* ``storage.reports.Reports`` — sources, copies and reports, and loading them (the dedupe decision
  itself is ``dedup``'s; this only carries it out).

All three share one engine and its short transactions (``storage.base``), so that a kill -9 at any
moment leaves a consistent database that the next run continues from.
"""
from __future__ import annotations

from storage.reports import Reports
from storage.runs import RunLog
from storage.snapshots import Snapshots


class Store(RunLog, Snapshots, Reports):
    """Runs, the fetch ledger, snapshots and reports of one database (``Store(url)``)."""
