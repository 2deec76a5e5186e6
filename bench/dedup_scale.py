"""Scale benchmark for the dedup library (not a test): index + match N synthetic copies.

    /work/venv/bin/python bench/dedup_scale.py 10000 100000 [--chars 3000]

Each size runs in its own subprocess so that its peak RSS (``resource.getrusage``) is its own.
Copies are generated lazily, block by block (agency x year): only the current block's texts are
held, as in the loader. Each block has its report plus, drawn at random, a repost (exact), a mirror
with junk characters (near) and a 更正版 (version). An agency's consecutive years share ~90% of
their sentences, so the cross-block index sees the look-alikes it must not flag. Sentences come
from the dedup fixtures (real reports) with their digits replaced by fresh numbers.

Every copy goes through ``dedup.match.match`` against its block and ``CrossBlockIndex.add``.
Results: a table on stdout and ``bench/results/dedup_scale.json``.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
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


def run_one(size: int, characters: int) -> dict:
    from dedup.index import CrossBlockIndex
    from dedup.match import match

    index, kinds, flags = CrossBlockIndex(), Counter(), Counter()
    started = time.perf_counter()
    for block in copies(size, characters):
        for position, copy in enumerate(block):
            kinds[match(copy, block[:position]).kind.value] += 1
            flags.update(flag.kind.value for flag in index.add(copy))
    seconds = time.perf_counter() - started
    return {
        "copies": size, "characters_per_copy": characters, "seconds": round(seconds, 2),
        "ms_per_copy": round(seconds * 1000 / size, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "matches": dict(kinds), "cross_block_flags": dict(flags),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--chars", type=int, default=3000, help="characters per report text")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child process mode
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(run_one(arguments.sizes[0], arguments.chars)))
        return
    rows = []
    for size in arguments.sizes:
        child = [sys.executable, __file__, str(size), "--chars", str(arguments.chars), "--one"]
        output = subprocess.run(child, check=True, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
        rows.append(json.loads(output.stdout))
        print_row(rows[-1])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", "utf-8")


def print_row(row: dict) -> None:
    print(
        f"{row['copies']:>9} copies x {row['characters_per_copy']} chars: {row['seconds']:>8.1f} s  "
        f"{row['ms_per_copy']:>6.2f} ms/copy  peak {row['peak_rss_mb']:>7.1f} MB  {row['matches']}  flags {row['cross_block_flags']}",
        flush=True,
    )


if __name__ == "__main__":
    main()
