"""Scale benchmark of deduplication as the crawl runs it (not a test): load N synthetic copies into
a real database, then look up every report's copies filed under other reports.

    .venv/bin/python -m bench.dedup_scale 10000 30000 [--chars 3000] [--db-dir DIR]

Each size runs in its own subprocess so that its peak RSS (``resource.getrusage``) is its own.
Copies are generated lazily, block by block (agency x year): only the current block's texts are
held, as in the loader. Each block has its report plus, drawn at random, a repost (exact), a mirror
with junk characters (near) and a 更正版 (version). An agency's consecutive years share ~90% of
their sentences, so the cross-block index sees the look-alikes it must not flag. Sentences come
from the dedup fixtures (real reports) with their digits replaced by fresh numbers.

Every copy goes through ``Store.load`` (``dedup.match.place_copy`` against its block, its
near-duplicate keys and band buckets written), into a fresh SQLite file; then every report's export
flags are computed (``storage.reports.cross_report_flags``: same text and near text under another
agency or year, by the indexed bucket lookup). Linear means: ms per copy and per lookup stay flat as
N grows. Results: a table on stdout and ``bench/results/dedup_scale.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "dedup"
RESULTS = ROOT / "bench" / "results" / "dedup_scale.json"
YEARS = range(2008, 2024)
_DIGITS = re.compile(r"\d+")
_JUNK = "丄丅丆丌丏丒丗丠丩丮丯丱丳丵丷丼乀乁乂乄乆乊乑乕乗"


def sentence_pool() -> list[str]:
    from normalization import to_simplified

    sentences = []
    for path in sorted(FIXTURES.glob("*.txt")):
        text = to_simplified(path.read_text("utf-8"))
        sentences += [sentence.strip() for sentence in re.split(r"[。\n]", text) if len(sentence.strip()) > 15]
    return sentences


def report_text(pool: list[str], agency: int, year: int, characters: int) -> str:
    agency_rng = random.Random(agency)
    year_rng = random.Random(agency * 1000 + year)
    chosen = agency_rng.sample(pool, k=min(len(pool), characters // 30 + 1))
    # ~10% of the sentences change from one year to the next; every number changes.
    chosen = [year_rng.choice(pool) if year_rng.random() < 0.10 else sentence for sentence in chosen]
    body = "。".join(_DIGITS.sub(lambda _: str(year_rng.randrange(1, 5000)), sentence) for sentence in chosen)
    return f"第{agency}号机关{year}年政府信息公开工作年度报告\n{body[:characters]}"


def block_copies(pool: list[str], block: int, characters: int):
    from dedup.match import CopyText

    agency, year = divmod(block, len(YEARS))
    year = YEARS[year]
    rng = random.Random(block)
    text = report_text(pool, agency, year, characters)
    made = {"report": text}
    if rng.random() < 0.5:
        made["repost"] = "发布日期：2020-02-03 来源：门户网站 【打印】【关闭】\n" + text
    if rng.random() < 0.3:
        made["mirror"] = "".join(c + (rng.choice(_JUNK) if rng.randrange(150) == 0 else "") for c in text) + "\n热门词条\n联系我们"
    if rng.random() < 0.2:
        made["correction"] = _DIGITS.sub(lambda found: str(int(found.group()) + 1) if rng.random() < 0.03 else found.group(), text)
    for role, body in made.items():
        yield CopyText(
            copy_id=f"{block}-{role}", agency=f"agency-{agency}", year=year, text=body, url=f"https://example.gov.cn/{block}/{role}",
            kind="html", official=role != "mirror", published=f"{year + 1}-01-20", title=f"{year}年报告",
        )


def copies(size: int, characters: int) -> Iterator[list]:
    """Blocks of copies until ``size`` copies have been produced (the last block may be cut)."""
    pool, produced, block = sentence_pool(), 0, 0
    while produced < size:
        this_block = list(block_copies(pool, block, characters))[: size - produced]
        produced += len(this_block)
        block += 1
        yield this_block


def run_one(size: int, characters: int, db_dir: str) -> dict:
    from sqlalchemy import select

    from core.document import ContentParse, Document
    from storage.models import Copy, Report
    from storage.reports import cross_report_flags
    from storage.store import Store

    path = Path(db_dir) / f"dedup_scale_{size}.db"
    path.unlink(missing_ok=True)
    store = Store(f"sqlite:///{path}")
    run_id = store.start_run("bench", {})
    empty = ContentParse(format=None, sections=[], cells=[], figures={}, flags=[])
    outcomes: Counter = Counter()
    started = time.perf_counter()
    for block in copies(size, characters):
        for copy in block:
            document = Document(source_id="bench", official=copy.official, url=copy.url, final_url=copy.url,
                                kind=copy.kind, snapshot_hash="0" * 64, agency=copy.agency, year=copy.year,
                                title=copy.title, published=copy.published, text=copy.text, text_original=copy.text,
                                content=empty)
            outcomes[store.load(document, run_id, content_for=lambda _: empty).value] += 1
    load_seconds = time.perf_counter() - started
    flags: Counter = Counter()
    started = time.perf_counter()
    with store.session() as s:
        report_ids = list(s.scalars(select(Report.id)))
        for report_id in report_ids:
            report_copies = list(s.scalars(select(Copy).where(Copy.report_id == report_id)))
            flags.update(flag["kind"] for flag in cross_report_flags(s, report_id, report_copies))
        matches = Counter(s.scalars(select(Copy.match)))
    lookup_seconds = time.perf_counter() - started
    store.close()
    path.unlink(missing_ok=True)
    return {
        "copies": size, "reports": len(report_ids), "characters_per_copy": characters,
        "load_seconds": round(load_seconds, 2), "ms_per_copy": round(load_seconds * 1000 / size, 3),
        "lookup_seconds": round(lookup_seconds, 2),
        "ms_per_lookup": round(lookup_seconds * 1000 / max(1, len(report_ids)), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "matches": dict(matches), "load_outcomes": dict(outcomes), "cross_report_flags": dict(flags),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 30_000])
    parser.add_argument("--chars", type=int, default=3000, help="characters per report text")
    parser.add_argument("--db-dir", default=tempfile.gettempdir(), help="where the SQLite files go")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON results go")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child process mode
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(run_one(arguments.sizes[0], arguments.chars, arguments.db_dir)))
        return
    rows = []
    print(f"load average {load_average()}")
    for size in arguments.sizes:
        child = [sys.executable, "-m", "bench.dedup_scale", str(size), "--chars", str(arguments.chars), "--db-dir", arguments.db_dir,
                 "--one"]
        output = subprocess.run(child, check=True, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
        rows.append(json.loads(output.stdout))
        print_row(rows[-1])
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps({"load_average": load_average(), "rows": rows}, ensure_ascii=False, indent=2) + "\n",
                       "utf-8")


def print_row(row: dict) -> None:
    print(
        f"{row['copies']:>7} copies x {row['characters_per_copy']} chars: load {row['load_seconds']:>7.1f} s "
        f"({row['ms_per_copy']:>5.2f} ms/copy), cross-report lookup {row['ms_per_lookup']:>5.2f} ms/report, "
        f"peak {row['peak_rss_mb']:>6.1f} MB  {row['matches']}  flags {row['cross_report_flags']}",
        flush=True,
    )


if __name__ == "__main__":
    main()
