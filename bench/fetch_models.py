"""Many hosts in flight: a thread per host against asyncio + httpx.AsyncClient (not a test).

    .venv/bin/python -m bench.fetch_models [--hosts 200,1000] [--requests 6] [--delay 0.25]

The synthetic web (bench/synthetic_web.py) is served from its own process; each model, in a fresh
child process (so that its peak RSS is its own), fetches ``requests`` pages of every host with at
most one request in flight per host and ``delay`` seconds between one host's requests, the way the
crawl's lanes do:

- ``threads``: one thread per host on one shared ``httpx.Client`` (the crawl's Fetcher, lanes);
- ``async``: one asyncio task per host on one shared ``httpx.AsyncClient``.

Reported per model: wall ÷ the politeness bound (requests × delay, plus the requests' own time),
CPU seconds per 1,000 requests, and the child's peak RSS. Bodies are read and dropped: this
measures the I/O machinery alone, not parsing. Results: a table and bench/results/fetch_models.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.runner import cpu_seconds, load_average, peak_rss_mb
from bench.synthetic_web import LISTING_PATH, ROOT, Web, WebServer

RESULTS = Path(__file__).resolve().parent / "results" / "fetch_models.json"
MODELS = ("threads", "async")
# TRANSPORT_RETRY: on this loaded machine a kept-alive connection was now and then found closed
# (httpx.ReadError, EBADF) by either model at 200 hosts; both retry such a request once, as the
# crawl's Fetcher retries transport errors.


def urls_of(web: Web, ports: list[int], requests: int) -> list[list[str]]:
    """Per host: its listing, then its report pages, ``requests`` URLs in all."""
    per_host = []
    for host, port in enumerate(ports):
        paths = [LISTING_PATH] + [r.path for r in web.reports_of(host)]
        per_host.append([f"http://127.0.0.1:{port}{p}" for p in paths[:requests]])
    return per_host


def run_threads(hosts: list[list[str]], delay: float) -> int:
    import httpx
    from concurrent.futures import ThreadPoolExecutor

    limits = httpx.Limits(max_connections=len(hosts) + 8, max_keepalive_connections=len(hosts) + 8)
    with httpx.Client(limits=limits, timeout=120) as client:

        def lane(urls: list[str]) -> int:
            for i, url in enumerate(urls):
                if i:
                    time.sleep(delay)
                try:
                    client.get(url).raise_for_status()
                except httpx.TransportError:  # see ``TRANSPORT_RETRY``
                    client.get(url).raise_for_status()
            return len(urls)

        with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
            return sum(pool.map(lane, hosts))


def run_async(hosts: list[list[str]], delay: float) -> int:
    import asyncio

    import httpx

    async def main() -> int:
        limits = httpx.Limits(max_connections=len(hosts) + 8, max_keepalive_connections=len(hosts) + 8)
        async with httpx.AsyncClient(limits=limits, timeout=120) as client:

            async def lane(urls: list[str]) -> int:
                for i, url in enumerate(urls):
                    if i:
                        await asyncio.sleep(delay)
                    try:
                        (await client.get(url)).raise_for_status()
                    except httpx.TransportError:  # see ``TRANSPORT_RETRY``
                        (await client.get(url)).raise_for_status()
                return len(urls)

            return sum(await asyncio.gather(*(lane(urls) for urls in hosts)))

    return asyncio.run(main())


def child(model: str, hosts: list[list[str]], delay: float) -> dict:
    cpu_start, wall_start = cpu_seconds(), time.perf_counter()
    requests = (run_threads if model == "threads" else run_async)(hosts, delay)
    wall, cpu = time.perf_counter() - wall_start, cpu_seconds() - cpu_start
    return {"requests": requests, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "cpu_s_per_1000_requests": round(cpu / requests * 1000, 2), "peak_rss_mb": round(peak_rss_mb(), 1)}


def measure(model: str, web: Web, ports: list[int], requests: int, delay: float) -> dict:
    hosts = urls_of(web, ports, requests)
    load = load_average()
    completed = subprocess.run([sys.executable, "-m", "bench.fetch_models", "child", "--model", model,
                                "--delay", str(delay)], input=json.dumps(hosts), cwd=ROOT, capture_output=True,
                               text=True, timeout=900)
    if completed.returncode:
        raise RuntimeError(f"{model} child failed: {completed.stderr[-2000:]}")
    result = json.loads(completed.stdout.splitlines()[-1])
    bound = (requests - 1) * delay
    result.update(model=model, hosts=web.hosts, requests_per_host=requests, delay=delay,
                  politeness_bound_s=round(bound, 2), wall_over_bound=round(result["wall_s"] / bound, 3),
                  loadavg_before=load)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run_child = sub.add_parser("child")
    run_child.add_argument("--model", choices=MODELS, required=True)
    run_child.add_argument("--delay", type=float, required=True)
    parser.add_argument("--hosts", default="200,500")
    parser.add_argument("--requests", type=int, default=6)
    parser.add_argument("--delay", type=float, default=0.25)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.command == "child":
        print(json.dumps(child(args.model, json.loads(sys.stdin.read()), args.delay)))
        return
    results = []
    for size in (int(n) for n in args.hosts.split(",")):
        web = Web(size, max(1, args.requests - 1))
        with WebServer(web) as ports:
            results += [measure(model, web, ports, args.requests, args.delay) for model in MODELS]
    print(f"{'hosts':>6} {'model':>8} {'requests':>8} {'wall s':>7} {'bound s':>7} {'wall/bound':>10} "
          f"{'CPU s/1k req':>12} {'peak RSS MB':>11} {'load':>5}")
    for r in results:
        print(f"{r['hosts']:>6} {r['model']:>8} {r['requests']:>8} {r['wall_s']:>7} {r['politeness_bound_s']:>7} "
              f"{r['wall_over_bound']:>10} {r['cpu_s_per_1000_requests']:>12} {r['peak_rss_mb']:>11} "
              f"{r['loadavg_before'][0]:>5}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
