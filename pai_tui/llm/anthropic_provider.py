"""Claude through the official `anthropic` SDK (Messages API, streaming)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2

from pai_tui.config import ProviderSettings
from pai_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    Delta,
    PartialToolCall,
    Stop,
    StopReason,
    StreamBroken,
    TextPart,
    Usage,
)
from pai_tui.llm.clients import ClientCache, sdk_timeout
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
        self.clients = ClientCache(self._make_client)

    def _make_client(self, key: str | None) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(api_key=key, base_url=self.settings.base_url,
                                        max_retries=0,  # pai retries (retry.py)
                                        timeout=sdk_timeout(self.settings.timeout))

    def prepare(self, key: str | None) -> None:
        """Make the client for `key` ahead of the first request (it takes tens of ms)."""
        self.clients.prepare(key)

    async def aclose(self) -> None:
        await self.clients.aclose()

    async def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        params: dict[str, Any] = {
            "model": request.model, "max_tokens": request.max_tokens, "stream": True,
            "messages": [_message(m) for m in request.messages]}
        if request.system:
            params["system"] = request.system
        if request.tools:
            params["tools"] = [{"name": t.name, "description": t.description,
                                "input_schema": t.parameters} for t in request.tools]
        ending = _Ending()
        calls: dict[int, PartialToolCall] = {}  # tool_use blocks still open, by block index
        try:
            # The SDK sends the request and raises HTTP errors; the events are read raw (sse.py).
            async with self.clients.get(key).messages.with_streaming_response.create(
                    **params) as response:
                async for batch in json_event_batches(response.iter_text()):
                    text: list[str] = []  # the text that arrived together, handed on as one
                    for _name, event in batch:
                        kind = event.get("type")
                        if kind == "content_block_delta":
                            delta = event.get("delta") or {}
                            if delta.get("type") == "text_delta":
                                text.append(delta.get("text", ""))
                            elif (delta.get("type") == "input_json_delta"
                                  and (call := calls.get(event.get("index"))) is not None):
                                call.fragments.append(delta.get("partial_json") or "")
                        elif kind == "content_block_start":
                            _open_tool_call(event, calls)
                        elif kind == "content_block_stop":
                            # A tool call is whole only when its block closes: a stream cut
                            # before that never yields it, so it can never be run.
                            if (call := calls.pop(event.get("index"), None)) is not None:
                                if text:
                                    yield TextPart("".join(text))
                                    text = []
                                yield call.finish()
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


def _message(message: ChatMessage) -> dict[str, Any]:
    """One turn in the Messages API's shape: plain text, or content blocks around tool use
    (results first in a user turn, as the API requires; no empty text blocks, which it refuses)."""
    if not message.tool_calls and not message.tool_results:
        return {"role": message.role, "content": message.content}
    blocks: list[dict[str, Any]] = []
    for result in message.tool_results:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": result.call_id}
        if result.content:
            block["content"] = result.content
        if result.is_error:
            block["is_error"] = True
        blocks.append(block)
    if message.content.strip():
        blocks.append({"type": "text", "text": message.content})
    blocks += [{"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
               for call in message.tool_calls]
    return {"role": message.role, "content": blocks}


def _open_tool_call(event: dict[str, Any], calls: dict[int, PartialToolCall]) -> None:
    block = event.get("content_block") or {}
    if block.get("type") != "tool_use":
        return
    call = calls[event.get("index")] = PartialToolCall(block.get("id") or "",
                                                       block.get("name") or "")
    if block.get("input"):  # the API streams it as input_json_delta; some proxies send it whole
        call.fragments.append(json.dumps(block["input"]))


def _event_error(event: dict[str, Any]) -> str:
    error = event.get("error") or {}
    return ": ".join(str(p) for p in (error.get("type"), error.get("message")) if p)


def _detail(error: anthropic.APIStatusError) -> str:
    kind = getattr(error, "type", None)
    message = getattr(error, "api_message", None) or ""
    return ": ".join(part for part in (kind, message) if part)
