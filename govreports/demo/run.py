"""`govreports demo`: serve the demo web, crawl it with the real flow, show what was found."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from govreports.demo.server import DEMO_FIRST_PORT, serve, sources_toml
from govreports.demo.site import build_sites
from govreports.demo.tables import place_keys, stats_sites


def run_demo(db: str, *, echo: Callable[[str], None], crawl: Callable[..., dict],
             print_summary: Callable[[dict], None]) -> dict:
    from govreports.records import report_records
    from storage.db import resolve_db_url
    from storage.store import Store

    workdir = Path(db).parent if "://" not in db else Path("govreports-demo")
    workdir.mkdir(parents=True, exist_ok=True)
    sites = build_sites() + stats_sites()  # the seed reports, then the 2019+ reports with statistics tables
    with serve(sites, first_port=DEMO_FIRST_PORT) as bases:
        sources_file = workdir / "demo-sources.toml"
        sources_file.write_text(sources_toml(sites, bases, extra=place_keys()), encoding="utf-8")
        echo(f"demo sites on {', '.join(bases.values())}; sources file {sources_file}")
        summary = crawl(str(sources_file), db, None, None, 8)
    print_summary(summary)
    echo("\nreports in the database:")
    store = Store(resolve_db_url(db))
    for record in report_records(store):
        figures = ", ".join(f"{k}={v}" for k, v in record["figures"].items()) or "no figures"
        echo(f"  {record['agency']} {record['year']}: {record['title']} ({len(record['urls'])} URLs; {figures})")
    runs = len(store.runs(1000))
    echo(f"""
next (after `. .venv/bin/activate` if you ran `make demo`):
  govreports runs --db {db}                     # run history ({runs} runs so far)
  govreports reports --db {db}                  # reports with figures and flags
  govreports export --db {db} --out reports.jsonl
  govreports browse --db {db}                   # the database in Datasette, on 127.0.0.1
  govreports plot --db {db} --out plots        # coverage heatmap, trends, 公开率 distribution
  govreports compare --db {db} --agency 浙江省公安厅 --years 2020-2021
  govreports demo --db {db}                     # again: the report count stays the same
  watch in the Prefect UI: `PREFECT_SERVER_ANALYTICS_ENABLED=false prefect server start` in another terminal, then
  PREFECT_API_URL=http://127.0.0.1:4200/api govreports demo --db {db}  and open http://127.0.0.1:4200/runs""")
    return summary
