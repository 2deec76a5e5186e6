"""Politeness benchmark (not a test): many hosts crawled in parallel through one Fetcher.

    /work/venv/bin/python bench/politeness.py [--hosts 16] [--pages 6] [--delay 0.1] [--workers 16]

Each host is its own server on 127.0.0.1 (tests/fault_server.py: one port = one host for
politeness) answering every page after a short service time. All (host, page) requests go to a
thread pool sharing one Fetcher, in shuffled order, with a real Store on a SQLite file as the
ledger. From the servers' own logs we measure, per host:

- the gap between the end of one request and the start of the next (must never be below the
  delay; the fetcher adds 0-20 % jitter on top),
- the most requests ever in flight at once (must be 1),

and across hosts the achieved parallelism: the sum of the hosts' crawl spans over the wall time,
i.e. how many hosts were being crawled at once on average. The baseline, in the same run, is a
one-worker crawl going host by host (what a crawler without per-host gates has to do to stay
polite); the ratio of wall times is the speed-up parallel crawling buys without breaking spacing.
The ledger (fetched_at = when each request was sent, elapsed_ms) gives a second, client-side view
of the spacing; it is coarser (elapsed is whole milliseconds and excludes connection set-up).

Results: a table on stdout and bench/results/politeness.json.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fault-injection server lives with the tests

from fault_server import FaultServer, Reply, report_page  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "politeness.json"
SERVICE_TIME = 0.01  # seconds each server takes per page: a fast site, so waits are the gate's


@dataclass
class Measured:
    label: str
    workers: int
    requests: int
    wall: float
    min_gap_ratio: float  # smallest (next start - previous end) / delay over all hosts, server-side
    median_gap_ratio: float
    ledger_min_gap_ratio: float  # same from the ledger's fetched_at (end of each request), client-side
    max_in_flight: int  # most requests at once to one host
    parallelism: float  # sum of per-host crawl spans / wall time


def serve_hosts(stack: ExitStack, hosts: int, pages: int) -> list[FaultServer]:
    body = report_page("2019年政府信息公开工作年度报告")
    servers = []
    for _ in range(hosts):
        server = stack.enter_context(FaultServer())
        for page in range(pages):
            server.route(f"/p{page}.html", Reply(200, body, hang=SERVICE_TIME))
        servers.append(server)
    return servers


def crawl(label: str, hosts: int, pages: int, delay: float, workers: int, shuffled: bool) -> Measured:
    from fetching.client import Fetcher
    from fetching.settings import FetchSettings
    from storage.store import Store

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        servers = serve_hosts(stack, hosts, pages)
        store = Store(f"sqlite:///{tmp}/ledger.db")
        run_id = store.start_run("crawl", {"bench": label})
        jobs = [(server, f"/p{page}.html") for server in servers for page in range(pages)]
        if shuffled:
            random.Random(7).shuffle(jobs)
        fetcher = Fetcher(store, run_id=run_id, settings=FetchSettings())

        def fetch(job: tuple[FaultServer, str]) -> None:
            server, path = job
            fetcher.fetch(server.url(path), source_id=server.host, purpose="detail",
                          allowed_hosts=frozenset({server.host}), delay=delay)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(fetch, jobs))
        wall = time.monotonic() - started
        fetcher.close()
        rows = store.fetch_rows(run_id)
        store.close()
        return measure(label, workers, servers, rows, delay, wall)


def measure(label: str, workers: int, servers: list[FaultServer], rows, delay: float, wall: float) -> Measured:
    gaps: list[float] = []
    spans = 0.0
    in_flight = 0
    for server in servers:
        hits = sorted(server.hits, key=lambda hit: hit.started)
        gaps += [later.started - earlier.ended for earlier, later in zip(hits, hits[1:])]
        spans += hits[-1].ended - hits[0].started
        in_flight = max(in_flight, max_overlap(hits))
    ledger_gaps = []
    by_host: dict[str, list[tuple[float, float]]] = {}
    for row in rows:  # fetched_at is when the request was sent; elapsed_ms how long it took
        by_host.setdefault(row.url.split("/")[2], []).append((row.fetched_at.timestamp(), row.elapsed_ms / 1000))
    for sends in by_host.values():
        sends.sort()
        ledger_gaps += [later[0] - (earlier[0] + earlier[1]) for earlier, later in zip(sends, sends[1:])]
    return Measured(label, workers, sum(len(s.hits) for s in servers), wall, min(gaps) / delay,
                    statistics.median(gaps) / delay, min(ledger_gaps) / delay, in_flight, spans / wall)


def max_overlap(hits) -> int:
    events = sorted([(hit.started, 1) for hit in hits] + [(hit.ended, -1) for hit in hits],
                    key=lambda event: (event[0], event[1]))
    current = peak = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--pages", type=int, default=6, help="pages per host (plus its robots.txt)")
    parser.add_argument("--delay", type=float, default=0.1, help="per-host delay in seconds")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    baseline = crawl("host by host, 1 worker", args.hosts, args.pages, args.delay, 1, shuffled=False)
    parallel = crawl(f"shuffled, {args.workers} workers", args.hosts, args.pages, args.delay, args.workers,
                     shuffled=True)
    print(f"{args.hosts} hosts x ({args.pages} pages + robots.txt), delay {args.delay}s, "
          f"service time {SERVICE_TIME}s per request\n")
    print(f"{'crawl':28} {'requests':>8} {'wall s':>7} {'min gap/delay':>13} {'median':>7} "
          f"{'ledger min':>10} {'in flight':>9} {'hosts at once':>13} {'speed-up':>8}")
    for m in (baseline, parallel):
        print(f"{m.label:28} {m.requests:>8} {m.wall:>7.2f} {m.min_gap_ratio:>13.3f} {m.median_gap_ratio:>7.3f} "
              f"{m.ledger_min_gap_ratio:>10.3f} {m.max_in_flight:>9} {m.parallelism:>13.2f} "
              f"{baseline.wall / m.wall:>8.2f}")
    verdict = all(m.min_gap_ratio >= 1.0 and m.max_in_flight == 1 for m in (baseline, parallel))
    print(f"\nspacing never below the delay and one request in flight per host: {'yes' if verdict else 'NO'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "parameters": {**vars(args), "service_time": SERVICE_TIME},
        "runs": [m.__dict__ for m in (baseline, parallel)],
        "speedup": baseline.wall / parallel.wall,
        "spacing_respected": verdict,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
