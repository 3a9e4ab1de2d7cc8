"""A loopback HTTP server that speaks the Anthropic Messages API and the OpenAI Chat Completions API
(streaming SSE and plain JSON), scriptable per request, for tests and benchmarks.

    with FakeLLMServer() as server:
        server.queue(Reply(text="Hi there"), Reply(status=429, retry_after=0))
        server.queue(Reply(text="Counting.", tool_calls=[("wordcount", {"args": ["x"]})]))
        ...  # point the real SDKs at server.anthropic_url / server.openai_url

Each request takes the next queued Reply (or the default one) and is recorded in `requests` with
its parsed JSON body (the messages and tools the model was sent).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
               403: "permission_error", 404: "not_found_error", 429: "rate_limit_error",
               500: "api_error", 503: "api_error", 529: "overloaded_error"}
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable", 529: "Overloaded"}


@dataclass
class Reply:
    """What the server does with one request."""

    text: str | None = None  # split into tokens at spaces (kept), unless `tokens` is given
    tokens: list[str] | None = None
    n_tokens: int | None = None  # or this many generated tokens "w0 w1 w2 ..."
    markdown_tokens: int | None = None  # or this many tokens of a Markdown document
    delay: float = 0.0  # seconds before each token
    status: int = 200
    retry_after: float | None = None
    error_after: int | None = None  # an in-stream error event after this many tokens
    cut_after: int | None = None  # drop the connection after this many tokens
    close_delimited: bool = False  # no chunked encoding: the body ends when the socket closes
    # anthropic's; mapped to finish_reason for openai. None: "tool_use" with tool calls, else
    # "end_turn".
    stop_reason: str | None = None
    input_tokens: Any = 11  # an int; anything else is sent as it is (a malformed count)
    output_tokens: Any = None  # what the end reports; None: the number of pieces sent
    # Raw SSE text sent instead of the end events (a malformed event, say; `sse()` makes one),
    # then the stream ends as if whole.
    end: str | None = None
    together: bool = False  # the whole body in one HTTP chunk: one network chunk for the client
    hang_after_headers: bool = False
    hang_after: int | None = None  # this many pieces, then nothing (the stream stays open)
    error_message: str | None = None  # the error's own words (status != 200, error_after)
    body: str | None = None  # sent as it is, with `status` and `content_type`, instead of the API's
    content_type: str = "text/html; charset=utf-8"
    # Tool calls streamed after the text (no text unless one is given): (name, arguments), the
    # arguments a dict sent as JSON, or a str sent as it is (malformed JSON, say).
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    tool_fragment: int = 4  # characters of argument JSON per streamed fragment
    # Tokens, error_after and cut_after count every streamed piece: text tokens, then each tool
    # call's start, argument fragments and (anthropic) end.

    @property
    def stop(self) -> str:
        return self.stop_reason or ("tool_use" if self.tool_calls else "end_turn")

    @property
    def has_text(self) -> bool:
        return not self.tool_calls or any(
            source is not None
            for source in (self.text, self.tokens, self.n_tokens, self.markdown_tokens))

    def token_list(self) -> list[str]:
        if not self.has_text:
            return []
        if self.tokens is not None:
            return self.tokens
        if self.n_tokens is not None:
            return [f"w{i} " for i in range(self.n_tokens)]
        if self.markdown_tokens is not None:
            return markdown_tokens(self.markdown_tokens)
        text = "Hello from the fake model." if self.text is None else self.text
        words = text.split(" ")
        return [w + " " for w in words[:-1]] + [words[-1]]


VOCABULARY = (" the", " model", " of", " and", " to", " a", " in", " is", " that", " it",
              " for", " data", " with", " as", " on", " be", " this", " by", " we", " are",
              " an", " or", " can", "ing", " from", " at", " which", " not", " have", "ed",
              " tokens", " stream", " answer", " code", " test", " user", " pai", ",", ".")
END = "zzend"


def arguments_json(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def fragments(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def markdown_tokens(count: int) -> list[str]:
    """`count` tokens shaped like a long real answer: headings, paragraphs, lists, code, tables,
    of word pieces about 4 characters long like a tokenizer's; the last token is END."""
    shapes = ["para"] * 5 + ["list", "code", "para", "table", "heading"]
    tokens: list[str] = []
    index = 0

    def word() -> str:
        nonlocal index
        index += 1
        return VOCABULARY[(index * 7) % len(VOCABULARY)]

    block = 0
    while len(tokens) < count - 1:
        shape = shapes[block % len(shapes)]
        block += 1
        if shape == "heading":
            tokens += ["##", *(word() for _ in range(4)), "\n\n"]
        elif shape == "list":
            for _ in range(5):
                tokens += ["-", *(word() for _ in range(8)), "\n"]
            tokens.append("\n")
        elif shape == "code":
            tokens.append("```python\n")
            for number in range(6):
                tokens += ["def", f" f{number}", "(x", "):\n", "    return", " g", "(x", ")\n"]
            tokens.append("```\n\n")
        elif shape == "table":
            tokens.append("| a | b | c |\n|---|---|---|\n")
            for _ in range(4):
                tokens += ["|", word(), " |", word(), " |", word(), " |\n"]
            tokens.append("\n")
        else:
            tokens += [word() for _ in range(60)] + ["\n\n"]
    return [*tokens[: count - 1], f" {END}"]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    time: float = 0.0
    number: int = 0  # its place among the server's requests, from 1

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages") or []

    @property
    def tools(self) -> list[dict[str, Any]]:
        return self.body.get("tools") or []

    def tool_id(self, index: int) -> str:
        """The id of the `index`th tool call in the answer to this request: unique per server."""
        return f"call_{self.number}_{index}"

    @property
    def api_key(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ").strip() or self.headers.get("x-api-key")


class FakeLLMServer:
    def __init__(self, default: Reply | None = None, ollama_models: list[str] | None = None):
        self.default = default or Reply()
        # Called (in the server's thread) with each request before it is answered.
        self.on_request: Callable[[Recorded], None] | None = None
        self.ollama_models = ollama_models
        # GET /v1/models (what `pai doctor` and `pai secrets rotate` ask, never a prompt):
        # these models, and 401 for a key in `refused_keys`.
        self.models = ["fake-model-1", "fake-model-2"]
        self.refused_keys: set[str] = set()
        self.requests: list[Recorded] = []
        self.token_sent_at: list[float] = []  # when each token of the last stream was written
        self.token_sent_wall: list[float] = []  # the same, as wall-clock time (time.time())
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    # lifecycle

    def start(self) -> FakeLLMServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def _stop() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def anthropic_url(self) -> str:
        return self.url

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else self.default

    # HTTP

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                keep_open = await self._handle(request, writer)
                if not keep_open:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> Recorded | None:
        line = await reader.readline()
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            header = (await reader.readline()).decode("latin-1").rstrip("\r\n")
            if not header:
                break
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        body: dict[str, Any] = {}
        length = int(headers.get("content-length", "0") or 0)
        if length:
            raw = await reader.readexactly(length)
            body = json.loads(raw) if raw.strip() else {}
        record = Recorded(method, path.split("?")[0], headers, body, time.monotonic(),
                          len(self.requests) + 1)
        self.requests.append(record)
        if self.on_request is not None:
            self.on_request(record)
        return record

    async def _handle(self, request: Recorded, writer: asyncio.StreamWriter) -> bool:
        if request.method == "GET" and request.path == "/api/tags" and self.ollama_models:
            body = {"models": [{"name": m, "model": m} for m in self.ollama_models]}
            return await self._json(writer, 200, body)
        if request.method == "GET" and request.path == "/v1/models":
            if request.api_key in self.refused_keys:
                return await self._json(writer, 401, {"error": {
                    "type": "authentication_error", "message": "invalid x-api-key"}})
            return await self._json(writer, 200, {"object": "list", "data": [
                {"id": m, "object": "model", "type": "model"} for m in self.models]})
        if request.method == "POST" and request.path.endswith("/messages"):
            return await self._reply(writer, request, self._next_reply(), "anthropic")
        if request.method == "POST" and request.path.endswith("/chat/completions"):
            return await self._reply(writer, request, self._next_reply(), "openai")
        return await self._json(writer, 404, {"error": {"message": "no such endpoint"}})

    async def _json(self, writer: asyncio.StreamWriter, status: int, body: dict[str, Any],
                    headers: dict[str, str] | None = None) -> bool:
        data = json.dumps(body).encode()
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                "content-type: application/json", f"content-length: {len(data)}",
                "request-id: req_fake", "x-request-id: req_fake"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await writer.drain()
        return True

    async def _raw(self, writer: asyncio.StreamWriter, reply: Reply) -> bool:
        data = (reply.body or "").encode()
        head = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}",
                f"content-type: {reply.content_type}", f"content-length: {len(data)}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await writer.drain()
        return True

    async def _reply(self, writer: asyncio.StreamWriter, request: Recorded, reply: Reply,
                     api: str) -> bool:
        if reply.body is not None:
            return await self._raw(writer, reply)
        if reply.status != 200:
            headers = {}
            if reply.retry_after is not None:
                headers["retry-after"] = f"{reply.retry_after:g}"
            kind = ERROR_TYPES.get(reply.status, "api_error")
            message = reply.error_message or f"fake {reply.status} {kind}"
            body: dict[str, Any] = (
                {"type": "error", "error": {"type": kind, "message": message}}
                if api == "anthropic" else
                {"error": {"message": message, "type": kind, "code": str(reply.status)}})
            return await self._json(writer, reply.status, body, headers)
        events = SSE[api]
        if not request.body.get("stream"):
            text = "".join(reply.token_list())
            return await self._json(writer, 200, events.whole(request, reply, text))
        head = ["HTTP/1.1 200 OK", "content-type: text/event-stream", "cache-control: no-cache",
                "request-id: req_fake", "x-request-id: req_fake"]
        head.append("connection: close" if reply.close_delimited else "transfer-encoding: chunked")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        await writer.drain()
        if reply.hang_after_headers:
            await asyncio.sleep(3600)

        held: list[str] = []  # with `together`, everything until the end

        def send(payload: str, last: bool = False) -> None:
            if reply.together and not last:
                held.append(payload)
                return
            data = ("".join(held) + payload).encode()
            held.clear()
            if reply.close_delimited:
                writer.write(data)
            else:
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        send(events.start(request, reply))
        self.token_sent_at = []
        self.token_sent_wall = []
        count = 0
        for index, piece in enumerate(_pieces(events, request, reply)):
            count = index + 1
            if reply.cut_after is not None and index >= reply.cut_after:
                if held:
                    send("", last=True)
                await writer.drain()
                writer.transport.abort() if not reply.close_delimited else writer.close()
                return False
            if reply.hang_after is not None and index >= reply.hang_after:
                if held:
                    send("", last=True)
                await writer.drain()
                await asyncio.sleep(3600)
            if reply.error_after is not None and index >= reply.error_after:
                send(events.error(reply.error_message), last=True)
                break
            if reply.delay:
                await asyncio.sleep(reply.delay)
            send(piece)
            if reply.delay or index % 64 == 63:
                await writer.drain()
            if reply.delay:
                self.token_sent_at.append(time.monotonic())
                self.token_sent_wall.append(time.time())
        else:
            if reply.cut_after is not None:  # cut right before the end marker
                if held:
                    send("", last=True)
                await writer.drain()
                writer.transport.abort() if not reply.close_delimited else writer.close()
                return False
            send(events.end(request, reply, count) if reply.end is None else reply.end,
                 last=True)
        if reply.close_delimited:
            await writer.drain()
            writer.close()
            return False
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def _pieces(events: Any, request: Recorded, reply: Reply) -> Iterator[str]:
    """What the stream sends after its start, one piece at a time: text tokens, then tool calls."""
    for token in reply.token_list():
        yield events.token(request, token)
    yield from events.tools(request, reply)


