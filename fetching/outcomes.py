"""Outcome classes: every response (or refusal to send a request) gets exactly one.

A refusal (off_host, robots_disallowed, and blocked or parked for a host given up on earlier in the
run) is a ledger row with attempt 0 and no status: nothing was sent.

The README's table of outcome classes is generated from ``OUTCOMES`` (see tests/test_docs.py).
"""
from __future__ import annotations

# class -> (becomes a document?, retried?, meaning)
OUTCOMES: dict[str, tuple[bool, bool, str]] = {
    "ok": (True, False, "2xx with a usable body"),
    "not_modified": (True, False, "304 to a conditional GET: the stored snapshot is reused"),
    "not_found": (False, False, "404"),
    "gone": (False, False, "410"),
    "soft_404": (False, False, "200 whose short page says 页面不存在 / 您访问的页面不存在 / 404"),
    "blocked": (False, False, "412 JS challenge (瑞数), 403, or a captcha page; the host is left alone for the run "
                                "(on Postgres by every worker, for 12 h)"),
    "too_large": (False, False, "body over the size cap: aborted while streaming, never read into memory"),
    "not_document": (False, False, "binary junk where a page or a known attachment type was expected"),
    "redirect_loop": (False, False, "a redirect chain that revisits a URL"),
    "too_many_redirects": (False, False, "more redirects than the limit (default 10)"),
    "off_host": (False, False, "a URL on, or a redirect to, a host the source may not fetch (never requested)"),
    "robots_disallowed": (False, False, "robots.txt disallows the URL, or robots.txt answered 5xx / was unreachable "
                                        "(then the whole host, for the run; on Postgres 1 h); no request sent"),
    "parked": (False, False, "not sent: the host failed 5 (park_after) attempts in a row earlier in the run "
                             "(on Postgres: any worker's attempts; parked 1 h)"),
    "timeout": (False, True, "connect/read/total timeout"),
    "http_error": (False, True, "another HTTP status; retried only for 408, 425, 429, 500, 502, 503, 504"),
    "error": (False, True, "connection refused/reset, DNS failure, protocol error"),
}

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
DOCUMENT_OUTCOMES = frozenset(k for k, (doc, _, _) in OUTCOMES.items() if doc)


def is_transient(outcome: str, status: int | None) -> bool:
    """Can the same request succeed if sent again later in this run?"""
    if outcome in ("timeout", "error"):
        return True
    return outcome == "http_error" and status in RETRYABLE_STATUSES
