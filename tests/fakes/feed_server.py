"""A loopback HTTP server for the upgrade feed's tests: documents with ETag / Last-Modified and
304s, errors with Retry-After, redirects (loops too), slow and huge bodies. Real sockets, real
HTTP: the fetcher under test is the real one."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    redirect: str | None = None  # a path on this server to send the client to
    delay: float = 0.0  # before the answer
    chunk_delay: float = 0.0  # between 1 KB pieces of the body
    size: int | None = None  # a generated body of this many bytes, sent without a length


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.at_once = 0  # requests being answered now
        self.most_at_once = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._answer(self)

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.seen.append(Seen(handler.path, {k.lower(): v for k, v in handler.headers.items()},
                                  time.monotonic()))
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            self._send(handler, self.routes.get(handler.path))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a cap or a timeout): what the test wanted
        finally:
            with self._lock:
                self.at_once -= 1

    def _send(self, handler: BaseHTTPRequestHandler, route: Route | None) -> None:
        if route is None:
            handler.send_error(404)
            return
        time.sleep(route.delay)
        if route.redirect is not None:
            handler.send_response(302)
            handler.send_header("location", route.redirect)
            handler.end_headers()
            return
        asked = handler.headers
        unchanged = (route.etag is not None and asked.get("if-none-match") == route.etag) or (
            route.last_modified is not None and route.etag is None
            and asked.get("if-modified-since") == route.last_modified)
        handler.send_response(304 if unchanged else route.status)
        for name, value in {"etag": route.etag, "last-modified": route.last_modified,
                            **route.headers}.items():
            if value is not None:
                handler.send_header(name, value)
        if unchanged:
            handler.end_headers()
            return
        handler.send_header("content-type", route.content_type)
        if route.size is None:
            handler.send_header("content-length", str(len(route.body)))
        handler.end_headers()
        body = route.body if route.size is None else b"x" * route.size
        for start in range(0, len(body), 1024):
            handler.wfile.write(body[start:start + 1024])
            if route.chunk_delay:
                handler.wfile.flush()
                time.sleep(route.chunk_delay)
