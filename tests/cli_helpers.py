"""Running the real CLI as a user does: a subprocess of the installed entry point, with the test
session's private PREFECT_HOME (tests/conftest.py) unless a test gives its own."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def govreports(*args: str, cwd=None, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govreports", *args], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, cwd=cwd, timeout=timeout)


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``root`` with its size and mtime: equal before and after a
    command means the command created, changed and deleted nothing there."""
    listing = {}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        listing[str(path.relative_to(root))] = (stat.st_size if path.is_file() else -1, stat.st_mtime_ns)
    return listing


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    """Exit ``code``, exactly one line on stderr (``error: …``) naming every fragment, no traceback."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
