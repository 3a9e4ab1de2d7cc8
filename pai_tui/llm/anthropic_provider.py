"""Claude through the official `anthropic` SDK (Messages API, streaming)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2

from pai_tui.config import ProviderSettings
from pai_tui.llm.base import (
    ChatRequest,
    Delta,
    Stop,
    StopReason,
    StreamBroken,
    TextPart,
    Usage,
)
from pai_tui.llm.errors import network_error, status_error
from pai_tui.llm.sse import json_event_batches

STOP_REASONS: dict[str, StopReason] = {"end_turn": "end", "stop_sequence": "end",
                                       "max_tokens": "max_tokens", "tool_use": "tool_use",
                                       "refusal": "refusal"}


class _Ending:
    """What the events say of the end: usage, why it stopped, whether message_stop came."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.reason: StopReason = "other"
        self.stopped = False


class AnthropicProvider:
    kind = "anthropic"

    def __init__(self, name: str, settings: ProviderSettings):
        self.name = name
        self.settings = settings
        self._clients: dict[str | None, anthropic.AsyncAnthropic] = {}

    def prepare(self, key: str | None) -> None:
        """Make the client for `key` ahead of the first request (it takes tens of ms)."""
        self._client(key)

    def _client(self, key: str | None) -> anthropic.AsyncAnthropic:
        if key not in self._clients:
            timeout = self.settings.timeout
            self._clients[key] = anthropic.AsyncAnthropic(
                api_key=key, base_url=self.settings.base_url, max_retries=0,  # pai retries
                timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)))
        return self._clients[key]

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()

    async def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        params: dict[str, Any] = {
            "model": request.model, "max_tokens": request.max_tokens, "stream": True,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages]}
        if request.system:
            params["system"] = request.system
        ending = _Ending()
        try:
            # The SDK sends the request and raises HTTP errors; the events are read raw (sse.py).
            async with self._client(key).messages.with_streaming_response.create(
                    **params) as response:
                async for batch in json_event_batches(response.iter_text()):
                    text: list[str] = []  # the text that arrived together, handed on as one
                    for _name, event in batch:
                        kind = event.get("type")
                        if kind == "content_block_delta":
                            delta = event.get("delta") or {}
                            if delta.get("type") == "text_delta":
                                text.append(delta.get("text", ""))
                        elif kind == "error":
                            if text:  # what came before the error is kept
                                yield TextPart("".join(text))
                            raise StreamBroken(f"{self.name}: the stream failed mid-answer "
                                               f"({_event_error(event)})")
                        else:
                            self._note(event, ending)
                    if text:
                        yield TextPart("".join(text))
        except anthropic.APIStatusError as error:
            raise status_error(self.name, error.status_code, _detail(error),
                               error.response.headers) from None
        except anthropic.APIConnectionError as error:
            raise network_error(self.name, error, self.settings.timeout) from None
        except (httpx2.HTTPError, ValueError) as error:  # cut, silent, or garbled mid-answer
            raise StreamBroken(f"{self.name}: the connection broke mid-answer "
                               f"({type(error).__name__})") from None
        yield ending.usage
        if ending.stopped:  # without message_stop the stream was cut: no Stop: incomplete
            yield Stop(ending.reason)

    @staticmethod
    def _note(event: dict[str, Any], ending: _Ending) -> None:
        kind = event.get("type")
        if kind == "message_start":
            usage = (event.get("message") or {}).get("usage") or {}
            ending.usage = Usage(usage.get("input_tokens") or 0, 0)
        elif kind == "message_delta":
            stop = (event.get("delta") or {}).get("stop_reason") or ""
            ending.reason = STOP_REASONS.get(stop, "other")
            output = (event.get("usage") or {}).get("output_tokens") or 0
            ending.usage = Usage(ending.usage.input_tokens, output)
        elif kind == "message_stop":
            ending.stopped = True


def _event_error(event: dict[str, Any]) -> str:
    error = event.get("error") or {}
    return ": ".join(str(p) for p in (error.get("type"), error.get("message")) if p)


def _detail(error: anthropic.APIStatusError) -> str:
    kind = getattr(error, "type", None)
    message = getattr(error, "api_message", None) or ""
    return ": ".join(part for part in (kind, message) if part)
