"""Scale-out: one crawl process against two (`--shard i --shards 2`) on one Postgres (not a test).

    .venv/bin/python -m bench.scaleout [--hosts 40] [--reports 6] [--repeats 1] [--crawl-arg=--flag ...]

The synthetic web (bench/synthetic_web.py, its own process) is served with ``delay = 0`` on many
hosts, so politeness never waits and the crawl is CPU-bound. Each mode crawls it into a fresh
Postgres database (created and dropped per run) through the real CLI, `govreports crawl`, with
``GOVREPORTS_HOST_GATE=postgres`` (what a deployment's workers run): one worker is one process
crawling every source; two workers are two processes at once, shard 0 and shard 1 of 2, sharing
the host leases and the host state. One Prefect server serves every process, started and warmed
before anything is timed (a deployment's workers talk to a server that is already up).

Reported per mode: wall seconds until the last process ends, the flow wall (first crawl run's
start to the last one's end, from ``crawl_runs``: the same crawl without process start-up), pages (fetch ledger rows that were
sent), reports loaded, CPU seconds of the crawl processes, and the load average before and after;
then speed-up = wall(1) ÷ wall(2). The issue's target is ≥ 1.8 on a machine with ≥ 2 idle cores.
Each crawl process also pays a fixed start-up (Python, Prefect and the flow run: ~5 s), which
bounds the speed-up on a small web; raise --hosts/--reports to shrink its share.

``--crawl-arg`` passes an option to every `govreports crawl` (repeatable), for example a per-crawl
CPU worker count if the CLI has one: when one crawl already uses every core, two cannot be 1.8×
faster, and the table says how many cores there are.

Results: a table on stdout and bench/results/scaleout.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bench.runner import load_average
from bench.synthetic_web import Web, WebServer, sources_toml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "scaleout.json"
PG_ADMIN = os.environ.get("GOVREPORTS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new Postgres database for one run, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"hoststate_scaleout_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def prefect_api() -> Iterator[str]:
    """One Prefect server for every crawl process, in a private PREFECT_HOME, warmed up."""
    home = tempfile.mkdtemp(prefix="govreports-bench-prefect-")
    os.environ["PREFECT_HOME"] = home
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    try:
        yield server.api_url
    finally:
        server.stop()


def crawl_processes(sources: Path, db_url: str, workers: int, api_url: str, crawl_args: list[str]) -> list[dict]:
    """``workers`` crawl processes at once, shard i of ``workers``; each one's exit code and wall."""
    env = {**os.environ, "PREFECT_API_URL": api_url, "GOVREPORTS_HOST_GATE": "postgres",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    started = time.perf_counter()
    processes = [subprocess.Popen(
        [sys.executable, "-m", "govreports", "crawl", "--sources", str(sources), "--db", db_url,
         "--shard", str(i), "--shards", str(workers), *crawl_args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(workers)]
    ended = []
    for process in processes:
        output, _ = process.communicate(timeout=3600)
        ended.append({"exit": process.returncode, "wall_s": round(time.perf_counter() - started, 2),
                      "tail": output.strip().splitlines()[-3 if process.returncode == 0 else -40:]})
    return ended


def database_counts(db_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return {
                "pages": connection.execute(text("SELECT count(*) FROM fetches WHERE attempt > 0")).scalar_one(),
                "refusals": connection.execute(text("SELECT count(*) FROM fetches WHERE attempt = 0")).scalar_one(),
                "reports": connection.execute(text("SELECT count(*) FROM reports")).scalar_one(),
                "copies": connection.execute(text("SELECT count(*) FROM copies")).scalar_one(),
                "runs": connection.execute(text("SELECT count(*) FROM crawl_runs")).scalar_one(),
                # from the first run's start to the last one's end: the crawl without process start-up
                "flow_wall_s": round(float(connection.execute(text(
                    "SELECT extract(epoch FROM max(ended_at) - min(started_at)) FROM crawl_runs")).scalar_one()), 2),
            }
    finally:
        engine.dispose()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_mode(workers: int, sources: Path, api_url: str, crawl_args: list[str]) -> dict:
    with fresh_database(PG_ADMIN) as db_url:
        load_before, cpu_before = load_average(), children_cpu()
        started = time.perf_counter()
        processes = crawl_processes(sources, db_url, workers, api_url, crawl_args)
        wall = time.perf_counter() - started
        cpu = children_cpu() - cpu_before
        counts = database_counts(db_url)
    return {"workers": workers, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), **counts,
            "pages_per_s": round(counts["pages"] / wall, 1), "processes": processes,
            "loadavg_before": load_before, "loadavg_after": load_average()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--reports", type=int, default=6)
    parser.add_argument("--delay", type=float, default=0.0, help="per-host delay (0: CPU-bound)")
    parser.add_argument("--repeats", type=int, default=1, help="alternating 1- and 2-worker runs; the best wall counts")
    parser.add_argument("--crawl-arg", action="append", default=[], help="an option for every crawl (repeatable)")
    args = parser.parse_args(argv)
    web = Web(args.hosts, args.reports)
    cores = len(os.sched_getaffinity(0))
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="govreports-scaleout-") as workdir, WebServer(web) as ports, \
            prefect_api() as api_url:
        sources = Path(workdir) / "sources.toml"
        sources.write_text(sources_toml(web, ports, args.delay), encoding="utf-8")
        for _ in range(max(1, args.repeats)):
            for workers in (1, 2):
                runs.append(run_mode(workers, sources, api_url, args.crawl_arg))
                print(_row(runs[-1]), flush=True)
    best = {w: min((r for r in runs if r["workers"] == w), key=lambda r: r["wall_s"]) for w in (1, 2)}
    speedup = round(best[1]["wall_s"] / best[2]["wall_s"], 2)
    flow_speedup = round(best[1]["flow_wall_s"] / best[2]["flow_wall_s"], 2)
    result = {"web": {"hosts": args.hosts, "reports": args.reports, "delay": args.delay}, "cores": cores,
              "cpu_count": os.cpu_count(), "crawl_args": args.crawl_arg, "runs": runs,
              "speedup_two_over_one": speedup, "flow_speedup_two_over_one": flow_speedup, "target": 1.8,
              "loadavg_end": load_average()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n{args.hosts} hosts × {args.reports} reports, delay {args.delay} s, {cores} cores available "
          f"(load average now {result['loadavg_end']})")
    print(f"two workers ÷ one worker: {speedup}× (target ≥ 1.8×; best wall of each: "
          f"{best[1]['wall_s']} s vs {best[2]['wall_s']} s); without process start-up: {flow_speedup}× "
          f"({best[1]['flow_wall_s']} s vs {best[2]['flow_wall_s']} s) → {RESULTS.relative_to(ROOT)}")


def _row(run: dict) -> str:
    failed = [p["exit"] for p in run["processes"] if p["exit"] != 0]
    for process in run["processes"]:
        if process["exit"] != 0:
            print("\n".join(process["tail"]), file=sys.stderr)
    return (f"workers {run['workers']}: wall {run['wall_s']:7.2f} s · flow {run['flow_wall_s']:7.2f} s · "
            f"cpu {run['cpu_s']:7.2f} s · "
            f"{run['pages']} pages ({run['pages_per_s']}/s) · {run['reports']} reports · {run['refusals']} refusals · "
            f"load {run['loadavg_before']} → {run['loadavg_after']}" + (f" · EXIT CODES {failed}" if failed else ""))


if __name__ == "__main__":
    main()
