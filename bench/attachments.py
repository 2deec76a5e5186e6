"""What bounding an attachment costs: the parse in-process vs in the bounded child (not a test).

    /work/venv/bin/python -m bench.attachments [--repeat 5]

Documents: the test builders' PDF (CJK, Identity-H), DOCX (paragraphs and a table) and XLSX (the
2019-format statistics tables). Wall time per document (median of ``--repeat``): the child's cost is
interpreter start plus one parser's imports, so the ratio against the in-process parse of the same
bytes in the same run is the figure that matters; the load average is printed beside it.

Results: a table on stdout and bench/results/attachments.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench.runner import load_average

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "attachments.json"


def documents() -> dict[str, tuple[str, bytes]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_attachments import REPORT_LINES, make_docx, make_pdf, stats_2019_xlsx

    return {"pdf": ("pdf", make_pdf(REPORT_LINES * 40)),
            "docx": ("docx", make_docx(REPORT_LINES * 40, [["项目", "件数"], ["申请", "32"]] * 20, REPORT_LINES)),
            "xlsx": ("xlsx", stats_2019_xlsx())}


def _median_seconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    from extraction.attachments import AttachmentLimits, extract_attachment, parse_attachment

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    limits = AttachmentLimits()
    rows = []
    for name, (kind, body) in documents().items():
        parse_attachment(body, kind, limits)  # warm the in-process imports: the child never has them warm
        inproc = _median_seconds(lambda: parse_attachment(body, kind, limits), args.repeat)
        child = _median_seconds(lambda: extract_attachment(body, kind, limits), args.repeat)
        rows.append({"document": name, "bytes": len(body), "in_process_ms": round(inproc * 1000, 1),
                     "child_ms": round(child * 1000, 1), "child_over_in_process": round(child / inproc, 1),
                     "child_overhead_ms": round((child - inproc) * 1000, 1)})
    print(f"load average {load_average()}")
    print(f"{'document':10}{'bytes':>9}{'in-process ms':>15}{'child ms':>10}{'ratio':>7}{'overhead ms':>13}")
    for r in rows:
        print(f"{r['document']:10}{r['bytes']:>9}{r['in_process_ms']:>15}{r['child_ms']:>10}"
              f"{r['child_over_in_process']:>7}{r['child_overhead_ms']:>13}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"load_average": load_average(), "repeat": args.repeat, "rows": rows},
                                  ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
