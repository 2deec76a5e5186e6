"""Serve the demo sites on 127.0.0.1, one port per site (each port is its own host for politeness)."""
from __future__ import annotations

import threading
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

from govreports.demo.site import LAST_MODIFIED, ROBOTS, Site

# A fault hook may answer a request itself (return True) before the site does: tests use it to
# inject 503s, resets and slow responses into the demo web.
FaultHook = Callable[[BaseHTTPRequestHandler, str, str], bool]

NOT_FOUND_PAGE = "<html><head><meta charset='utf-8'><title>404</title></head><body>您访问的页面不存在</body></html>"


def _handler(site: Site, fault: FaultHook | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if fault is not None and fault(self, site.id, self.path):
                return
            if self.path == "/robots.txt":
                return self._send(200, ROBOTS, "text/plain")
            page = site.pages.get(self.path)
            if page is None:
                return self._send(404, NOT_FOUND_PAGE.encode("utf-8"), "text/html; charset=utf-8")
            etag = site.etag(self.path)
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", None, {"ETag": etag})
            self._send(200, page.body, page.content_type, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

        def _send(self, status: int, body: bytes, content_type: str | None, headers: dict | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep test and demo output clean
            pass

    return Handler


# `govreports demo` serves on fixed ports so that its URLs, and so its copies, are the same on
# every run (re-running the demo then changes nothing but the run history).
DEMO_FIRST_PORT = 18701


def _bind(site: Site, fault: FaultHook | None, port: int) -> ThreadingHTTPServer:
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), _handler(site, fault))
    except OSError:
        if port == 0:
            raise
        return ThreadingHTTPServer(("127.0.0.1", 0), _handler(site, fault))  # taken: any free port


@contextmanager
def serve(sites: list[Site], fault: FaultHook | None = None, first_port: int = 0) -> Iterator[dict[str, str]]:
    """Start one loopback server per site; yields ``{site_id: "http://127.0.0.1:PORT"}``.

    ``first_port`` 0 picks free ports; otherwise sites get consecutive ports from it when free.
    """
    with ExitStack() as stack:
        bases: dict[str, str] = {}
        for index, site in enumerate(sites):
            server = _bind(site, fault, first_port + index if first_port else 0)
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, name=f"demo-{site.id}", daemon=True)
            thread.start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            bases[site.id] = f"http://127.0.0.1:{server.server_address[1]}"
        yield bases


def sources_toml(sites: list[Site], bases: dict[str, str], delay: float = 0.1,
                 extra: dict[str, dict[str, str]] | None = None) -> str:
    """A sources file for the served demo sites; ``extra`` adds string keys per site id."""
    entries = []
    for site in sites:
        lines = ["[[source]]", f'id = "{site.id}"']
        if site.name:
            lines.append(f'name = "{site.name}"')
        lines += [f'kind = "{site.kind}"', f'start_urls = ["{bases[site.id]}{site.start_path}"]', f"delay = {delay}"]
        lines += [f'{key} = "{value}"' for key, value in (extra or {}).get(site.id, {}).items()]
        entries.append("\n".join(lines))
    return "\n\n".join(entries) + "\n"
