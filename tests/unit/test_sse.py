"""pai reads the providers' event streams itself (llm/sse.py): the reader follows the SSE rules,
and on the same stream it finds what the official SDK's own parser finds."""

from __future__ import annotations

import anthropic
import openai
import pytest

from pai_tui.config import ProviderSettings
from pai_tui.llm.anthropic_provider import AnthropicProvider
from pai_tui.llm.base import ChatMessage, ChatRequest, Stop, TextPart, Usage
from pai_tui.llm.openai_provider import OpenAIProvider
from pai_tui.llm.sse import SSEParser, UnreadableEvent, json_event_batches
from tests.fakes.llm_server import FakeLLMServer, Reply

KEY = "sk-test-key-for-sse-0000"


def feed(*chunks: str) -> list[list[tuple[str | None, str]]]:
    parser = SSEParser()
    return [parser.feed(chunk) for chunk in chunks]


def test_events_fields_comments_and_multiline_data() -> None:
    assert feed(": keep-alive\nevent: a\ndata: one\ndata:two\n\ndata: x\n\n") == [
        [("a", "one\ntwo"), (None, "x")]]


def test_events_split_anywhere_across_chunks_and_any_line_ending() -> None:
    stream = "event: a\r\ndata: one\r\n\r\ndata: two\r\rdata: three\n\n"
    whole = [e for batch in feed(stream) for e in batch]
    assert whole == [("a", "one"), (None, "two"), (None, "three")]
    for cut in range(1, len(stream)):  # every place a network chunk could end
        parts = [e for batch in feed(stream[:cut], stream[cut:]) for e in batch]
        assert parts == whole, cut


def test_an_event_cut_off_by_the_end_of_the_stream_is_dropped() -> None:
    assert feed("data: whole\n\nevent: half\ndata: {\"type\"") == [[(None, "whole")]]


def test_blank_lines_alone_make_no_events() -> None:
    assert feed("\n\nevent: ping\n\n\n") == [[]]


async def batches(*chunks: str) -> tuple[list[list[tuple[str | None, object]]],
                                         Exception | None]:
    async def text():  # type: ignore[no-untyped-def]
        for chunk in chunks:
            yield chunk

    got: list[list[tuple[str | None, object]]] = []
    try:
        async for batch in json_event_batches(text()):
            got.append(batch)
    except Exception as error:
        return got, error
    return got, None


async def test_a_chunk_of_events_is_decoded_together() -> None:
    got, error = await batches('data: {"a": 1}\n\ndata: [DONE]\n\n', "data: 2\n\n")
    assert error is None and got == [[(None, {"a": 1}), (None, "[DONE]")], [(None, 2)]]


async def test_data_that_is_not_json_keeps_the_events_before_it_in_its_chunk() -> None:
    got, error = await batches("data: 1\n\nevent: content_block_delta\ndata: 2\n\n"
                               "event: content_block_delta\ndata: {oops\n\ndata: 3\n\n",
                               "data: 4\n\n")
    assert got == [[(None, 1), ("content_block_delta", 2)]]
    assert isinstance(error, UnreadableEvent) and isinstance(error, ValueError)
    assert str(error) == "a content_block_delta event whose data is not JSON"


async def test_an_odd_event_name_is_not_quoted() -> None:
    got, error = await batches("event: \x1b[31m\ndata: {oops\n\n")
    assert got == [] and str(error) == "an event whose data is not JSON"


REPLIES = [Reply(text="Hello there, human."), Reply(markdown_tokens=300),
           Reply(text="short", stop_reason="max_tokens")]


async def ours(provider, request: ChatRequest) -> tuple[str, Usage, Stop | None]:  # type: ignore[no-untyped-def]
    text, usage, stop = [], Usage(), None
    async for delta in provider.stream(request, KEY):
        if isinstance(delta, TextPart):
            text.append(delta.text)
        elif isinstance(delta, Usage):
            usage = delta
        elif isinstance(delta, Stop):
            stop = delta
    await provider.aclose()
    return "".join(text), usage, stop


@pytest.mark.parametrize("reply", REPLIES, ids=["text", "markdown", "max-tokens"])
async def test_anthropic_stream_reads_as_the_sdk_reads_it(reply: Reply) -> None:
    request = ChatRequest([ChatMessage("user", "hi")], "claude-sonnet-4-6", None, 100)
    with FakeLLMServer(default=reply) as server:
        client = anthropic.AsyncAnthropic(api_key=KEY, base_url=server.anthropic_url,
                                          max_retries=0)
        sdk_text, sdk_usage, sdk_stop = [], None, None
        async for event in await client.messages.create(
                model="claude-sonnet-4-6", max_tokens=100, stream=True,
                messages=[{"role": "user", "content": "hi"}]):
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                sdk_text.append(event.delta.text)
            elif event.type == "message_delta":
                sdk_usage, sdk_stop = event.usage.output_tokens, event.delta.stop_reason
        await client.close()
        text, usage, stop = await ours(
            AnthropicProvider("anthropic", ProviderSettings(kind="anthropic",
                                                            base_url=server.anthropic_url)),
            request)
    assert text == "".join(sdk_text) and text
    assert usage.output_tokens == sdk_usage
    assert stop is not None and {"end_turn": "end", "max_tokens": "max_tokens"}[
        sdk_stop] == stop.reason


@pytest.mark.parametrize("reply", REPLIES, ids=["text", "markdown", "max-tokens"])
async def test_openai_stream_reads_as_the_sdk_reads_it(reply: Reply) -> None:
    request = ChatRequest([ChatMessage("user", "hi")], "gpt-5-mini", None, 100)
    with FakeLLMServer(default=reply) as server:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=server.openai_url, max_retries=0)
        sdk_text, sdk_usage, sdk_finish = [], None, None
        async for chunk in await client.chat.completions.create(
                model="gpt-5-mini", stream=True, stream_options={"include_usage": True},
                messages=[{"role": "user", "content": "hi"}]):
            if chunk.usage:
                sdk_usage = chunk.usage.completion_tokens
            if chunk.choices:
                sdk_text.append(chunk.choices[0].delta.content or "")
                sdk_finish = chunk.choices[0].finish_reason or sdk_finish
        await client.close()
        text, usage, stop = await ours(
            OpenAIProvider("openai", ProviderSettings(kind="openai",
                                                      base_url=server.openai_url)), request)
    assert text == "".join(sdk_text) and text
    assert usage.output_tokens == sdk_usage
    assert stop is not None and {"stop": "end", "length": "max_tokens"}[
        sdk_finish] == stop.reason
