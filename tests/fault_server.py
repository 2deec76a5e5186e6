"""A fault-injection web server on 127.0.0.1 for the fetch tests (and bench/politeness.py).

Each ``FaultServer`` is one host (its own port). A path is given a script of behaviours played in
order, one per request, the last one repeating: ``Reply`` (a status, body and headers, optionally
after hanging), ``Reset`` (the connection is reset with a TCP RST, no response), ``Stream`` (a huge
body sent in chunks, counting what actually left the server). Every request is logged with its
headers and server-side times, so tests can assert what was (not) sent without timing anything.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Union


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    hang: float = 0.0  # seconds to wait before answering (a slow or stuck server)


@dataclass(frozen=True)
class Reset:
    """Read the request, then reset the connection (SO_LINGER 0 + close sends RST)."""


@dataclass(frozen=True)
class Stream:
    """A body of ``total`` bytes sent in ``chunk``-sized writes; ``declare`` sends Content-Length."""

    total: int
    chunk: int = 256 * 1024
    declare: bool = False
    content_type: str = "text/html; charset=utf-8"


Behaviour = Union[Reply, Reset, Stream]


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    started: float  # time.monotonic() when the request line was read
    ended: float = 0.0  # when the handler finished answering


@dataclass
class StreamReport:
    sent: int = 0  # body bytes the socket accepted before the client went away
    finished: threading.Event = field(default_factory=threading.Event)


def page(title: str, body: str, charset: str = "utf-8") -> bytes:
    """A small HTML page in ``charset`` that declares it in a <meta> tag."""
    markup = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
              f"<title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>")
    return markup.encode("gb18030" if charset.lower() in ("gbk", "gb2312", "gb18030") else charset)


def report_page(title: str, charset: str = "utf-8") -> bytes:
    """A page long enough (well over classify.SHORT_PAGE_CHARS) to count as a document."""
    body = "".join(f"一、总体情况。本机关{i}年依法主动公开政府信息，受理政府信息公开申请{i}件。" for i in range(60))
    return page(title, body, charset)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client hanging up on a kept-alive connection is what these tests do on purpose."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class FaultServer:
    """One host on 127.0.0.1 with scripted paths. Use as a context manager."""

    def __init__(self) -> None:
        self._scripts: dict[str, list[Behaviour]] = {}
        self._lock = threading.Lock()
        self.hits: list[Hit] = []
        self.streams: dict[str, StreamReport] = {}
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fault-server", daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def route(self, path: str, *behaviours: Behaviour) -> "FaultServer":
        """Answer ``path`` with these behaviours in order; the last one repeats."""
        if not behaviours:
            raise ValueError("a route needs at least one behaviour")
        with self._lock:
            self._scripts[path] = list(behaviours)
        return self

    def requests_to(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]

    def __enter__(self) -> "FaultServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, path: str) -> Behaviour:
        with self._lock:
            script = self._scripts.get(path)
            if script is None:
                return Reply(404, b"<html><body>Not Found</body></html>")
            return script.pop(0) if len(script) > 1 else script[0]

    def _log(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def _stream_report(self, path: str) -> StreamReport:
        with self._lock:
            return self.streams.setdefault(path, StreamReport())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._answer()

            def _answer(self) -> None:
                hit = Hit(self.command, self.path, dict(self.headers.items()), time.monotonic())
                server._log(hit)
                behaviour = server._next(self.path)
                try:
                    if isinstance(behaviour, Reset):
                        self._reset()
                    elif isinstance(behaviour, Stream):
                        self._stream(behaviour)
                    else:
                        self._reply(behaviour)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up on us: expected in these tests
                finally:
                    hit.ended = time.monotonic()

            def _reply(self, reply: Reply) -> None:
                if reply.hang:
                    time.sleep(reply.hang)
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.body and self.command != "HEAD":
                    self.wfile.write(reply.body)

            def _reset(self) -> None:
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

            def _stream(self, stream: Stream) -> None:
                report = server._stream_report(self.path)
                self.close_connection = True
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", stream.content_type)
                    if stream.declare:
                        self.send_header("Content-Length", str(stream.total))
                    self.send_header("Connection", "close")  # no length: the body ends when we close
                    self.end_headers()
                    chunk = b"<p>" + b"x" * (stream.chunk - 7) + b"</p>\n"
                    while report.sent < stream.total:
                        self.wfile.write(chunk)
                        report.sent += len(chunk)
                finally:
                    report.finished.set()

            def finish(self) -> None:
                try:
                    super().finish()
                except OSError:
                    pass  # the socket was reset or closed under us on purpose

            def log_message(self, *args) -> None:
                pass

        return Handler
