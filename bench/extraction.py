"""Extraction throughput and CPU per page by stage: our decode → extract → normalize → parse vs
trafilatura alone (not a test).

    .venv/bin/python -m bench.extraction [--repeat 5]

Pages: the saved fixtures (tests/fixtures/parsing, tests/fixtures/html), the demo web's report
pages, and the report pages of the first 5 hosts of ``bench.crawl_throughput``'s synthetic web (10
reports each, the mix of the 200-host crawl: 4 in 10 are the 2019-format stats page, the rest the
five seeds, two of them in traditional script).
Single thread, CPU time (``time.process_time`` for the totals, ``time.thread_time`` per stage), so
the figures are per core whatever else the machine is doing (wall time under the other engineers'
load would not be). Two parts, on the same pages in the same run:

1. Pages/s per core, best of ``--repeat`` passes over all pages, for three measures:
   - ``trafilatura``: ``trafilatura.extract`` alone, with the options ``extraction.html`` uses;
   - ``extract``: our ``extract_html`` (one lxml parse, main-content region + trafilatura + bs4
     fallback);
   - ``pipeline``: ``build_document``'s work: decode, extract, normalize (OpenCC), metadata,
     sections, tables, checks, figures (pages that are not reports stop where the pipeline stops
     them).
2. CPU ms per page by stage, each page run ``--repeat`` times and its least disturbed run kept (the
   smallest total), the stages timed where ``flows.pipeline`` calls them (exclusive time, as
   ``bench.runner.StageClock`` counts it): ``decode`` (``decode_html``), ``extract`` (the page's one
   lxml parse and ``extract_html``), ``normalize`` (``to_simplified`` of the text and markup),
   ``metadata`` (``parse_metadata``), ``content`` (``parse_content``: sections, statistics tables,
   checks, figures), ``other`` (the rest of ``build_document``: glue, the report checks). Median and
   p90 over the report pages (the pages that became a Document; "stats pages" are those with
   statistics cells), against trafilatura alone on the same pages, best of ``--repeat`` too.

Results: tables on stdout and bench/results/extraction.json (with the load average before and after).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

from bench.runner import StageClock, load_average
from bench.synthetic_web import ROOT, Web

RESULTS = Path(__file__).resolve().parent / "results" / "extraction.json"
SYNTHETIC_HOSTS, SYNTHETIC_REPORTS = 5, 10
STAGES = ("decode", "extract", "normalize", "metadata", "content", "other")
# Where flows.pipeline looks each stage function up (names absent from a version are skipped).
STAGE_FUNCTIONS = (("decode_html", "decode"), ("html_tree", "extract"), ("extract_html", "extract"),
                   ("main_content_html", "extract"), ("visible_text", "extract"), ("to_simplified", "normalize"),
                   ("parse_metadata", "metadata"), ("parse_content", "content"))
TRAFILATURA_OPTIONS = dict(output_format="txt", include_tables=True, include_comments=False, favor_recall=True,
                           deduplicate=False)


def fixture_pages() -> list[tuple[str, str, bytes, str | None]]:
    """(name, url, body, content type) of every page measured."""
    pages = []
    for folder in ("tests/fixtures/parsing", "tests/fixtures/html"):
        for path in sorted((ROOT / folder).glob("*.html")):
            pages.append((f"{folder.split('/')[-1]}/{path.name}", f"http://127.0.0.1/{path.name}", path.read_bytes(), None))
    from govreports.demo.site import build_sites

    for site in build_sites():
        for path, page in sorted(site.pages.items()):
            if page.body and b"<html" in page.body[:400].lower() and "index" not in path and "list" not in path:
                pages.append((f"demo/{site.id}{path}", f"http://127.0.0.1{path}", page.body, page.content_type))
    web = Web(SYNTHETIC_HOSTS, SYNTHETIC_REPORTS)  # a page depends on (host, path) only: the crawl's own pages
    for host in range(web.hosts):
        for report in web.reports_of(host):
            page = web.page(host, report.path)
            pages.append((f"synthetic/h{host}{report.path}", f"http://127.0.0.1{report.path}", page.body, page.content_type))
    return pages


def _trafilatura_one(url: str, body: bytes, content_type: str | None) -> None:
    import trafilatura

    from fetching.decode import decode_html

    trafilatura.extract(decode_html(body, content_type).text, url=url, **TRAFILATURA_OPTIONS)


def run_trafilatura(pages) -> None:
    for _name, url, body, content_type in pages:
        _trafilatura_one(url, body, content_type)


def run_extract(pages) -> None:
    from extraction import extract_html
    from fetching.decode import decode_html
    from core.errors import ExtractionError

    for _name, url, body, content_type in pages:
        try:
            extract_html(decode_html(body, content_type).text, url)
        except ExtractionError:
            pass  # counted like the pipeline counts it: work done, no body


def _fetched(url: str, body: bytes, content_type: str | None):
    """The source and fetch record the pipeline is handed for a page (made before any clock starts)."""
    from core.sources import Source
    from flows.pipeline import FetchedDoc

    source = Source(id="bench", name=None, start_urls=("http://127.0.0.1/",), kind="portal")
    return source, FetchedDoc(url, url, hashlib.sha256(body).hexdigest(), content_type, None, None, None)


def _build(source, fetched, body: bytes):
    """("report", stats cells) | ("not_a_report", 0) | ("extraction_failed", 0) for one page."""
    from core.errors import ExtractionError, NotAReportError
    from flows.pipeline import build_document

    try:
        document = build_document(source, fetched, body, None)
    except NotAReportError:
        return "not_a_report", 0
    except ExtractionError:
        return "extraction_failed", 0
    return "report", len(document.content.cells)


def run_pipeline(pages) -> dict:
    outcomes = {"report": 0, "not_a_report": 0, "extraction_failed": 0, "stats_cells": 0}
    for _name, url, body, content_type in pages:
        outcome, cells = _build(*_fetched(url, body, content_type), body)
        outcomes[outcome] += 1
        outcomes["stats_cells"] += cells
    return outcomes


def forget_pages() -> None:
    """Forget what an earlier pass over these same pages left in memos (``match_key`` remembers
    short strings: table cells and labels), so that no page is measured against its own earlier
    run. Within a pass a page still finds what the pages before it left, as in a crawl."""
    import normalization.text

    remembered = getattr(normalization.text, "_remembered_key", None)
    if remembered is not None:
        remembered.cache_clear()


def timed(function, pages, repeat: int) -> tuple[float, object]:
    """Best of ``repeat`` CPU times (the least disturbed run), and the last run's return value."""
    best, value = float("inf"), None
    for _ in range(repeat):
        forget_pages()
        started = time.process_time()
        value = function(pages)
        best = min(best, time.process_time() - started)
    return best, value


