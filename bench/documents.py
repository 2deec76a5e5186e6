"""What reading report documents costs per PDF page, text and tables apart, and what pdfplumber buys
over pypdf (not a test).

    python -m bench.documents [--repeat 3] [--long-pages 20]

Documents, built deterministically by the test builders (tests/report_documents.py): the 2021-format
report as reportlab draws it (ruled tables), the same without ruling, a long report (the overview
repeated to ``--long-pages`` pages), and the python-docx report exported to PDF by LibreOffice
(skipped when LibreOffice is missing). For each, CPU seconds per page (best of ``--repeat``):

* ``pypdf text``: ``page.extract_text()`` (what attachments used before);
* ``plumber text``: ``extraction.pdf.read_pdf(tables=False)``: characters, lines, furniture, paragraphs;
* ``plumber text+tables``: ``read_pdf``: ruled tables by cell geometry, text grids, joins;
* ``tables``: the difference, the cost of tables per page.

And what each gets right: text F1 against the document's own text (``text_f1``: character bigrams)
and table cells read correctly (of those printed), pypdf's through the flattened-text table reader.
Results: a table on stdout and bench/results/documents.json.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

from bench.runner import load_average

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "documents.json"


def documents(long_pages: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    import report_documents as rd

    report = rd.ReportData("测试区人民政府", 2023)
    long_report = rd.ReportData("测试区人民政府", 2023, overview_paragraphs=max(3, long_pages * 5))
    built = {"reportlab ruled": (report, rd.make_report_pdf(report)),
             "reportlab unruled": (report, rd.make_report_pdf(report, ruled=False)),
             f"long (~{long_pages} pages)": (long_report, rd.make_report_pdf(long_report))}
    if rd.soffice():
        built["LibreOffice export"] = (report, rd.convert_with_libreoffice(rd.make_report_docx(report), ".docx", "pdf"))
    return built


def _cpu(call, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        call()
        best = min(best, time.process_time() - started)
    return best


def _pypdf_text(body: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def _cells_right(expected: dict, content) -> int:
    got = {(c.table, c.row, c.column): c.value for c in content.cells}
    return sum(got.get(key) == value for key, value in expected.items())


def measure(name: str, report, body: bytes, repeat: int) -> dict:
    from extraction.pdf import read_pdf
    from parsing.content import parse_content
    from report_documents import text_f1

    plumber = read_pdf(body)
    pages = plumber.pages
    pypdf_text = _pypdf_text(body)
    times = {"pypdf_text": _cpu(lambda: _pypdf_text(body), repeat),
             "plumber_text": _cpu(lambda: read_pdf(body, tables=False), repeat),
             "plumber_text_tables": _cpu(lambda: read_pdf(body), repeat)}
    expected_cells = report.expected_cells()
    plumber_content = parse_content(plumber.text, html=plumber.html, grid_html=plumber.grid_html or None,
                                    year=report.year, origin="pdf")
    pypdf_content = parse_content(pypdf_text, year=report.year)
    per_page = {key: round(seconds / pages * 1000, 1) for key, seconds in times.items()}
    return {"document": name, "pages": pages, "bytes": len(body),
            "ms_per_page": {**per_page, "tables": round(per_page["plumber_text_tables"] - per_page["plumber_text"], 1)},
            "text_f1": {"pypdf": round(text_f1(pypdf_text, report.expected_text()), 3),
                        "pdfplumber": round(text_f1(plumber.text, report.expected_text()), 3)},
            "cells_right": {"printed": len(expected_cells), "pypdf": _cells_right(expected_cells, pypdf_content),
                            "pdfplumber": _cells_right(expected_cells, plumber_content)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--long-pages", type=int, default=20)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    rows = [measure(name, report, body, args.repeat) for name, (report, body) in documents(args.long_pages).items()]
    print(f"load average {load_average()}; CPU ms per page (best of {args.repeat})")
    print(f"{'document':22}{'pages':>6}{'pypdf text':>12}{'plumber text':>14}{'+tables':>9}{'tables':>8}"
          f"{'F1 pypdf':>10}{'F1 plumber':>12}{'cells pypdf':>13}{'cells plumber':>15}")
    for r in rows:
        ms, f1, cells = r["ms_per_page"], r["text_f1"], r["cells_right"]
        print(f"{r['document']:22}{r['pages']:>6}{ms['pypdf_text']:>12}{ms['plumber_text']:>14}"
              f"{ms['plumber_text_tables']:>9}{ms['tables']:>8}{f1['pypdf']:>10}{f1['pdfplumber']:>12}"
              f"{cells['pypdf']:>8}/{cells['printed']:<4}{cells['pdfplumber']:>10}/{cells['printed']:<4}")
    out = Path(args.out)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"load_average": load_average(), "repeat": args.repeat, "rows": rows},
                              ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
