"""GPT and any OpenAI-compatible endpoint (Ollama, LM Studio, vLLM, OpenRouter...) through the
official `openai` SDK (Chat Completions, streaming)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai

from pai_tui.config import ProviderSettings
from pai_tui.llm.base import ChatRequest, Delta, Stop, StopReason, StreamBroken, TextPart, Usage
from pai_tui.llm.errors import network_error, status_error

STOP_REASONS: dict[str, StopReason] = {"stop": "end", "length": "max_tokens",
                                       "tool_calls": "tool_use", "function_call": "tool_use",
                                       "content_filter": "refusal"}
NO_KEY = "no-key-needed"  # local servers take any key; the SDK insists on one


class OpenAIProvider:
    kind = "openai"

    def __init__(self, name: str, settings: ProviderSettings):
        self.name = name
        self.settings = settings
        self._clients: dict[str | None, openai.AsyncOpenAI] = {}

    def _client(self, key: str | None) -> openai.AsyncOpenAI:
        if key not in self._clients:
            timeout = self.settings.timeout
            self._clients[key] = openai.AsyncOpenAI(
                api_key=key or NO_KEY, base_url=self.settings.base_url, max_retries=0,
                timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)))
        return self._clients[key]

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()

    async def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        try:
            stream = await self._client(key).chat.completions.create(
                model=request.model, messages=messages, stream=True,  # type: ignore[arg-type]
                max_completion_tokens=request.max_tokens,
                stream_options={"include_usage": True})
        except openai.APIStatusError as error:
            raise status_error(self.name, error.status_code, _detail(error),
                               error.response.headers) from None
        except openai.APIConnectionError as error:
            raise network_error(self.name, error, self.settings.timeout) from None

        usage = Usage()
        reason: StopReason | None = None
        try:
            async with stream:
                async for chunk in stream:
                    if chunk.usage:
                        usage = Usage(chunk.usage.prompt_tokens or 0,
                                      chunk.usage.completion_tokens or 0)
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    if choice.delta and choice.delta.content:
                        yield TextPart(choice.delta.content)
                    if choice.finish_reason:
                        reason = STOP_REASONS.get(choice.finish_reason, "other")
        except openai.APIStatusError as error:
            raise StreamBroken(f"{self.name}: the stream failed mid-answer "
                               f"({_detail(error)})") from None
        except (openai.APIError, httpx2.HTTPError, ValueError) as error:
            # APIError: an error object inside the stream; ValueError: a garbled event.
            what = _detail(error) if isinstance(error, openai.APIError) else type(error).__name__
            raise StreamBroken(f"{self.name}: the stream failed mid-answer ({what})") from None
        yield usage
        if reason is not None:  # no finish_reason: the stream was cut, so it is incomplete
            yield Stop(reason)


def _detail(error: openai.APIError) -> str:
    message = getattr(error, "message", "") or ""
    return message.removeprefix("Error code: ").strip()
