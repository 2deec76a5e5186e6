"""Extraction throughput: our extract + normalize + parse vs trafilatura alone (not a test).

    /work/venv/bin/python -m bench.extraction [--repeat 3]

Pages: the saved fixtures (tests/fixtures/parsing, tests/fixtures/html), the demo web's report
pages, and one synthetic report page of each body kind (the 2019-format stats page and each seed).
Single thread, CPU time (``time.process_time``), so the figure is pages/s per core whatever else
the machine is doing (wall time under the other engineers' load would not be). Three measures on
the same pages:

- ``trafilatura``: ``trafilatura.extract`` alone, with the options ``extraction.html`` uses;
- ``extract``: our ``extract_html`` (main-content region + trafilatura + bs4 fallback);
- ``pipeline``: ``build_document``'s work: decode, extract, normalize (OpenCC), metadata, sections,
  tables, checks, figures (pages that are not reports stop where the pipeline stops them).

Results: a table on stdout and bench/results/extraction.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from bench.runner import load_average
from bench.synthetic_web import ROOT, Web

RESULTS = Path(__file__).resolve().parent / "results" / "extraction.json"


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
    web = Web(2, 30)
    for host in range(web.hosts):
        for report in web.reports_of(host)[::5]:  # both stats years and old years
            page = web.page(host, report.path)
            pages.append((f"synthetic/h{host}{report.path}", f"http://127.0.0.1{report.path}", page.body, page.content_type))
    return pages


def run_trafilatura(pages) -> None:
    import trafilatura

    from fetching.decode import decode_html

    for _name, url, body, content_type in pages:
        trafilatura.extract(decode_html(body, content_type).text, url=url, output_format="txt", include_tables=True,
                            include_comments=False, favor_recall=True, deduplicate=False)


def run_extract(pages) -> None:
    from extraction import extract_html
    from fetching.decode import decode_html
    from core.errors import ExtractionError

    for _name, url, body, content_type in pages:
        try:
            extract_html(decode_html(body, content_type).text, url)
        except ExtractionError:
            pass  # counted like the pipeline counts it: work done, no body


def run_pipeline(pages) -> dict:
    from core.errors import ExtractionError, NotAReportError
    from flows.pipeline import FetchedDoc, build_document
    from core.sources import Source

    source = Source(id="bench", name=None, start_urls=("http://127.0.0.1/",), kind="portal")
    outcomes = {"report": 0, "not_a_report": 0, "extraction_failed": 0, "stats_cells": 0}
    for _name, url, body, content_type in pages:
        fetched = FetchedDoc(url, url, hashlib.sha256(body).hexdigest(), content_type, None, None, None)
        try:
            document = build_document(source, fetched, body, None)
        except NotAReportError:
            outcomes["not_a_report"] += 1
            continue
        except ExtractionError:
            outcomes["extraction_failed"] += 1
            continue
        outcomes["report"] += 1
        outcomes["stats_cells"] += len(document.content.cells)
    return outcomes


def timed(function, pages, repeat: int) -> tuple[float, object]:
    """Best of ``repeat`` CPU times (the least disturbed run), and the last run's return value."""
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        value = function(pages)
        best = min(best, time.process_time() - started)
    return best, value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    pages = fixture_pages()
    run_pipeline(pages[:2])  # warm up: OpenCC dictionaries, the codebook, lxml
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
    results["loadavg_after"] = load_average()
    print(f"{results['pages']} pages ({results['megabytes']} MB), best of {args.repeat}, one core, CPU time")
    print(f"{'measure':>12} {'pages/s/core':>12} {'ms/page':>8}")
    for label in ("trafilatura", "extract", "pipeline"):
        print(f"{label:>12} {results[label]['pages_per_s_per_core']:>12} {results[label]['ms_per_page']:>8}")
    print(f"pipeline / trafilatura: x{results['pipeline_over_trafilatura']}; outcomes {results['pipeline']['outcomes']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
