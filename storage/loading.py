"""Loading one document on its own: the unit any loader of the crawl calls per document.

``Reports.load`` runs one transaction per copy. When it raises for one document (its canonical copy
has to be re-read from a snapshot that is gone or damaged, a parser bug in that re-read, a value
the database refuses), that transaction rolls back and nothing of the document is stored. Raised
out of the loader's loop, the same exception also cost every later document of the source: the
task failed with them unloaded. ``load_isolated`` returns that failure instead, as a typed value
the caller counts (``load_failed``) and names, so the other documents load; the run policy
(``core.policy``) makes a source with such a failure ``error``, never silently ok.

The database being unreachable is not one document's failure: ``OperationalError`` is raised, so
the task fails as a whole and its retry condition retries it (the loaded documents are then
unchanged copies: loading is idempotent).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from core.document import Document
from core.policy import LOAD_FAILED
from storage.reports import ContentFor, LoadOutcome, Reports


@dataclass(frozen=True)
class LoadFailure:
    """A document that could not be stored, and why (its transaction was rolled back)."""

    url: str
    error: str  # "ExceptionType: message"
    failure_class: str = LOAD_FAILED

    def __str__(self) -> str:
        return f"{self.url}: not loaded ({self.failure_class}): {self.error}"


def load_isolated(store: Reports, document: Document, run_id: int,
                  content_for: ContentFor) -> LoadOutcome | LoadFailure:
    """Load one document in its own transaction: what changed, or why it could not be stored."""
    try:
        return store.load(document, run_id, content_for)
    except OperationalError:
        raise  # the database, not this document: the whole task is retried
    except Exception as exc:  # noqa: BLE001 — any failure of this document's load is returned, typed and named
        return LoadFailure(document.url, f"{type(exc).__name__}: {exc}")
