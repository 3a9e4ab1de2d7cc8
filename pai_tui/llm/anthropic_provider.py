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
    MalformedStream,
    PartialToolCall,
    Stop,
    StopReason,
    StreamBroken,
    TextPart,
    Usage,
    json_kind,
    token_count,
)
from pai_tui.llm.clients import ClientCache, sdk_timeout
from pai_tui.llm.errors import network_error, status_error, stream_error_detail, web_page
from pai_tui.llm.sse import UnreadableEvent, json_event_batches

STOP_REASONS: dict[str, StopReason] = {"end_turn": "end", "stop_sequence": "end",
                                       "max_tokens": "max_tokens", "tool_use": "tool_use",
                                       "refusal": "refusal"}


class _Ending:
    """What the events say of the end: usage (known from message_start on), why it stopped,
    whether message_stop came. Every shape is checked: a wrong one is a MalformedStream."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.usage: Usage | None = None  # None until the stream says
        self.told: Usage | None = None  # the last one handed on
        self.reason: StopReason = "other"
        self.stopped = False

    def start(self, event: dict[str, Any]) -> None:
        message = event.get("message")
        if type(message) is not dict:
            raise MalformedStream.event(self.provider, "message_start without a message object")
        usage = _usage(self.provider, "message_start", message)
        self.usage = Usage(token_count(usage.get("input_tokens")), 0)

    def note(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "message_stop":
            self.stopped = True
            return
        delta = event.get("delta")
        if type(delta) is not dict:
            raise MalformedStream.event(self.provider, "message_delta without a delta object")
        stop = delta.get("stop_reason")
        if stop is not None and type(stop) is not str:
            raise MalformedStream.event(self.provider,
                                        f"a stop_reason that is {json_kind(stop)}")
        self.reason = STOP_REASONS.get(stop or "", "other")
        usage = _usage(self.provider, "message_delta", event)
        known = self.usage or Usage()
        # Running totals for the call; input_tokens only where the API repeats it (and it reads).
        self.usage = Usage(token_count(usage.get("input_tokens")) or known.input_tokens,
                           token_count(usage.get("output_tokens")))

    def tell(self) -> Usage:
        self.told = self.usage or Usage()
        return self.told

    def untold(self) -> bool:
        return self.usage is not None and self.usage != self.told


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
        name = self.name
        ending = _Ending(name)
        calls: dict[int | None, PartialToolCall] = {}  # tool_use blocks still open, by index
        try:
            try:
                # The SDK sends the request and raises HTTP errors; the events are read raw
                # (sse.py), each checked before use: a wrong shape is a MalformedStream, never a
                # TypeError, and the text that came before it is handed on first.
                async with self.clients.get(key).messages.with_streaming_response.create(
                        **params) as response:
                    if page := web_page(name, response.headers.get("content-type", ""),
                                        response.url):
                        raise page
                    async for batch in json_event_batches(response.iter_text()):
                        text: list[str] = []  # the text that arrived together, handed on as one
                        try:
                            for _name, event in batch:
                                if type(event) is not dict:
                                    if event == "[DONE]":  # some proxies end this way too
                                        continue
                                    raise MalformedStream.event(
                                        name, f"{json_kind(event)} where an event object belongs")
                                kind = event.get("type")
                                if kind == "content_block_delta":
                                    delta = event.get("delta")
                                    if type(delta) is not dict:
                                        raise MalformedStream.event(
                                            name, "content_block_delta without a delta object")
                                    delta_kind = delta.get("type")
                                    if delta_kind == "text_delta":
                                        piece = delta.get("text")
                                        if type(piece) is not str:
                                            raise MalformedStream.event(
                                                name, f"text that is {json_kind(piece)}")
                                        text.append(piece)
                                    elif delta_kind == "input_json_delta":
                                        _add_fragment(name, event, delta, calls)
                                elif kind == "content_block_start":
                                    _open_tool_call(name, event, calls)
                                elif kind == "content_block_stop":
                                    # A tool call is whole only when its block closes: a stream
                                    # cut before that never yields it, so it is never run.
                                    call = calls.pop(_index(name, event), None)
                                    if call is not None:
                                        if text:
                                            yield TextPart("".join(text))
                                            text = []
                                        yield call.finish()
                                elif kind == "message_start":
                                    # The input tokens are billed from here on, whatever follows.
                                    ending.start(event)
                                    if text:
                                        yield TextPart("".join(text))
                                        text = []
                                    yield ending.tell()
                                elif kind == "message_delta" or kind == "message_stop":
                                    ending.note(kind, event)
                                elif kind == "error":
                                    detail = stream_error_detail(event.get("error"))
                                    raise StreamBroken(f"{name}: the stream failed mid-answer "
                                                       f"({detail})")
                        except StreamBroken:
                            if text:  # what came before the failure is kept
                                yield TextPart("".join(text))
                            raise
                        if text:
                            yield TextPart("".join(text))
            except anthropic.APIStatusError as error:
                raise status_error(name, error.status_code, _detail(error),
                                   error.response.headers) from None
            except anthropic.APIConnectionError as error:
                raise network_error(name, error, self.settings.timeout) from None
            except UnreadableEvent as error:
                raise MalformedStream.event(name, str(error)) from None
            except (httpx2.HTTPError, ValueError) as error:  # cut or silent mid-answer
                raise StreamBroken(f"{name}: the connection broke mid-answer "
                                   f"({type(error).__name__})") from None
        except StreamBroken:
            if ending.untold():  # the tokens billed so far reach the caller before the error
                yield ending.tell()
            raise
        yield ending.tell()
        if ending.stopped:  # without message_stop the stream was cut: no Stop: incomplete
            yield Stop(ending.reason)


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


def _usage(provider: str, kind: str, holder: dict[str, Any]) -> dict[str, Any]:
    """The usage object of an event ({} when there is none); its numbers are read with
    token_count, so a wrong one is unknown (0), never an error."""
    usage = holder.get("usage")
    if usage is None:
        return {}
    if type(usage) is not dict:
        raise MalformedStream.event(provider, f"{kind} whose usage is {json_kind(usage)}")
    return usage


def _index(provider: str, event: dict[str, Any]) -> int | None:
    index = event.get("index")
    if index is not None and type(index) is not int:
        raise MalformedStream.event(provider, f"{event.get('type')} whose index is "
                                              f"{json_kind(index)}")
    return index


def _open_tool_call(provider: str, event: dict[str, Any],
                    calls: dict[int | None, PartialToolCall]) -> None:
    block = event.get("content_block")
    if type(block) is not dict:
        raise MalformedStream.event(provider, "content_block_start without a content_block "
                                              "object")
    if block.get("type") != "tool_use":
        return
    call_id, call_name = block.get("id") or "", block.get("name") or ""
    if type(call_id) is not str or type(call_name) is not str:
        raise MalformedStream.event(provider, "a tool_use block whose id or name is not text")
    call = calls[_index(provider, event)] = PartialToolCall(call_id, call_name)
    if block.get("input"):  # the API streams it as input_json_delta; some proxies send it whole
        call.fragments.append(json.dumps(block["input"]))


def _add_fragment(provider: str, event: dict[str, Any], delta: dict[str, Any],
                  calls: dict[int | None, PartialToolCall]) -> None:
    call = calls.get(_index(provider, event))
    if call is None:
        return
    fragment = delta.get("partial_json") or ""
    if type(fragment) is not str:
        raise MalformedStream.event(provider, f"tool arguments that are {json_kind(fragment)}")
    call.fragments.append(fragment)


def _detail(error: anthropic.APIStatusError) -> str:
    kind = getattr(error, "type", None)
    message = getattr(error, "api_message", None) or ""
    return ": ".join(part for part in (kind, message) if part)