def stage_times(pages, repeat: int) -> list[dict]:
    """Per page: its outcome, stats cells, trafilatura-alone ms and the stage ms of its least
    disturbed pipeline run (all best of ``repeat``; rounds interleave the pages, so a burst of load
    on the machine spoils one run of many pages, not every run of one)."""
    import flows.pipeline

    clock = StageClock()
    wrapped = [(name, stage, getattr(flows.pipeline, name)) for name, stage in STAGE_FUNCTIONS
               if hasattr(flows.pipeline, name)]
    rows = [{"page": name, "trafilatura_ms": float("inf"), "total_ms": float("inf")} for name, *_ in pages]
    try:
        for name, stage, original in wrapped:
            setattr(flows.pipeline, name, clock.wrap(stage, original))
        for _ in range(repeat):
            forget_pages()
            for row, (_name, url, body, content_type) in zip(rows, pages):
                started = time.thread_time()
                _trafilatura_one(url, body, content_type)
                row["trafilatura_ms"] = min(row["trafilatura_ms"], (time.thread_time() - started) * 1000)
                source, fetched = _fetched(url, body, content_type)
                before = dict(clock.cpu)
                started = time.thread_time()
                outcome, cells = _build(source, fetched, body)
                total = (time.thread_time() - started) * 1000
                if total < row["total_ms"]:
                    stages = {stage: (clock.cpu[stage] - before.get(stage, 0.0)) * 1000 for stage in STAGES[:-1]}
                    stages["other"] = total - sum(stages.values())
                    row.update(outcome=outcome, cells=cells, total_ms=total, stages=stages)
    finally:
        for name, _stage, original in wrapped:
            setattr(flows.pipeline, name, original)
    return rows


