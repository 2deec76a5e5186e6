"""The scripted UI check end to end: a Prefect server on 127.0.0.1, a crawl of the demo sites, and
headless-Chromium screenshots of the flow run and its artifacts (needs chromium installed)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (apt-get install chromium)")
def test_ui_check_saves_screenshots_of_the_run_and_its_artifacts(tmp_path):
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "UI_CHECK_PORT": "4798"}
    env.pop("PREFECT_API_URL", None)
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "ui_check.py"), str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    shots = {p.name: p.stat().st_size for p in tmp_path.glob("*.png")}
    assert set(shots) == {"prefect-flow-run.png", "prefect-coverage-table.png",
                          "prefect-coverage-ledger.png", "prefect-run-summary.png", "prefect-coverage-heatmap.png"}
    assert min(shots.values()) > 10_000  # a page with content, not a blank frame
