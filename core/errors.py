"""The exceptions govreports raises, as one tree (converted to clean messages at the CLI edge).

GovreportsError
├── ConfigError                 bad input from the user: exit code 2, nothing written
│   └── SourcesError            the sources file is malformed (names the entry)
├── FetchError                  a request did not yield a document (carries the outcome class)
│   ├── TransientFetchError     may succeed next time: timeouts, resets, 408/425/429/5xx
│   └── PermanentFetchError     will not: 404/410/blocked/soft-404/robots/too large …
├── ExtractionError             a fetched document had no extractable body text
│   └── AttachmentError         an attachment could not be read (extraction/attachments.py:
│                               unsupported, too_large, timeout, out_of_memory, unreadable)
├── ListingFormatError          a fetched listing is not what its platform serves (an API answering
│                               HTML or an error object instead of its JSON)
├── NotAReportError             a fetched document is not an annual report (look-alike, no year)
└── SourceFailed                a whole source failed; the other sources of the run go on
    ├── SiteRefused             the site did not let us read its listing (blocked, robots,
    │                           unreachable, list page gone): reported, not a failed run
    └── SourceRegressed         zero reports where earlier runs found some: a failed run
"""
from __future__ import annotations


class GovreportsError(Exception):
    """Base of every error govreports raises on purpose."""


class ConfigError(GovreportsError):
    """The user's input (flags, settings, files) is wrong; nothing was fetched or written."""


class SourcesError(ConfigError):
    """The sources file is malformed. ``entry`` names the offending [[source]] (index and id)."""

    def __init__(self, path: str, entry: str | None, message: str) -> None:
        self.path = path
        self.entry = entry
        self.message = message
        where = f"{path}: {entry}: " if entry else f"{path}: "
        super().__init__(where + message)


class FetchError(GovreportsError):
    """A request did not give us a document. ``outcome`` is the outcome class recorded in the ledger."""

    def __init__(self, url: str, outcome: str, detail: str = "") -> None:
        self.url = url
        self.outcome = outcome
        self.detail = detail
        super().__init__(f"{outcome}: {url}" + (f" ({detail})" if detail else ""))


class TransientFetchError(FetchError):
    """Worth retrying later: the server or network may recover."""


class PermanentFetchError(FetchError):
    """Not worth retrying in this run."""


class ExtractionError(GovreportsError):
    """No body text could be extracted from a document."""


class ListingFormatError(GovreportsError):
    """A listing page arrived (2xx) but cannot be read as its platform's listing: counted as a failure
    of its source (``outcome``), never taken for an empty list."""

    outcome = "listing_unreadable"

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"{self.outcome}: {url} ({detail})")


class NotAReportError(GovreportsError):
    """The document is not an annual report (a look-alike, or no statistical year can be found)."""


class SourceFailed(GovreportsError):
    """A source as a whole failed; the other sources of the run are unaffected."""


class SiteRefused(SourceFailed):
    """No listing page of the source could be fetched, for reasons on the site's side (blocked,
    robots.txt, unreachable, list page gone). ``failures`` counts the outcome classes (the ledger's)."""

    def __init__(self, message: str, failures: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.failures = dict(failures or {})


class SourceRegressed(SourceFailed):
    """The source was read, and yielded no reports where earlier runs found some: the site or its
    markup changed, and a person has to look."""
