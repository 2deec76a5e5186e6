"""Database loading: reports/s and statistics cells/s into SQLite and Postgres (not a test).

    /work/venv/bin/python -m bench.db_load [--hosts 10] [--reports 30] [--backends sqlite,postgres]

The documents are the synthetic web's reports (two in five with three 2019-format statistics
tables, ~200 cells each), fetched from nowhere: pages are generated in-process and run through
``build_document`` before any clock starts, so only ``Store.load`` (dedupe + every row written, one
transaction per report, the crawl's own path) is timed. Each backend gets a fresh database (a
SQLite file; a Postgres database created on 127.0.0.1:5432 as user postgres and dropped after),
then the same documents twice: the first load, and a re-load of unchanged data (which must write
nothing but last-seen marks). Results: a table on stdout and bench/results/db_load.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from bench.runner import load_average
from bench.synthetic_web import Web

RESULTS = Path(__file__).resolve().parent / "results" / "db_load.json"
PG_ADMIN_URL = os.environ.get("GOVREPORTS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def documents(web: Web) -> list:
    """Every report of the web (re-posts left out: each is its own (agency, year)), parsed."""
    from flows.pipeline import FetchedDoc, build_document
    from core.sources import Source

    docs = []
    for host in range(web.hosts):
        base = f"http://127.0.0.1:{20000 + host}"
        source = Source(id=f"h{host:04d}", name=None, start_urls=(base + "/xxgk/ndbg/index.html",), kind="portal")
        for report in web.reports_of(host):
            page = web.page(host, report.path)
            fetched = FetchedDoc(base + report.path, base + report.path, hashlib.sha256(page.body).hexdigest(),
                                 page.content_type, report.title, base + "/xxgk/ndbg/index.html", report.published)
            docs.append((source, page, build_document(source, fetched, page.body, None)))
    return docs


def load_all(store, docs: list, run_id: int) -> tuple[float, Counter]:
    from flows.pipeline import content_of_copy

    outcomes: Counter = Counter()
    started = time.perf_counter()
    for _source, _page, doc in docs:
        outcome = store.load(doc, run_id, lambda copy, year=doc.year: content_of_copy(store, copy, year))
        outcomes[outcome.value] += 1
    return time.perf_counter() - started, outcomes


def bench_backend(url: str, docs: list) -> dict:
    from storage.store import Store

    store = Store(url)
    sources = list({source.id: source for source, _, _ in docs}.values())
    first_run = store.start_run("bench-load", {})
    store.upsert_sources(sources, first_run)
    for _source, page, doc in docs:  # snapshots exist before a load, as after a crawl's fetch
        store.save_snapshot(doc.snapshot_hash, page.body, page.content_type)
    cells = sum(len(doc.content.cells) for _, _, doc in docs)
    result = {"reports": len(docs), "stats_cells": cells, "round_trip_ms": round_trip_ms(store)}
    for label, run_id in (("first_load", first_run), ("reload_unchanged", store.start_run("bench-load", {}))):
        load_before = load_average()
        seconds, outcomes = load_all(store, docs, run_id)
        result[label] = {"seconds": round(seconds, 2), "reports_per_s": round(len(docs) / seconds, 1),
                         "stats_cells_per_s": round(cells / seconds), "outcomes": dict(outcomes),
                         "loadavg_before": load_before}
    store.close()
    return result


def round_trip_ms(store, samples: int = 200) -> float:
    """Median ``SELECT 1`` time: the baseline a load's dozen statements per report pay each (on a
    loaded machine, the database process waiting for a core shows up here first)."""
    from sqlalchemy import text

    times = []
    with store.engine.connect() as connection:
        for _ in range(samples):
            started = time.perf_counter()
            connection.execute(text("SELECT 1"))
            times.append(time.perf_counter() - started)
    return round(sorted(times)[len(times) // 2] * 1000, 3)


def postgres_database() -> tuple[str, callable]:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"govreports_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    docs = documents(Web(args.hosts, args.reports))
    print(f"{len(docs)} documents parsed in {time.perf_counter() - started:.1f} s (not timed below)")
    results = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="govreports-bench-") as tmp:
                results["sqlite"] = bench_backend(f"sqlite:///{Path(tmp) / 'load.db'}", docs)
        else:
            url, drop = postgres_database()
            try:
                results["postgres"] = bench_backend(url, docs)
            finally:
                drop()
    print(f"{'backend':>9} {'pass':>17} {'seconds':>8} {'reports/s':>10} {'cells/s':>8} {'SELECT 1 ms':>11} {'load':>5}")
    for backend, result in results.items():
        for label in ("first_load", "reload_unchanged"):
            r = result[label]
            print(f"{backend:>9} {label:>17} {r['seconds']:>8} {r['reports_per_s']:>10} {r['stats_cells_per_s']:>8} "
                  f"{result['round_trip_ms']:>11} {r['loadavg_before'][0]:>5}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"hosts": args.hosts, "reports_per_host": args.reports, **results},
                                   ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
