"""A loopback web of listings too big to keep as files: a city-size gkmlpt catalogue (category 0 with
45,000 documents) and 共9999页 lists whose every page repeats the same items. Static routes come from
fixture files (raw bytes); the big listings are computed per request. Every request is logged, so
tests (and the measurements in the README) count what discovery asked for."""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

Answer = tuple[int, bytes, str]  # status, body, content type
JSON = "application/json;charset=UTF-8"
HTML = "text/html; charset=utf-8"


class CatalogueServer:
    """One host on 127.0.0.1. ``static`` maps a path (with query) to a fixture file; ``dynamic`` maps
    a path prefix to a function of (path, query) returning an Answer or None."""

    def __init__(self, static: dict[str, tuple[Path, str]] | None = None,
                 dynamic: dict[str, Callable[[str, dict[str, str]], Answer | None]] | None = None) -> None:
        self.static = static or {}
        self.dynamic = dynamic or {}
        self.log: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                server.log.append(self.path)
                status, body, content_type = server.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True

    def answer(self, path: str) -> Answer:
        if path in self.static:
            file, content_type = self.static[path]
            return 200, file.read_bytes(), content_type
        parts = urlsplit(path)
        for prefix, handler in self.dynamic.items():
            if parts.path.startswith(prefix):
                found = handler(parts.path, dict(parse_qsl(parts.query)))
                if found is not None:
                    return found
        return 404, "<html><body>页面不存在 404</body></html>".encode("utf-8"), HTML

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def requests_to(self, prefix: str) -> list[str]:
        return [p for p in self.log if p.startswith(prefix)]

    def __enter__(self) -> CatalogueServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def whole_catalogue(total: int = 45_000, per_page: int = 100, reports_at: dict[int, str] | None = None
                    ) -> Callable[[str, dict[str, str]], Answer | None]:
    """``/gkmlpt/api/all/0``: ``total`` documents newest first, ``per_page`` a page; the annual reports
    sit where ``reports_at`` says (page number → title), as on a real city catalogue where the older
    reports lie hundreds of pages deep."""
    reports_at = reports_at or {}

    def handler(path: str, query: dict[str, str]) -> Answer | None:
        if not re.fullmatch(r".*/gkmlpt/api/all/0", path):
            return None
        page = int(query.get("page", "1"))
        first = (page - 1) * per_page
        articles = []
        for i in range(first, min(first + per_page, total)):
            title = reports_at.get(page) if i == first and page in reports_at else f"关于印发第{i}号工作通知的通知"
            articles.append({"id": 3_000_000 - i, "title": title, "url": f"/gkmlpt/content/3/{i // 1000}/post_{3_000_000 - i}.html",
                             "display_publish_time": 1_700_000_000 - i * 3600, "publisher": "市政府办公室"})
        body = json.dumps({"total": total, "page": page, "articles": articles}, ensure_ascii=False)
        return 200, body.encode("utf-8"), JSON

    return handler


def repeating_list(items: list[tuple[str, str]], claimed_pages: int = 9999) -> Callable[[str, dict[str, str]], Answer | None]:
    """A ``?page=N`` list that claims 共``claimed_pages``页 and answers every page with the same items,
    under a numbered pager whose links (N+1 … N+5, 下一页, 尾页) are new on every page."""

    def handler(path: str, query: dict[str, str]) -> Answer | None:
        page = int(query.get("page", "1"))
        rows = "\n".join(f'<li><a href="{href}" target="_blank">{title}</a><span>2021-03-{10 + n:02d}</span></li>'
                         for n, (href, title) in enumerate(items))
        numbers = "".join(f'<a href="?page={n}">{n}</a>' for n in range(max(1, page - 2), min(claimed_pages, page + 5) + 1)
                          if n != page)
        previous = f'<a href="?page={page - 1}">上一页</a>' if page > 1 else ""
        pager = (f'<div class="page">共{claimed_pages}页 当前第{page}页 <a href="?page=1">首页</a>{previous}{numbers}'
                 f'<a href="?page={page + 1}">下一页</a><a href="?page={claimed_pages}">尾页</a></div>')
        markup = (f"<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head><body>"
                  f"<div class='nav'><a href='/'>首页</a><a href='/zwgk/'>政务公开</a></div>"
                  f"<ul class='list'>{rows}</ul>{pager}</body></html>")
        return 200, markup.encode("utf-8"), HTML

    return handler
