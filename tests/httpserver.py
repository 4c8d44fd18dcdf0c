"""A real HTTP server on 127.0.0.1 for tests: each path answers as its Route says."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    """How one path answers: status, body (or a chunk generator), headers, delay, redirect."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunks: Callable[[], Iterator[bytes]] | None = None
    redirect: str | None = None
    etag: bool = False  # answer If-None-Match with 304 when the body is unchanged
    hits: int = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        server: TestServer = self.server.owner  # type: ignore[attr-defined]
        route = server.routes.get(self.path.split("?")[0])
        if route is None:
            self._send(404, b"not found", "text/plain")
            return
        route.hits += 1
        server.requests.append((self.path, dict(self.headers)))
        if route.delay:
            time.sleep(route.delay)
        if route.redirect:
            self.send_response(302)
            self.send_header("Location", route.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route.chunks:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for chunk in route.chunks():
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        tag = '"' + hashlib.sha1(route.body).hexdigest() + '"'
        if route.etag and self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        extra = dict(route.headers)
        if route.etag:
            extra["ETag"] = tag
        self._send(route.status, route.body, route.content_type, extra)

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class TestServer:
    """Start with `with TestServer() as srv:`; add routes with `srv.add(path, Route(...))`."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str, route: Route) -> str:
        """Register a route; return its absolute URL."""
        self.routes[path] = route
        return self.base + path

    def add_file(self, path: str, file: Path, **kwargs: object) -> str:
        """Serve a file's bytes at path."""
        return self.add(path, Route(body=file.read_bytes(), **kwargs))  # type: ignore[arg-type]

    def __enter__(self) -> TestServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
