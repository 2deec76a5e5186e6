"""Crawl throughput against the politeness bound, CPU per stage, and Prefect's overhead (not a test).

    /work/venv/bin/python -m bench.crawl_throughput [--hosts 200] [--reports 30] [--concurrency 64] [--modes direct,prefect,prefect-again]

For each web (a small one whose crawl the politeness bound should limit, and the large one) the
synthetic web is served from its own process and crawled with ``delay = 0.25`` twice, each time
into a fresh SQLite file: once by the crawl engine with its lanes on a plain thread pool
(``direct``) and once by the Prefect crawl flow (``prefect``); ``stages`` is ``direct`` with the
pages built in this process and the per-stage CPU clock on; ``prefect-again`` (or any
``<mode>-again``) crawls the unchanged web again into that mode's database. Reported per run:

- wall seconds ÷ the politeness bound (max over hosts of requests × delay, requests counted from the
  run's fetch ledger): 1.0 is the physical limit of a polite crawl (the fetcher's jitter alone adds
  up to 20% per request, 10% on average, so ~1.1 is the practical floor);
- pages (HTTP responses) per second and reports per second;
- CPU seconds per page of this process and its page-building workers, and (stages) the exclusive
  CPU ms per page of each stage;
- prefect ÷ direct wall and CPU ratios: the orchestration overhead.

Results: a table on stdout and bench/results/crawl_throughput.json.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.runner import (
    STAGES, StageClock, cpu_seconds, warm_up_prefect, instrumented, load_average, prefect_env, requests_per_host, run_direct,
    run_prefect, worker_cpu_seconds,
)
from bench.synthetic_web import Web, WebServer, sources_toml

RESULTS = Path(__file__).resolve().parent / "results" / "crawl_throughput.json"
DELAY = 0.25


def crawl_once(mode: str, sources_file: str, workdir: Path, concurrency: int, delay: float) -> dict:
    """One crawl; ``<mode>-again`` crawls the web again into ``<mode>``'s database (unchanged)."""
    db_name = mode.removesuffix("-again") + ".db"
    db_url = f"sqlite:///{workdir / db_name}"
    clock = StageClock()
    load_before = load_average()
    cpu_start, wall_start = cpu_seconds() + worker_cpu_seconds(), time.perf_counter()
    if mode == "stages":
        with instrumented(clock):
            summary = run_direct(sources_file, db_url, concurrency, clock)
    elif mode.startswith("direct"):
        summary = run_direct(sources_file, db_url, concurrency)
    else:
        summary = run_prefect(sources_file, db_url, concurrency)
    wall, cpu = time.perf_counter() - wall_start, cpu_seconds() + worker_cpu_seconds() - cpu_start
    per_host = requests_per_host(db_url, summary["run_id"])
    counts = summary["counts"]
    pages = sum(per_host.values())
    bound = max(per_host.values()) * delay
    result = {
        "mode": mode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "politeness_bound_s": round(bound, 2),
        "wall_over_bound": round(wall / bound, 2), "pages": pages, "pages_per_s": round(pages / wall, 1),
        "reports": counts["reports_new"] + counts["copies_added"] + counts["reports_changed"],
        "reports_new": counts["reports_new"], "copies_added": counts["copies_added"],
        "not_reports": counts["not_reports"], "sources_failed": counts["sources_failed"],
        "failures": summary["errors"]["by_class"], "cpu_ms_per_page": round(cpu / pages * 1000, 2),
        "pages_parsed": counts["pages_parsed"], "copies_unchanged": counts["copies_unchanged"],
        "loadavg_before": load_before, "loadavg_after": load_average(),
    }
    result["reports_per_s"] = round(result["reports"] / wall, 1)
    if mode == "stages":
        detail_pages = max(1, clock.calls["fetch"])
        result["stage_cpu_ms_per_detail_page"] = {stage: round(clock.cpu[stage] / detail_pages * 1000, 2)
                                                  for stage in STAGES}
        result["stage_cpu_s"] = {stage: round(clock.cpu[stage], 2) for stage in STAGES}
        result["stage_calls"] = {stage: clock.calls[stage] for stage in STAGES}
        result["unattributed_cpu_s"] = round(cpu - sum(clock.cpu.values()), 2)
    return result


def bench_web(web: Web, concurrency: int, delay: float, modes: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="govreports-bench-") as tmp, WebServer(web) as ports:
        workdir = Path(tmp)
        sources_file = workdir / "sources.toml"
        sources_file.write_text(sources_toml(web, ports, delay), encoding="utf-8")
        runs = {mode: crawl_once(mode, str(sources_file), workdir, concurrency, delay) for mode in modes}
    entry = {"hosts": web.hosts, "reports_per_host": web.reports, "concurrency": concurrency, "delay": delay,
             "runs": runs}
    if "direct" in runs and "prefect" in runs:
        entry["prefect_over_direct_wall"] = round(runs["prefect"]["wall_s"] / runs["direct"]["wall_s"], 3)
        entry["prefect_over_direct_cpu"] = round(runs["prefect"]["cpu_s"] / runs["direct"]["cpu_s"], 3)
    return entry


def print_table(entries: list[dict]) -> None:
    print(f"{'web':>10} {'mode':>8} {'wall s':>8} {'bound s':>8} {'wall/bound':>10} {'pages/s':>8} {'reports/s':>9} "
          f"{'CPU ms/page':>11} {'load':>6}")
    for entry in entries:
        for mode, run in entry["runs"].items():
            print(f"{entry['hosts']:>5}x{entry['reports_per_host']:<4} {mode:>8} {run['wall_s']:>8} "
                  f"{run['politeness_bound_s']:>8} {run['wall_over_bound']:>10} {run['pages_per_s']:>8} "
                  f"{run['reports_per_s']:>9} {run['cpu_ms_per_page']:>11} {run['loadavg_before'][0]:>6}")
        if "prefect_over_direct_wall" in entry:
            print(f"{'':>10} prefect/direct: wall x{entry['prefect_over_direct_wall']}, "
                  f"CPU x{entry['prefect_over_direct_cpu']}")
    for entry in entries:
        direct = entry["runs"].get("stages")
        if direct:
            stages = ", ".join(f"{k} {v}" for k, v in direct["stage_cpu_ms_per_detail_page"].items())
            print(f"{entry['hosts']}x{entry['reports_per_host']} CPU ms per detail page: {stages}; "
                  f"unattributed {direct['unattributed_cpu_s']} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--small-hosts", type=int, default=8, help="hosts of the bound-limited web (0: skip it)")
    parser.add_argument("--concurrency", type=int, default=64, help="host lanes in flight")
    parser.add_argument("--delay", type=float, default=DELAY)
    parser.add_argument("--modes", default="direct,prefect",
                        help="direct, prefect, stages (direct in one process with the per-stage CPU clock), "
                             "and <mode>-again: the same web crawled again, unchanged, into <mode>'s database")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    prefect_env()
    if "prefect" in args.modes:
        warm_up_prefect()
    webs = ([Web(args.small_hosts, args.reports)] if args.small_hosts else []) + [Web(args.hosts, args.reports)]
    entries = [bench_web(web, args.concurrency, args.delay, args.modes.split(",")) for web in webs]
    print_table(entries)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
