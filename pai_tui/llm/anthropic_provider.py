"""Claude through the official `anthropic` SDK (Messages API, streaming)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2

from pai_tui.config import ProviderSettings
from pai_tui.llm.base import ChatRequest, Delta, Stop, StopReason, StreamBroken, TextPart, Usage
from pai_tui.llm.errors import network_error, status_error

STOP_REASONS: dict[str, StopReason] = {"end_turn": "end", "stop_sequence": "end",
                                       "max_tokens": "max_tokens", "tool_use": "tool_use",
                                       "refusal": "refusal"}


class AnthropicProvider:
    kind = "anthropic"

    def __init__(self, name: str, settings: ProviderSettings):
        self.name = name
        self.settings = settings
        self._clients: dict[str | None, anthropic.AsyncAnthropic] = {}

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
        try:
            stream = await self._client(key).messages.create(**params)
        except anthropic.APIStatusError as error:
            raise status_error(self.name, error.status_code, _detail(error),
                               error.response.headers) from None
        except anthropic.APIConnectionError as error:
            raise network_error(self.name, error, self.settings.timeout) from None

        usage = Usage()
        reason: StopReason = "other"
        stopped = False
        try:
            async with stream:
                async for event in stream:  # branch on .type: unknown types still parse
                    kind = event.type
                    if kind == "content_block_delta" and event.delta.type == "text_delta":
                        yield TextPart(event.delta.text)
                    elif kind == "message_start":
                        usage = Usage(event.message.usage.input_tokens or 0, 0)
                    elif kind == "message_delta":
                        reason = STOP_REASONS.get(event.delta.stop_reason or "", "other")
                        usage = Usage(usage.input_tokens, event.usage.output_tokens or 0)
                    elif kind == "message_stop":
                        stopped = True
        except anthropic.APIStatusError as error:  # an error event inside the stream
            raise StreamBroken(f"{self.name}: the stream failed mid-answer "
                               f"({_detail(error)})") from None
        except (anthropic.APIConnectionError, httpx2.HTTPError) as error:
            raise StreamBroken(f"{self.name}: the connection broke mid-answer "
                               f"({type(error).__name__})") from None
        yield usage
        if stopped:  # without message_stop the stream was cut: no Stop, so it is incomplete
            yield Stop(reason)


def _detail(error: anthropic.APIStatusError) -> str:
    kind = getattr(error, "type", None)
    message = getattr(error, "api_message", None) or ""
    return ": ".join(part for part in (kind, message) if part)