def _quantile(values: list[float], q: float) -> float:
    """The q-quantile, interpolated (``statistics.quantiles``' inclusive method); the value alone for one."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def summarize(rows: list[dict]) -> dict:
    """Median and p90 per stage, of the stage sum and of trafilatura alone, for a set of pages."""
    if not rows:
        return {"pages": 0}
    out = {"pages": len(rows)}
    for label, values in ([(stage, [row["stages"][stage] for row in rows]) for stage in STAGES]
                          + [("stage_sum", [row["total_ms"] for row in rows]),
                             ("trafilatura_alone", [row["trafilatura_ms"] for row in rows])]):
        out[label] = {"median_ms": round(statistics.median(values), 2), "p90_ms": round(_quantile(values, 0.9), 2)}
    out["stage_sum_over_trafilatura"] = round(out["stage_sum"]["median_ms"] / out["trafilatura_alone"]["median_ms"], 2)
    return out


def _print_stages(title: str, summary: dict) -> None:
    if not summary["pages"]:
        return
    print(f"\nCPU ms per page by stage, {title} ({summary['pages']} pages), best of the runs of each page")
    print(f"{'stage':>18} {'median':>8} {'p90':>8}")
    for label in (*STAGES, "stage_sum", "trafilatura_alone"):
        print(f"{label:>18} {summary[label]['median_ms']:>8} {summary[label]['p90_ms']:>8}")
    print(f"{'sum / trafilatura':>18} x{summary['stage_sum_over_trafilatura']} (medians)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    pages = fixture_pages()
    run_pipeline(pages[:2])  # warm up: OpenCC dictionaries, the codebook, lxml
    run_trafilatura(pages[:2])
    load_before = load_average()
    results = {"pages": len(pages), "megabytes": round(sum(len(p[2]) for p in pages) / 2**20, 2),
               "repeat": args.repeat, "loadavg_before": load_before}
    for label, function in (("trafilatura", run_trafilatura), ("extract", run_extract), ("pipeline", run_pipeline)):
        seconds, value = timed(function, pages, args.repeat)
        results[label] = {"cpu_s": round(seconds, 3), "pages_per_s_per_core": round(len(pages) / seconds, 1),
                          "ms_per_page": round(seconds / len(pages) * 1000, 2)}
        if isinstance(value, dict):
            results[label]["outcomes"] = value
    results["pipeline_over_trafilatura"] = round(results["pipeline"]["cpu_s"] / results["trafilatura"]["cpu_s"], 2)
    rows = stage_times(pages, args.repeat)
    reports = [row for row in rows if row["outcome"] == "report"]
    results["per_page_stages"] = {
        "report_pages": summarize(reports),
        "synthetic_web": summarize([row for row in reports if row["page"].startswith("synthetic/")]),
        "stats_pages": summarize([row for row in reports if row["cells"]]),
        "other_report_pages": summarize([row for row in reports if not row["cells"]]),
        "target_ms": 15.0,
    }
    results["pages_detail"] = [{"page": row["page"], "outcome": row["outcome"], "cells": row["cells"],
                                "total_ms": round(row["total_ms"], 2), "trafilatura_ms": round(row["trafilatura_ms"], 2),
                                **{stage: round(ms, 2) for stage, ms in row["stages"].items()}} for row in rows]
    results["loadavg_after"] = load_average()
    print(f"{results['pages']} pages ({results['megabytes']} MB), best of {args.repeat}, one core, CPU time, "
          f"load average {load_before[0]} → {results['loadavg_after'][0]}")
    print(f"{'measure':>12} {'pages/s/core':>12} {'ms/page':>8}")
    for label in ("trafilatura", "extract", "pipeline"):
        print(f"{label:>12} {results[label]['pages_per_s_per_core']:>12} {results[label]['ms_per_page']:>8}")
    print(f"pipeline / trafilatura: x{results['pipeline_over_trafilatura']}; outcomes {results['pipeline']['outcomes']}")
    stages = results["per_page_stages"]
    _print_stages("report pages", stages["report_pages"])
    _print_stages("the synthetic web's report pages (the crawl benchmark's mix)", stages["synthetic_web"])
    _print_stages("report pages with statistics tables", stages["stats_pages"])
    _print_stages("report pages without statistics tables", stages["other_report_pages"])
    print()
    for label, key in (("report page", "report_pages"), ("synthetic-web report page", "synthetic_web")):
        median = stages[key]["stage_sum"]["median_ms"]
        print(f"target: median stage sum per {label} <= {stages['target_ms']:g} ms: {median} ms, "
              f"{'met' if median <= stages['target_ms'] else 'not met'} (trafilatura alone "
              f"{stages[key]['trafilatura_alone']['median_ms']} ms on the same pages in this run)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
