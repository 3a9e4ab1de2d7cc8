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
        usage = Usage()
        reason: StopReason | None = None
        calls: dict[Any, PartialToolCall] = {}  # tool calls arriving in fragments, by index
        try:
            # The SDK sends the request and raises HTTP errors; the events are read raw (sse.py).
            async with self.clients.get(key).chat.completions.with_streaming_response.create(
                    model=request.model, messages=messages, stream=True,  # type: ignore[arg-type]
                    max_completion_tokens=request.max_tokens,
                    stream_options={"include_usage": True}, **options) as response:
                async for batch in json_event_batches(response.iter_text()):
                    text: list[str] = []  # the text that arrived together, handed on as one
                    for _name, chunk in batch:
                        if chunk == "[DONE]":
                            break
                        if chunk.get("error"):
                            if text:  # what came before the error is kept
                                yield TextPart("".join(text))
                            error = chunk["error"]
                            detail = error.get("message") if isinstance(error, dict) else error
                            raise StreamBroken(f"{self.name}: the stream failed mid-answer "
                                               f"({detail})")
                        if chunk.get("usage"):
                            usage = Usage(chunk["usage"].get("prompt_tokens") or 0,
                                          chunk["usage"].get("completion_tokens") or 0)
                        choices = chunk.get("choices") or []
                        if not choices:
                            continue
                        delta = choices[0].get("delta") or {}
                        content = delta.get("content")
                        if content:
                            text.append(content)
                        if delta.get("tool_calls"):
                            _gather(delta["tool_calls"], calls)
                        if choices[0].get("finish_reason"):
                            reason = STOP_REASONS.get(choices[0]["finish_reason"], "other")
                            # Tool calls are whole only at the finish: a stream cut before
                            # it never yields them, so they can never be run.
                            if calls:
                                if text:
                                    yield TextPart("".join(text))
                                    text = []
                                for call in calls.values():
                                    yield call.finish()
                                calls.clear()
                    if text:
                        yield TextPart("".join(text))
        except openai.APIStatusError as error:
            raise status_error(self.name, error.status_code, _detail(error),
                               error.response.headers) from None
        except openai.APIConnectionError as error:
            raise network_error(self.name, error, self.settings.timeout) from None
        except (httpx2.HTTPError, ValueError) as error:  # cut, silent, or garbled mid-answer
            raise StreamBroken(f"{self.name}: the stream failed mid-answer "
                               f"({type(error).__name__})") from None
        yield usage
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


def _gather(fragments: list[dict[str, Any]], calls: dict[Any, PartialToolCall]) -> None:
    """Add streamed `delta.tool_calls` fragments to the calls they belong to: by `index`, or
    (servers that send whole calls without one) by id, else to the latest call."""
    for fragment in fragments:
        key = fragment.get("index")
        if key is None:
            key = fragment.get("id") or (next(reversed(calls)) if calls else 0)
        function = fragment.get("function") or {}
        call = calls.get(key)
        if call is None:
            call = calls[key] = PartialToolCall(fragment.get("id") or f"call_{len(calls)}",
                                                function.get("name") or "")
        elif function.get("name") and not call.name:
            call.name = function["name"]
        arguments = function.get("arguments")
        if arguments:  # JSON text by the API; an object by some compatible servers
            call.fragments.append(arguments if isinstance(arguments, str)
                                  else json.dumps(arguments))


def _detail(error: openai.APIError) -> str:
    message = getattr(error, "message", "") or ""
    return message.removeprefix("Error code: ").strip()