def sse(event: str | None, data: Any) -> str:
    """One server-sent event: `data` as JSON, or a str sent as it is (`"[DONE]"`, garbage)."""
    payload = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def _output(reply: Reply, count: int) -> Any:
    return count if reply.output_tokens is None else reply.output_tokens


def _total(input_tokens: Any, output_tokens: Any) -> Any:
    both = (input_tokens, output_tokens)
    return sum(both) if all(type(n) is int for n in both) else None


class _Anthropic:
    @staticmethod
    def start(request: Recorded, reply: Reply) -> str:
        message = {"id": "msg_fake", "type": "message", "role": "assistant",
                   "model": request.body.get("model", "fake"), "content": [],
                   "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1}}
        text_block = sse("content_block_start", {"type": "content_block_start", "index": 0,
                                                  "content_block": {"type": "text", "text": ""}})
        return (sse("message_start", {"type": "message_start", "message": message})
                + (text_block if reply.has_text else "") + sse("ping", {"type": "ping"}))

    @staticmethod
    def token(request: Recorded, token: str) -> str:
        return sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": token}})

    @staticmethod
    def tools(request: Recorded, reply: Reply) -> Iterator[str]:
        """Each call a tool_use block: its start, input_json_delta fragments, its stop."""
        first = 1 if reply.has_text else 0
        for number, (name, arguments) in enumerate(reply.tool_calls):
            index = first + number
            text_stop = sse("content_block_stop", {"type": "content_block_stop", "index": 0})
            block = {"type": "tool_use", "id": request.tool_id(number), "name": name,
                     "input": {}}
            yield ((text_stop if reply.has_text and number == 0 else "")
                   + sse("content_block_start", {"type": "content_block_start", "index": index,
                                                  "content_block": block}))
            for fragment in fragments(arguments_json(arguments), reply.tool_fragment):
                yield sse("content_block_delta", {
                    "type": "content_block_delta", "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": fragment}})
            yield sse("content_block_stop", {"type": "content_block_stop", "index": index})

    @staticmethod
    def end(request: Recorded, reply: Reply, count: int) -> str:
        text_stop = sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        return ((text_stop if not reply.tool_calls else "")
                + sse("message_delta", {"type": "message_delta",
                                         "delta": {"stop_reason": reply.stop,
                                                   "stop_sequence": None},
                                         "usage": {"output_tokens": _output(reply, count)}})
                + sse("message_stop", {"type": "message_stop"}))

    @staticmethod
    def error(message: str | None = None) -> str:
        return sse("error", {"type": "error", "error": {"type": "overloaded_error",
                                                         "message": message or "Overloaded"}})

    @staticmethod
    def whole(request: Recorded, reply: Reply, text: str) -> dict[str, Any]:
        content = [{"type": "text", "text": text}] if reply.has_text else []
        content += [{"type": "tool_use", "id": request.tool_id(number), "name": name,
                     "input": arguments if isinstance(arguments, dict) else {}}
                    for number, (name, arguments) in enumerate(reply.tool_calls)]
        return {"id": "msg_fake", "type": "message", "role": "assistant",
                "model": request.body.get("model", "fake"),
                "content": content, "stop_reason": reply.stop,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens,
                          "output_tokens": len(reply.token_list())}}


