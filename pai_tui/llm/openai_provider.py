"""GPT and any OpenAI-compatible endpoint (Ollama, LM Studio, vLLM, OpenRouter...) through the
official `openai` SDK (Chat Completions, streaming)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai

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

STOP_REASONS: dict[str, StopReason] = {"stop": "end", "length": "max_tokens",
                                       "tool_calls": "tool_use", "function_call": "tool_use",
                                       "content_filter": "refusal"}
NO_KEY = "no-key-needed"  # local servers take any key; the SDK insists on one


class OpenAIProvider:
    kind = "openai"

    def __init__(self, name: str, settings: ProviderSettings):
        self.name = name
        self.settings = settings
        self.clients = ClientCache(self._make_client)

    def _make_client(self, key: str | None) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=key or NO_KEY, base_url=self.settings.base_url,
                                  max_retries=0,  # pai retries (retry.py)
                                  timeout=sdk_timeout(self.settings.timeout))

    def prepare(self, key: str | None) -> None:
        """Make the client for `key` ahead of the first request (it takes tens of ms)."""
        self.clients.prepare(key)

    async def aclose(self) -> None:
        await self.clients.aclose()

    async def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for message in request.messages:
            messages += _messages(message)
        options: dict[str, Any] = {}
        if request.tools:
            options["tools"] = [{"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in request.tools]
        name = self.name
        usage: Usage | None = None  # sent in the last chunk only
        reason: StopReason | None = None
        calls: dict[Any, PartialToolCall] = {}  # tool calls arriving in fragments, by index
        try:
            try:
                # The SDK sends the request and raises HTTP errors; the chunks are read raw
                # (sse.py), each checked before use: a wrong shape is a MalformedStream, never a
                # TypeError, and the text that came before it is handed on first.
                async with self.clients.get(key).chat.completions.with_streaming_response.create(
                        model=request.model, messages=messages,  # type: ignore[arg-type]
                        stream=True, max_completion_tokens=request.max_tokens,
                        stream_options={"include_usage": True}, **options) as response:
                    if page := web_page(name, response.headers.get("content-type", ""),
                                        response.url):
                        raise page
                    async for batch in json_event_batches(response.iter_text()):
                        text: list[str] = []  # the text that arrived together, handed on as one
                        try:
                            for _name, chunk in batch:
                                if type(chunk) is not dict:
                                    if chunk == "[DONE]":
                                        break
                                    raise MalformedStream.event(
                                        name, f"{json_kind(chunk)} where a chunk object belongs")
                                if chunk.get("error"):
                                    detail = stream_error_detail(chunk["error"], ("message",))
                                    raise StreamBroken(f"{name}: the stream failed mid-answer "
                                                       f"({detail})")
                                if (counts := chunk.get("usage")) is not None:
                                    usage = _usage(name, counts)
                                choices = chunk.get("choices")
                                if type(choices) is not list:
                                    if choices is None:
                                        continue
                                    raise MalformedStream.event(
                                        name, f"choices that are {json_kind(choices)}")
                                if not choices:
                                    continue  # the usage chunk, or a keep-alive
                                choice = choices[0]
                                if type(choice) is not dict:
                                    raise MalformedStream.event(
                                        name, f"a choice that is {json_kind(choice)}")
                                delta = choice.get("delta")
                                if type(delta) is not dict:
                                    if delta is not None:
                                        raise MalformedStream.event(
                                            name, f"a choice whose delta is {json_kind(delta)}")
                                    delta = {}
                                content = delta.get("content")
                                if type(content) is str:
                                    if content:
                                        text.append(content)
                                elif content is not None:
                                    raise MalformedStream.event(
                                        name, f"text that is {json_kind(content)}")
                                if delta.get("tool_calls"):
                                    _gather(name, delta["tool_calls"], calls)
                                if finish := choice.get("finish_reason"):
                                    if type(finish) is not str:
                                        raise MalformedStream.event(
                                            name, f"a finish_reason that is {json_kind(finish)}")
                                    reason = STOP_REASONS.get(finish, "other")
                                    # Tool calls are whole only at the finish: a stream cut
                                    # before it never yields them, so they are never run.
                                    if calls:
                                        if text:
                                            yield TextPart("".join(text))
                                            text = []
                                        for call in calls.values():
                                            yield call.finish()
                                        calls.clear()
                        except StreamBroken:
                            if text:  # what came before the failure is kept
                                yield TextPart("".join(text))
                            raise
                        if text:
                            yield TextPart("".join(text))
            except openai.APIStatusError as error:
                raise status_error(name, error.status_code, _detail(error),
                                   error.response.headers) from None
            except openai.APIConnectionError as error:
                raise network_error(name, error, self.settings.timeout) from None
            except UnreadableEvent as error:
                raise MalformedStream.event(name, str(error)) from None
            except (httpx2.HTTPError, ValueError) as error:  # cut or silent mid-answer
                raise StreamBroken(f"{name}: the stream failed mid-answer "
                                   f"({type(error).__name__})") from None
        except StreamBroken:
            if usage is not None:  # the billed tokens reach the caller before the error
                yield usage
            raise
        yield usage or Usage()
        if reason is not None:  # no finish_reason: the stream was cut, so it is incomplete
            yield Stop(reason)


def _messages(message: ChatMessage) -> list[dict[str, Any]]:
    """One turn in the Chat Completions shape: an assistant message with `tool_calls`, and each
    tool result as a `tool` message of its own (the API has no error flag: it is said in words)."""
    if not message.tool_calls and not message.tool_results:
        return [{"role": message.role, "content": message.content}]
    if message.tool_calls:
        return [{"role": "assistant", "content": message.content or None, "tool_calls": [
            {"id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
            for call in message.tool_calls]}]
    said: list[dict[str, Any]] = [
        {"role": "tool", "tool_call_id": result.call_id,
         "content": f"Error: {result.content}" if result.is_error else result.content}
        for result in message.tool_results]
    if message.content:
        said.append({"role": message.role, "content": message.content})
    return said


def _usage(provider: str, counts: object) -> Usage:
    """A chunk's usage; a wrong number in it is unknown (0), never an error."""
    if type(counts) is not dict:
        raise MalformedStream.event(provider, f"usage that is {json_kind(counts)}")
    return Usage(token_count(counts.get("prompt_tokens")),
                 token_count(counts.get("completion_tokens")))


