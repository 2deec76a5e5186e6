"""See `govreports browse` as a reader does: serve a database with the real command on 127.0.0.1,
check that the canned queries answer with rows, and save headless-Chromium screenshots.

    python scripts/browse_check.py DB [OUT_DIR]      # default docs/img; DB e.g. govreports-demo/demo.db

Exits non-zero when the server does not come up, a canned query is empty, or a screenshot is blank.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]
QUERIES = ("applications_matrix", "identity_breaks", "coverage_ledger")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"govreports browse exited {server.returncode}: {server.stdout.read()}")
        time.sleep(0.5)
    raise RuntimeError("govreports browse did not answer within 180 s")


def screenshot(url: str, out: Path, size: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("no chromium: apt-get install -y chromium fonts-wqy-zenhei")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                        "--virtual-time-budget=5000", f"--screenshot={out}", url],
                       check=True, capture_output=True, timeout=120)
    if not out.exists() or out.stat().st_size < 10_000:
        raise RuntimeError(f"screenshot {out} missing or blank")


def shots(base: str) -> dict[str, tuple[str, str]]:
    """File name → (URL, window size). The report shown is the first one breaking an identity."""
    breaks = httpx.get(f"{base}/identity_breaks.json?_shape=array").json()
    carry = next((b for b in breaks if b["kind"] == "carry_over_mismatch"), breaks[0])
    return {
        "browse-applications-matrix.png": (f"{base}/applications_matrix", "1500,1000"),
        "browse-identity-breaks.png": (f"{base}/identity_breaks", "1700,1150"),
        "browse-report-cells.png": (f"{base}/report_cells?report_id={carry['report_id']}", "1900,1200"),
        "browse-coverage-ledger.png": (f"{base}/coverage?_sort=agency&status__not=missing",
                                       "1700,2000"),
        "browse-metrics.png": (f"{base}/metrics?metric=disclosure_rate&_sort=agency",
                               "1800,2000"),
    }


def main() -> None:
    db = Path(sys.argv[1])
    out_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "img"
    out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen([sys.executable, "-m", "govreports", "browse", "--db", str(db), "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}/govreports"
    try:
        wait_for(base, server)
        for name in QUERIES:
            rows = httpx.get(f"{base}/{name}.json?_shape=array").json()
            if not rows:
                raise RuntimeError(f"canned query {name} returned no rows")
            print(f"{name}: {len(rows)} rows")
        for name, (url, size) in shots(base).items():
            screenshot(url, out_dir / name, size)
            print(f"saved {out_dir / name}  ({url})")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
