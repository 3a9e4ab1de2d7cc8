"""A loopback HTTP server that speaks the OpenAI Images API (`POST /v1/images/generations`),
for testing the art skill's image tool with the real `openai` SDK.

    with FakeImagesServer() as server:
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-test"}
        ...  # run the tool; then look at server.requests

Each request is recorded (path, headers, JSON body). The answer is a real 1x1 PNG in `b64_json`
(or the text set in `b64_json`), or the error set in `status` / `error`.
"""

from __future__ import annotations

import base64
import json
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def tiny_png() -> bytes:
    """A valid 1x1 red PNG, built here so the fake answers with a real image."""

    def block(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte, then one red pixel
    return (b"\x89PNG\r\n\x1a\n" + block(b"IHDR", header) + block(b"IDAT", pixels) +
            block(b"IEND", b""))


PNG = tiny_png()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


class FakeImagesServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.status = 200
        self.error = "Your request was rejected by the fake server."
        self.image = PNG
        self.b64_json: str | None = None  # sent instead of the image's base64 when set
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server calls do_<METHOD>
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"unparsed": raw.decode("utf-8", "replace")}
                server.requests.append(Recorded("POST", self.path,
                                                {k.lower(): v for k, v in self.headers.items()},
                                                body))
                if self.path != "/v1/images/generations":
                    return self._send(404, {"error": {"message": f"no route {self.path}",
                                                      "type": "invalid_request_error"}})
                if server.status != 200:
                    return self._send(server.status, {"error": {
                        "message": server.error, "type": "invalid_request_error"}})
                image = server.b64_json or base64.b64encode(server.image).decode("ascii")
                return self._send(200, {"created": 1700000000,
                                        "data": [{"b64_json": image}]})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL the SDK takes as OPENAI_BASE_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeImagesServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
