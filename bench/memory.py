"""Peak memory of a crawl at 200 and at 2,000 hosts (not a test).

    .venv/bin/python -m bench.memory [--sizes 200,2000] [--reports 1] [--concurrency 64] [--modes prefect,direct]

Each crawl runs in a fresh subprocess (so ``ru_maxrss`` is that crawl's own) against the synthetic
web served from another process, into a fresh SQLite file. Ten times the hosts is ten times the
pages at the same concurrency: a crawl that streams keeps its peak flat; one that accumulates
grows with the pages. The child also samples its RSS every half second, so the table shows
whether memory climbs through the run (accumulation) or plateaus (working set of the concurrent
sources). The crawl builds pages in worker processes, so the child also sums the memory of its
whole process tree (workers, their forkserver, attachment readers): PSS (each shared page split
among the processes mapping it: what the tree costs) and RSS (shared pages counted in each: an upper
bound). Results: a table on stdout and bench/results/memory.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.runner import load_average, peak_rss_mb
from bench.synthetic_web import ROOT, Web, WebServer, sources_toml

RESULTS = Path(__file__).resolve().parent / "results" / "memory.json"
DELAY = 0.25


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (the crawl's page builders, their forkserver, the
    bounded attachment readers), from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(PSS, RSS) summed over the process tree: PSS shares a page among the processes that map it
    (what the tree really costs); RSS counts a shared page once per process (an upper bound)."""
    pss = rss = 0
    for pid in _descendants(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
        except OSError:
            continue
    return pss / 1024, rss / 1024


def child(sources_file: str, db_url: str, mode: str, concurrency: int) -> dict:
    """One crawl in this (fresh) process; RSS sampled while it runs."""
    import os

    from bench.runner import prefect_env, run_direct, run_prefect, warm_up_prefect

    samples: list[tuple[float, float]] = []
    tree_peak = [0.0, 0.0]  # PSS, RSS of the crawl's whole process tree (its worker processes included)
    done = threading.Event()
    started = time.perf_counter()

    def sample_tree() -> None:
        tree_peak[:] = [max(peak, now) for peak, now in zip(tree_peak, tree_memory_mb(os.getpid()))]

    def sample() -> None:
        while not done.wait(0.5):
            samples.append((round(time.perf_counter() - started, 1), round(current_rss_mb(), 1)))
            sample_tree()

    prefect_env()
    if mode == "prefect":
        warm_up_prefect()
    rss_before = current_rss_mb()
    threading.Thread(target=sample, daemon=True).start()
    runner = run_prefect if mode == "prefect" else run_direct
    summary = runner(sources_file, db_url, concurrency)
    done.set()
    sample_tree()  # once more at the end: the page builders outlive the run
    quarter = max(1, len(samples) // 4)
    return {
        "mode": mode, "pid": os.getpid(), "wall_s": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1), "rss_before_crawl_mb": round(rss_before, 1),
        "peak_tree_pss_mb": round(tree_peak[0], 1), "peak_tree_rss_mb": round(tree_peak[1], 1),
        "rss_at_quarters_mb": [s[1] for s in samples[quarter - 1::quarter]][:4],
        "documents_fetched": summary["counts"]["documents_fetched"], "reports_new": summary["counts"]["reports_new"],
        "requests": summary["counts"]["requests"], "sources_failed": summary["counts"]["sources_failed"],
    }


def measure(web: Web, mode: str, concurrency: int, delay: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="govreports-bench-") as tmp, WebServer(web) as ports:
        sources_file = Path(tmp) / "sources.toml"
        sources_file.write_text(sources_toml(web, ports, delay), encoding="utf-8")
        load_before = load_average()
        completed = subprocess.run(
            [sys.executable, "-m", "bench.memory", "child", "--sources", str(sources_file),
             "--db", f"sqlite:///{Path(tmp) / 'memory.db'}", "--mode", mode, "--concurrency", str(concurrency)],
            cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if completed.returncode != 0:
        raise RuntimeError(f"memory child failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result.update(hosts=web.hosts, reports_per_host=web.reports, concurrency=concurrency,
                  loadavg_before=load_before, loadavg_after=load_average())
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run_child = sub.add_parser("child", help="(internal) one crawl in this process; prints JSON")
    run_child.add_argument("--sources", required=True)
    run_child.add_argument("--db", required=True)
    run_child.add_argument("--mode", choices=("prefect", "direct"), required=True)
    run_child.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--sizes", default="200,2000")
    parser.add_argument("--reports", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--modes", default="prefect,direct")
    parser.add_argument("--delay", type=float, default=DELAY)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.command == "child":
        print(json.dumps(child(args.sources, args.db, args.mode, args.concurrency)))
        return
    results = [measure(Web(int(size), args.reports), mode, args.concurrency, args.delay)
               for mode in args.modes.split(",") for size in args.sizes.split(",")]
    print(f"{'hosts':>6} {'pages':>7} {'mode':>8} {'conc':>5} {'peak RSS MB':>11} {'tree PSS MB':>11} "
          f"{'tree RSS MB':>11} {'before MB':>9} {'RSS at 1/4..4/4 MB':>26} {'wall s':>7} {'load':>5}")
    for r in results:
        print(f"{r['hosts']:>6} {r['requests']:>7} {r['mode']:>8} {r['concurrency']:>5} {r['peak_rss_mb']:>11} "
              f"{r['peak_tree_pss_mb']:>11} {r['peak_tree_rss_mb']:>11} {r['rss_before_crawl_mb']:>9} "
              f"{str(r['rss_at_quarters_mb']):>26} {r['wall_s']:>7} {r['loadavg_before'][0]:>5}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