FINISH = {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


class _OpenAI:
    @staticmethod
    def _chunk(request: Recorded, delta: dict[str, Any], finish: str | None = None,
               usage: dict[str, Any] | None = None) -> str:
        chunk: dict[str, Any] = {
            "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000,
            "model": request.body.get("model", "fake"),
            "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if usage:
            chunk["usage"] = usage
        return sse(None, chunk)

    @classmethod
    def start(cls, request: Recorded, reply: Reply) -> str:
        return cls._chunk(request, {"role": "assistant", "content": ""})

    @classmethod
    def token(cls, request: Recorded, token: str) -> str:
        return cls._chunk(request, {"content": token})

    @classmethod
    def tools(cls, request: Recorded, reply: Reply) -> Iterator[str]:
        """Each call as `delta.tool_calls` chunks: id and name first, then argument fragments."""
        for index, (name, arguments) in enumerate(reply.tool_calls):
            yield cls._chunk(request, {"tool_calls": [{
                "index": index, "id": request.tool_id(index), "type": "function",
                "function": {"name": name, "arguments": ""}}]})
            for fragment in fragments(arguments_json(arguments), reply.tool_fragment):
                yield cls._chunk(request, {"tool_calls": [{
                    "index": index, "function": {"arguments": fragment}}]})

    @classmethod
    def end(cls, request: Recorded, reply: Reply, count: int) -> str:
        output = _output(reply, count)
        usage = {"prompt_tokens": reply.input_tokens, "completion_tokens": output,
                 "total_tokens": _total(reply.input_tokens, output)}
        text = cls._chunk(request, {}, FINISH.get(reply.stop, "stop"))
        if (request.body.get("stream_options") or {}).get("include_usage"):
            text += cls._chunk(request, {}, usage=usage)
        return text + sse(None, "[DONE]")

    @staticmethod
    def error(message: str | None = None) -> str:
        return sse(None, {"error": {
            "message": message or "The server had an error while processing",
            "type": "server_error"}})

    @staticmethod
    def whole(request: Recorded, reply: Reply, text: str) -> dict[str, Any]:
        count = len(reply.token_list())
        message: dict[str, Any] = {"role": "assistant",
                                   "content": text if reply.has_text else None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": request.tool_id(index), "type": "function",
                 "function": {"name": name, "arguments": arguments_json(arguments)}}
                for index, (name, arguments) in enumerate(reply.tool_calls)]
        return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000,
                "model": request.body.get("model", "fake"),
                "choices": [{"index": 0, "message": message,
                             "finish_reason": FINISH.get(reply.stop, "stop")}],
                "usage": {"prompt_tokens": reply.input_tokens, "completion_tokens": count,
                          "total_tokens": _total(reply.input_tokens, count)}}


SSE = {"anthropic": _Anthropic, "openai": _OpenAI}


def main() -> None:
    """Serve from a process of its own (benchmarks keep it apart from what they measure):
    prints the port, then serves until stdin closes."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="pai's loopback LLM server")
    parser.add_argument("--markdown-tokens", type=int)
    parser.add_argument("--tokens", type=int)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--times", help="write the wall-clock send time of each token of the "
                                        "last stream here (JSON) when stdin closes")
    args = parser.parse_args()
    reply = Reply(markdown_tokens=args.markdown_tokens, n_tokens=args.tokens, delay=args.delay)
    with FakeLLMServer(default=reply) as server:
        print(server.port, flush=True)
        sys.stdin.read()
        if args.times:
            with open(args.times, "w") as out:
                json.dump(server.token_sent_wall, out)


if __name__ == "__main__":
    main()
