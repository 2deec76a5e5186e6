"""What a person sees while and after a crawl: the progress listener (plain lines off a terminal,
a live display on one), the crawl's event interface, and the summary tables."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from flows.events import ObservedSink, PageFetched, RunFinished, RunStarted, SourceFinished, emit, listening
from govreports.progress import CrawlProgress
from govreports.summary import print_summary


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=120, color_system=None), out


def feed(progress: CrawlProgress, clock: Clock) -> None:
    progress(RunStarted(7, 4))
    for outcome in ("ok", "ok", "not_modified", "not_found"):
        progress(PageFetched("a", "detail", outcome, True))
    progress(PageFetched("a", "robots", "ok", True))  # robots.txt is a request, not a page
    progress(PageFetched("a", "detail", "robots_disallowed", False))  # declined: neither
    clock.now += 10
    progress(SourceFinished("a", "ok", new=2, changed=1, failures={"not_found": 1}))
    clock.now += 10
    progress(SourceFinished("b", "refused", failures={"blocked": 1},
                            message="source b: no listing page could be fetched: blocked: http://x/ (HTTP 412)"))


def test_plain_lines_off_a_terminal():
    clock = Clock()
    shown, out = console(terminal=False)
    with CrawlProgress(shown, clock) as progress:
        feed(progress, clock)
    lines = out.getvalue().splitlines()
    assert lines[1] == "run 7: crawling 4 sources"
    assert lines[2] == ("[1/4] a ok, 2 new, 1 changed, failures not_found=1 | 3 pages, 2 new, 1 changed | "
                        "elapsed 0:00:10, ETA 0:00:30")
    assert lines[3].startswith("[2/4] b REFUSED: no listing page could be fetched: blocked: http://x/ (HTTP 412)")
    assert lines[3].endswith("elapsed 0:00:20, ETA 0:00:20")


def test_the_live_display_shows_counts_failures_and_eta():
    clock = Clock()
    shown, out = console(terminal=True)
    progress = CrawlProgress(shown, clock)  # not entered: render one frame by hand
    feed(progress, clock)
    shown.print(progress)
    frame = out.getvalue()
    assert "run 7" in frame and "2/4 sources" in frame and "elapsed 0:00:20" in frame and "ETA 0:00:20" in frame
    assert "pages fetched 3 (5 requests)" in frame and "reports 2 new, 1 changed" in frame
    assert "sources not ok: 1 refused" in frame and "failures: blocked=1, not_found=1" in frame


def test_before_the_run_starts_the_display_says_what_it_waits_for():
    shown, out = console(terminal=True)
    shown.print(CrawlProgress(shown, Clock()))
    assert "starting the crawl" in out.getvalue()


def test_listeners_get_events_only_while_listening():
    got = []
    with listening(got.append):
        emit(RunStarted(1, 2))
    emit(RunStarted(3, 4))
    assert got == [RunStarted(1, 2)]


def test_a_failing_listener_never_breaks_the_crawl():
    def broken(event):
        raise RuntimeError("display gone")

    with listening(broken):
        emit(RunFinished({}))  # logged, not raised


def test_the_fetch_ledger_feeds_page_events(store):
    from sqlalchemy import select

    from fetching.client import FetchRecord
    from storage.models import FetchRow

    got = []
    with listening(got.append):
        ObservedSink(store).record_fetch(FetchRecord(None, "a", "listing", "http://x/", "GET", 1, "ok"))
    assert got == [PageFetched("a", "listing", "ok", True)]
    with store.session() as s:  # and the row is in the ledger, as without a listener
        assert s.scalars(select(FetchRow.url)).all() == ["http://x/"]


SUMMARY = {
    "run_id": 3,
    "counts": {"sources": 3, "sources_failed": 2, "listing_pages": 4, "candidates": 6, "documents_fetched": 5,
               "resumed": 0, "not_reports": 1, "reports_new": 2, "reports_changed": 0, "copies_added": 1,
               "copies_unchanged": 0, "requests": 14,
               "per_source": {"a": {"listing_pages": 4, "candidates": 6, "fetched": 5, "new": 2, "changed": 0,
                                    "copy_added": 1, "unchanged": 0, "not_reports": 1, "failures": {"timeout": 1},
                                    "platforms": ["trs"]}}},
    "errors": {"sources": {"b": "source b: no listing page could be fetched: blocked: http://b/ (HTTP 412)",
                           "c": "source c yielded no reports this run, but 4 copies in earlier runs"},
               "source_status": {"b": "refused", "c": "regressed"}, "source_failures": {"b": {"blocked": 1}},
               "by_class": {"timeout": 1, "blocked": 1}, "blocked_hosts": ["b:80"], "parked_hosts": []},
}


@pytest.fixture
def printed():
    shown, out = console(terminal=False)
    verdict = print_summary(SUMMARY, shown, elapsed=75)
    return verdict, out.getvalue()


def test_summary_headline_and_verdict(printed):
    verdict, text = printed
    assert verdict.failed and verdict.exit_code == 1
    assert "run 3 failed in 0:01:15" in text
    assert "FAILED (exit 1): 1 source regressed (no reports where earlier runs found some): c" in text


def test_summary_totals_table(printed):
    _, text = printed
    rows = [line.split() for line in text.splitlines()]
    assert ["reports", "new", "2"] in rows and ["requests", "14"] in rows
    assert ["sources", "3", "(1", "ok,", "1", "refused,", "1", "regressed)"] in rows


def test_summary_per_source_rows_put_the_failures_first(printed):
    _, text = printed
    rows = [line.split() for line in text.splitlines() if line.split()[:1] in (["a"], ["b"], ["c"])]
    assert [r[:2] for r in rows] == [["c", "regressed"], ["b", "refused"], ["a", "ok"]]
    assert "blocked=1" in rows[1] and "timeout=1" in rows[2]


def test_summary_explains_each_failure_class(printed):
    _, text = printed
    assert any(line.split()[:2] == ["blocked", "1"] and "412" in line for line in text.splitlines())


def test_summary_names_blocked_hosts_and_has_no_dict_reprs(printed):
    _, text = printed
    assert "blocked hosts (left alone for the rest of the run): b:80" in text
    assert "{" not in text and "'" not in text
