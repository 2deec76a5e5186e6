"""See a crawl in the Prefect UI: start a Prefect server on 127.0.0.1 (own PREFECT_HOME), crawl the
demo sites with the real flow against it, then open the UI in headless Chromium and save
screenshots of the flow run, its artifacts and the coverage table. Checks through the API that
the run completed and published its artifacts before taking pictures; exits non-zero otherwise.

    python scripts/ui_check.py [OUT_DIR]      # default docs/img
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]
EXPECTED_KEYS = {"crawl-sources", "crawl-summary", "coverage-ledger", "crawl-progress", "coverage-heatmap"}


def start_server(home: Path, port: int) -> subprocess.Popen:
    # The UI asks the server where its API is; the default answer is port 4200, not ours.
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api"}
    log = open(home / "server.log", "wb")
    server = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start", "--host",
                               "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            break
        time.sleep(1)
    server.terminate()
    raise RuntimeError(f"Prefect server did not start; see {home / 'server.log'}")


def crawl_demo(workdir: Path) -> str:
    """Crawl the demo sites (in this process, reporting to the server); returns the flow run id."""
    from flows.crawl import crawl
    from govreports.demo.server import serve, sources_toml
    from govreports.demo.site import build_sites
    from govreports.demo.tables import place_keys, stats_sites

    sites = build_sites() + stats_sites()  # as `govreports demo` crawls them
    with serve(sites) as bases:
        sources = workdir / "demo-sources.toml"
        sources.write_text(sources_toml(sites, bases, delay=0.0, extra=place_keys()), encoding="utf-8")
        state = crawl(str(sources), db=f"sqlite:///{workdir / 'ui.db'}", return_state=True)
    if not state.is_completed():
        raise RuntimeError(f"the crawl ended {state.type}: {state.message}")
    return str(state.state_details.flow_run_id)


def artifacts_of(api: str, flow_run_id: str) -> dict[str, dict]:
    response = httpx.post(f"{api}/artifacts/filter", timeout=30, json={
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 50, "offset": 0, "sort": "KEY_ASC"})
    response.raise_for_status()
    return {a["key"]: a for a in response.json()}


def screenshot(url: str, out: Path, size: str = "1800,1100") -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("no chromium: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as profile:
        # The UI is a single-page app that loads data after the first paint: give it virtual time.
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                        "--virtual-time-budget=20000", f"--screenshot={out}", url],
                       check=True, capture_output=True, timeout=120)
    if not out.exists() or out.stat().st_size < 10_000:
        raise RuntimeError(f"screenshot {out} missing or blank")


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"
    out_dir.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("UI_CHECK_PORT", "4796"))
    with tempfile.TemporaryDirectory(prefix="govreports-ui-") as tmp:
        home = Path(tmp)
        server = start_server(home, port)
        try:
            base = f"http://127.0.0.1:{port}"
            os.environ.update(PREFECT_API_URL=f"{base}/api", PREFECT_HOME=str(home),
                              PREFECT_SERVER_ANALYTICS_ENABLED="false")
            flow_run_id = crawl_demo(home)
            artifacts = artifacts_of(f"{base}/api", flow_run_id)
            missing = EXPECTED_KEYS - set(artifacts)
            if missing:
                raise RuntimeError(f"flow run {flow_run_id} lacks artifacts {sorted(missing)}")
            shots = {
                "prefect-flow-run.png": f"{base}/runs/flow-run/{flow_run_id}",
                "prefect-coverage-table.png": f"{base}/artifacts/artifact/{artifacts['crawl-sources']['id']}",
                "prefect-coverage-ledger.png": f"{base}/artifacts/artifact/{artifacts['coverage-ledger']['id']}",
                "prefect-run-summary.png": f"{base}/artifacts/artifact/{artifacts['crawl-summary']['id']}",
                "prefect-coverage-heatmap.png": f"{base}/artifacts/artifact/{artifacts['coverage-heatmap']['id']}",
            }
            for name, url in shots.items():
                screenshot(url, out_dir / name)
                print(f"saved {out_dir / name}  ({url})")
        finally:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
