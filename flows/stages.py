"""The crawl's counts, in the order of the flow, with the labels people read: the one list that the
CLI (``govreports runs show``) and the run's summary artifact (``flows.artifacts``) both print.
Keys are those of the run's ``counts`` (``flows.crawl``). No Prefect import: the CLI reads it."""
from __future__ import annotations

STAGES: tuple[tuple[str, str], ...] = (
    ("sources", "sources"),
    ("sources failed", "sources_failed"),
    ("listing pages", "listing_pages"),
    ("candidate links", "candidates"),
    ("documents fetched", "documents_fetched"),
    ("resumed from a crashed run", "resumed"),
    ("not reports", "not_reports"),
    ("reports new", "reports_new"),
    ("reports changed", "reports_changed"),
    ("copies added", "copies_added"),
    ("copies unchanged", "copies_unchanged"),
    ("requests", "requests"),
)