def _gather(provider: str, fragments: object, calls: dict[Any, PartialToolCall]) -> None:
    """Add streamed `delta.tool_calls` fragments to the calls they belong to: by `index`, or
    (servers that send whole calls without one) by id, else to the latest call."""
    if type(fragments) is not list:
        raise MalformedStream.event(provider, f"tool_calls that are {json_kind(fragments)}")
    for fragment in fragments:
        if type(fragment) is not dict:
            raise MalformedStream.event(provider, f"a tool call that is {json_kind(fragment)}")
        function = fragment.get("function") or {}
        key, call_id = fragment.get("index"), fragment.get("id")
        call_name = function.get("name") if type(function) is dict else None
        if (type(function) is not dict or (key is not None and type(key) is not int)
                or any(v is not None and type(v) is not str for v in (call_id, call_name))):
            raise MalformedStream.event(provider, "a tool call whose index, id, name or function "
                                                  "is of the wrong kind")
        if key is None:
            key = call_id or (next(reversed(calls)) if calls else 0)
        call = calls.get(key)
        if call is None:
            call = calls[key] = PartialToolCall(call_id or f"call_{len(calls)}", call_name or "")
        elif call_name and not call.name:
            call.name = call_name
        arguments = function.get("arguments")
        if arguments:  # JSON text by the API; an object by some compatible servers
            call.fragments.append(arguments if isinstance(arguments, str)
                                  else json.dumps(arguments))


def _detail(error: openai.APIError) -> str:
    message = getattr(error, "message", "") or ""
    return message.removeprefix("Error code: ").strip()
