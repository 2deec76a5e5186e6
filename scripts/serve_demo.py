"""Serve the demo sites on 127.0.0.1 until killed, and write a sources file for them.

    python scripts/serve_demo.py SOURCES_TOML [FIRST_PORT]

Used by scripts/local_stack.sh, where the crawl runs in a worker's subprocess and so cannot
share the demo server's process.
"""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from govreports.demo.server import serve, sources_toml
from govreports.demo.site import build_sites


def main() -> None:
    out = Path(sys.argv[1])
    first_port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sites = build_sites()
    with serve(sites, first_port=first_port) as bases:
        out.write_text(sources_toml(sites, bases, delay=0.0), encoding="utf-8")
        print(f"demo sites on {', '.join(bases.values())}; sources file {out}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
