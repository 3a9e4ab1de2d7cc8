"""Model tool use with both real SDKs (anthropic, openai) over HTTP to the loopback server: tools
offered in each API's shape, streamed tool calls read whole (however finely split), the tool loop
answering them and sending the results back in each API's shape, and every way it can go wrong:
several calls, a model that never stops asking, a failing tool, unreadable arguments, a cut
stream, a retry between turns, cancellation."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anthropic
import openai
import pytest

from pai_tui.config import ProviderSettings
from pai_tui.llm.anthropic_provider import AnthropicProvider
from pai_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    Delta,
    Notice,
    Stop,
    StreamBroken,
    TextPart,
    ToolCallPart,
    ToolResult,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from pai_tui.llm.keys import Key
from pai_tui.llm.openai_provider import OpenAIProvider
from pai_tui.llm.retry import RetryPolicy, stream_with_retries
from pai_tui.llm.tool_loop import ToolNames, stream_with_tools
from tests.fakes.llm_server import FakeLLMServer, Reply

KINDS = ["anthropic", "openai"]
KEY = "sk-test-key-for-tools-0000"
MODEL = {"anthropic": "claude-sonnet-4-6", "openai": "gpt-5-mini"}
WORDCOUNT = ToolSpec("summarize__wordcount", "Count the words of a text.",
                     {"type": "object", "properties": {"text": {"type": "string"}},
                      "required": ["text"]})
CHUNK = ToolSpec("summarize__chunk", "Split a text into chunks of N words.",
                 {"type": "object", "properties": {"text": {"type": "string"},
                                                   "words": {"type": "integer"}}})
TOOLS = (WORDCOUNT, CHUNK)

Provider = AnthropicProvider | OpenAIProvider


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def provider(kind: str, llm_server: FakeLLMServer) -> AsyncIterator[Provider]:
    url = llm_server.anthropic_url if kind == "anthropic" else llm_server.openai_url
    cls = AnthropicProvider if kind == "anthropic" else OpenAIProvider
    made = cls(kind, ProviderSettings(kind=kind, base_url=url, timeout=5))
    yield made
    await made.aclose()


def ask(kind: str, text: str = "How many words in 'one two three'?",
        tools: tuple[ToolSpec, ...] = TOOLS) -> ChatRequest:
    return ChatRequest([ChatMessage("user", text)], MODEL[kind], "Be brief.", 500, tools)


def retrying(provider: Provider) -> Callable[[ChatRequest], AsyncIterator[Delta]]:
    """The stream a caller hands the loop: the provider behind pai's retries, as in the app."""
    def stream(request: ChatRequest) -> AsyncIterator[Delta]:
        return stream_with_retries(provider, request, [Key("PAI_TEST_KEY", KEY)],
                                   RetryPolicy(retries=2, max_wait=0.01), ["PAI_TEST_KEY"])
    return stream


class Runner:
    """An `execute` callback that counts words for real and remembers every call it got."""

    def __init__(self, fail: Exception | None = None):
        self.calls: list[ToolCallPart] = []
        self.fail = fail

    async def __call__(self, call: ToolCallPart) -> ToolResult:
        self.calls.append(call)
        if self.fail is not None:
            raise self.fail
        text = str(call.arguments.get("text", ""))
        if call.name == CHUNK.name:
            return ToolResult(call.id, f"{len(text.split())} words in 1 chunk")
        return ToolResult(call.id, str(len(text.split())))


async def collect(deltas: AsyncIterator[Delta]) -> list[Delta]:
    return [delta async for delta in deltas]


async def loop(provider: Provider, request: ChatRequest,
               execute: Callable[[ToolCallPart], Awaitable[ToolResult]],
               max_turns: int = 4) -> list[Delta]:
    return await collect(stream_with_tools(retrying(provider), request, execute, max_turns))


def text_of(deltas: list[Delta]) -> str:
    return "".join(d.text for d in deltas if isinstance(d, TextPart))


def of(deltas: list[Delta], kind: type) -> list:  # type: ignore[type-arg]
    return [d for d in deltas if isinstance(d, kind)]


def tool_results_sent(kind: str, body: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(call id, content, is_error) of every tool result in a request, whatever its API."""
    if kind == "anthropic":
        return [(b["tool_use_id"], b.get("content", ""), b.get("is_error", False))
                for m in body["messages"] if isinstance(m["content"], list)
                for b in m["content"] if b["type"] == "tool_result"]
    return [(m["tool_call_id"], m["content"], m["content"].startswith("Error: "))
            for m in body["messages"] if m["role"] == "tool"]


# what the model is sent


async def test_tools_are_offered_in_each_apis_shape(kind: str, provider: Provider,
                                                    llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(text="Three."), Reply(text="Plain."))
    deltas = await loop(provider, ask(kind), Runner())
    assert text_of(deltas) == "Three." and deltas[-1] == Stop("end")
    await loop(provider, ask(kind, tools=()), Runner())
    offered, plain = llm_server.requests
    if kind == "anthropic":
        assert offered.tools == [
            {"name": "summarize__wordcount", "description": "Count the words of a text.",
             "input_schema": WORDCOUNT.parameters},
            {"name": "summarize__chunk", "description": "Split a text into chunks of N words.",
             "input_schema": CHUNK.parameters}]
    else:
        assert offered.tools == [
            {"type": "function", "function": {"name": "summarize__wordcount",
                                              "description": "Count the words of a text.",
                                              "parameters": WORDCOUNT.parameters}},
            {"type": "function", "function": {"name": "summarize__chunk",
                                              "description": "Split a text into chunks of N "
                                                             "words.",
                                              "parameters": CHUNK.parameters}}]
    assert "tools" not in plain.body  # a chat without tools is sent as it always was
    assert plain.messages[-1] == {"role": "user", "content": "How many words in 'one two three'?"}


# reading tool calls from the stream

ARGUMENTS = {"text": "one two three", "options": {"quote": "say \"hi\" ✓", "n": [1, 2.5, None]}}


async def test_a_tool_call_split_into_many_fragments_is_read_whole(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    reply = Reply(text="Let me count.", tool_calls=[("summarize__wordcount", ARGUMENTS)],
                  tool_fragment=3)
    assert len(json.dumps(ARGUMENTS)) // 3 > 20  # the arguments arrive in 20+ SSE events
    llm_server.queue(reply)
    deltas = await collect(provider.stream(ask(kind), KEY))
    [request] = llm_server.requests
    call_id = request.tool_id(0)
    assert text_of(deltas) == "Let me count."
    assert of(deltas, ToolCallPart) == [ToolCallPart(call_id, "summarize__wordcount",
                                                     ARGUMENTS)]
    assert deltas[-1] == Stop("tool_use")
    # The text comes before the call, as the model said it.
    assert deltas.index(of(deltas, ToolCallPart)[0]) > max(
        deltas.index(d) for d in of(deltas, TextPart))


async def test_the_sdks_own_parsers_read_the_same_tool_call(kind: str,
                                                            llm_server: FakeLLMServer) -> None:
    """The loopback server's tool streams are what the SDKs expect: their own stream helpers
    piece together the same call pai does."""
    llm_server.queue(Reply(text="Counting.", tool_calls=[("summarize__wordcount", ARGUMENTS)]))
    if kind == "anthropic":
        client = anthropic.AsyncAnthropic(api_key=KEY, base_url=llm_server.anthropic_url,
                                          max_retries=0)
        async with client.messages.stream(
                model=MODEL[kind], max_tokens=100, messages=[{"role": "user", "content": "go"}],
                tools=[{"name": WORDCOUNT.name, "description": WORDCOUNT.description,
                        "input_schema": WORDCOUNT.parameters}]) as stream:
            message = await stream.get_final_message()
        [text, use] = message.content
        assert (text.text, use.name, use.input, message.stop_reason) == (
            "Counting.", "summarize__wordcount", ARGUMENTS, "tool_use")
    else:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=llm_server.openai_url, max_retries=0)
        async with client.chat.completions.stream(
                model=MODEL[kind], messages=[{"role": "user", "content": "go"}],
                tools=[{"type": "function", "function": {
                    "name": WORDCOUNT.name, "parameters": WORDCOUNT.parameters}}]) as stream:
            completion = await stream.get_final_completion()
        choice = completion.choices[0]
        [call] = choice.message.tool_calls
        assert (choice.message.content, call.function.name, json.loads(call.function.arguments),
                choice.finish_reason) == ("Counting.", "summarize__wordcount", ARGUMENTS,
                                          "tool_calls")
    await client.close()


# the loop


async def test_the_tool_runs_and_its_result_goes_back_in_the_apis_shape(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.queue(
        Reply(text="Let me count.", tool_calls=[("summarize__wordcount",
                                                 {"text": "one two three"})],
              input_tokens=100),
        Reply(text="There are 3 words.", input_tokens=130))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    first, second = llm_server.requests
    call_id = first.tool_id(0)
    call = ToolCallPart(call_id, "summarize__wordcount", {"text": "one two three"})
    assert runner.calls == [call]
    assert text_of(deltas) == "Let me count.\n\nThere are 3 words."
    assert of(deltas, ToolResultPart) == [ToolResultPart(call, ToolResult(call_id, "3"))]
    # The transcript order: the call, its result, then the model's answer.
    kinds = [type(d).__name__ for d in deltas if not isinstance(d, Usage)]
    assert kinds.index("ToolCallPart") < kinds.index("ToolResultPart") < len(kinds) - 2
    assert deltas[-1] == Stop("end")
    total = of(deltas, Usage)[-1]  # summed over both turns
    assert total.input_tokens == 100 + 130 and total.output_tokens > 3 + 4
    assert second.tools == first.tools  # still offered: the model may call again
    question = {"role": "user", "content": "How many words in 'one two three'?"}
    if kind == "anthropic":
        assert second.messages == [
            question,
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me count."},
                {"type": "tool_use", "id": call_id, "name": "summarize__wordcount",
                 "input": {"text": "one two three"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": call_id, "content": "3"}]}]
    else:
        assert second.messages == [
            {"role": "system", "content": "Be brief."},
            question,
            {"role": "assistant", "content": "Let me count.", "tool_calls": [
                {"id": call_id, "type": "function",
                 "function": {"name": "summarize__wordcount",
                              "arguments": json.dumps({"text": "one two three"})}}]},
            {"role": "tool", "tool_call_id": call_id, "content": "3"}]


async def test_several_calls_in_one_turn_run_in_order_and_answer_in_order(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.queue(
        Reply(tool_calls=[("summarize__wordcount", {"text": "a b"}),
                          ("summarize__chunk", {"text": "a b c", "words": 5}),
                          ("summarize__wordcount", {"text": "x"})]),
        Reply(text="Done."))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    first, second = llm_server.requests
    assert [(c.id, c.name) for c in runner.calls] == [
        (first.tool_id(0), "summarize__wordcount"), (first.tool_id(1), "summarize__chunk"),
        (first.tool_id(2), "summarize__wordcount")]
    assert [p.result.content for p in of(deltas, ToolResultPart)] == ["2", "3 words in 1 chunk",
                                                                      "1"]
    assert tool_results_sent(kind, second.body) == [
        (first.tool_id(0), "2", False), (first.tool_id(1), "3 words in 1 chunk", False),
        (first.tool_id(2), "1", False)]
    assert text_of(deltas) == "Done." and deltas[-1] == Stop("end")


async def test_the_turn_limit_stops_a_model_that_keeps_calling_tools(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.default = Reply(text="Once more.",
                               tool_calls=[("summarize__wordcount", {"text": "again"})])
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner, max_turns=2)
    assert len(llm_server.requests) == 3  # the question and two round trips, then no more
    assert len(runner.calls) == 2
    last_call = of(deltas, ToolCallPart)[-1]
    assert last_call.id == llm_server.requests[-1].tool_id(0)
    assert of(deltas, ToolResultPart)[-1] == ToolResultPart(last_call, ToolResult(
        last_call.id, "Not run: the limit of 2 tool round trips was reached.", is_error=True),
        ran=False)
    [notice] = of(deltas, Notice)
    assert "stopped after 2 tool round trips" in notice.text
    assert deltas[-1] == Stop("tool_limit")


async def test_a_failing_tool_is_an_error_result_the_model_sees(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount", {"text": "a"})]),
                     Reply(text="The tool failed, sorry."))
    deltas = await loop(provider, ask(kind), Runner(fail=OSError("disk full")))
    message = "The tool failed: OSError: disk full"
    [part] = of(deltas, ToolResultPart)
    assert part.ran and part.result.is_error and part.result.content == message
    first, second = llm_server.requests
    sent = tool_results_sent(kind, second.body)
    if kind == "anthropic":  # the API's error flag
        assert sent == [(first.tool_id(0), message, True)]
    else:  # no flag in Chat Completions: said in words
        assert sent == [(first.tool_id(0), f"Error: {message}", True)]
    assert text_of(deltas) == "The tool failed, sorry." and deltas[-1] == Stop("end")


@pytest.mark.parametrize("raw, problem", [('{"text": "one two', "not valid JSON"),
                                          ('["one", "two"]', "a JSON list, not an object")],
                         ids=["cut-json", "not-an-object"])
async def test_unreadable_arguments_are_never_run_and_the_model_is_told(
        kind: str, provider: Provider, llm_server: FakeLLMServer, raw: str,
        problem: str) -> None:
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount", raw)]),
                     Reply(tool_calls=[("summarize__wordcount", {"text": "one two"})]),
                     Reply(text="2 words."))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    bad, good = of(deltas, ToolCallPart)
    assert bad.arguments == {} and problem in (bad.error or "") and raw in (bad.error or "")
    assert runner.calls == [good]  # only the call it sent again, readable
    assert [part.ran for part in of(deltas, ToolResultPart)] == [False, True]
    first, second, _ = llm_server.requests
    [(call_id, content, is_error)] = tool_results_sent(kind, second.body)
    assert call_id == first.tool_id(0) and is_error
    assert problem in content and "as one JSON object" in content
    assert text_of(deltas) == "2 words."


async def test_a_tool_the_model_made_up_is_not_run(kind: str, provider: Provider,
                                                   llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tool_calls=[("rm_rf", {"path": "/"})]), Reply(text="Ok."))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    assert runner.calls == []
    [part] = of(deltas, ToolResultPart)
    assert not part.ran and part.result.is_error
    assert "no tool named 'rm_rf'" in part.result.content
    assert "summarize__chunk, summarize__wordcount" in part.result.content


async def test_servers_that_finish_tool_calls_with_stop_still_get_them_run(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    """Some OpenAI-compatible servers (older Ollama) end a tool call with finish_reason stop."""
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount", {"text": "a b c d"})],
                           stop_reason="end_turn"), Reply(text="4."))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    assert len(runner.calls) == 1 and text_of(deltas) == "4." and deltas[-1] == Stop("end")


async def test_a_tool_call_cut_off_by_the_output_limit_is_not_run(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount", '{"text": "a b')],
                           stop_reason="max_tokens"))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    assert runner.calls == [] and len(llm_server.requests) == 1
    [part] = of(deltas, ToolResultPart)
    assert part.result.is_error and "max_tokens" in part.result.content
    assert deltas[-1] == Stop("max_tokens")


# broken streams, retries, cancellation


async def test_a_stream_cut_inside_a_tool_call_is_broken_and_nothing_runs(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    # Pieces: "Let ", "me.", the call's start, then argument fragments: cut inside them.
    llm_server.queue(Reply(text="Let me.", tool_calls=[("summarize__wordcount",
                                                        {"text": "x " * 30})], cut_after=6))
    runner = Runner()
    seen: list[Delta] = []
    with pytest.raises(StreamBroken, match="mid-answer"):
        async for delta in stream_with_tools(retrying(provider), ask(kind), runner, 4):
            seen.append(delta)
    assert text_of(seen) == "Let me."
    assert of(seen, ToolCallPart) == [] and runner.calls == []
    assert len(llm_server.requests) == 1  # a begun answer is not retried


@pytest.mark.parametrize("cut_after", [6, 99], ids=["inside-the-call", "before-the-end-marker"])
async def test_a_stream_that_just_stops_runs_nothing_and_has_no_stop(
        kind: str, provider: Provider, llm_server: FakeLLMServer, cut_after: int) -> None:
    """Close-delimited bodies end quietly when cut: no end marker, so no Stop (incomplete)."""
    llm_server.queue(Reply(text="Let me.", tool_calls=[("summarize__wordcount", {"text": "a"})],
                           cut_after=cut_after, close_delimited=True))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    assert runner.calls == [] and len(llm_server.requests) == 1
    assert of(deltas, Stop) == []
    # A call already whole when the stream stopped (Anthropic closes each block) is shown, and
    # shown as not run.
    calls, results = of(deltas, ToolCallPart), of(deltas, ToolResultPart)
    assert len(calls) == (1 if kind == "anthropic" and cut_after == 99 else 0)
    assert [r.call for r in results] == calls
    assert all("cut off" in r.result.content and r.result.is_error and not r.ran
               for r in results)


async def test_a_busy_server_between_turns_is_retried_without_running_the_tool_again(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount", {"text": "a b"})]),
                     Reply(status=529, retry_after=0), Reply(text="2 words."))
    runner = Runner()
    deltas = await loop(provider, ask(kind), runner)
    assert len(runner.calls) == 1 and len(llm_server.requests) == 3
    [notice] = of(deltas, Notice)
    assert "HTTP 529" in notice.text and "retrying" in notice.text
    retried = llm_server.requests[2]
    assert tool_results_sent(kind, retried.body) == [(llm_server.requests[0].tool_id(0), "2",
                                                      False)]
    assert text_of(deltas) == "2 words." and deltas[-1] == Stop("end")


async def test_cancelling_during_a_tool_run_stops_everything(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(text="Working.", tool_calls=[("summarize__wordcount", {"text": "a"})]))
    running, cleaned_up = asyncio.Event(), asyncio.Event()

    async def slow(call: ToolCallPart) -> ToolResult:
        running.set()
        try:
            await asyncio.sleep(60)
        finally:
            cleaned_up.set()
        return ToolResult(call.id, "never")

    seen: list[Delta] = []

    async def answer() -> None:
        async for delta in stream_with_tools(retrying(provider), ask(kind), slow, 4):
            seen.append(delta)

    task = asyncio.create_task(answer())
    await asyncio.wait_for(running.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned_up.is_set()
    assert text_of(seen) == "Working." and of(seen, ToolResultPart) == []
    await asyncio.sleep(0.1)
    assert len(llm_server.requests) == 1  # nothing sent after the cancel


async def test_cancelling_while_the_model_answers_the_results_stops_everything(
        kind: str, provider: Provider, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount", {"text": "a b"})]),
                     Reply(n_tokens=200, delay=0.02))
    runner = Runner()
    seen: list[Delta] = []
    second_turn_began = asyncio.Event()

    async def answer() -> None:
        async for delta in stream_with_tools(retrying(provider), ask(kind), runner, 4):
            seen.append(delta)
            if isinstance(delta, TextPart) and delta.text.startswith("w"):
                second_turn_began.set()

    task = asyncio.create_task(answer())
    await asyncio.wait_for(second_turn_began.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(runner.calls) == 1 and len(llm_server.requests) == 2
    assert text_of(seen).startswith("w0 ") and of(seen, Stop) == []


# names


def test_tool_names_are_safe_for_every_api_unique_and_map_back() -> None:
    names = ToolNames()
    pairs = [("summarize", "wordcount"), ("create-skill", "scaffold_skill"),
             ("My Skill!", "tool.v2"), ("Über", "zähle"), ("a" * 50, "b" * 40 + "1"),
             ("a" * 50, "b" * 40 + "2"), ("a_", "_b"), ("a", "__b")]
    made = [names.name(*pair) for pair in pairs]
    assert made[:2] == ["summarize__wordcount", "create-skill__scaffold_skill"]
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name) for name in made), made
    assert len(set(made)) == len(made)  # even where the plain spelling collides
    assert [names.pair(name) for name in made] == pairs
    assert names.name("summarize", "wordcount") == "summarize__wordcount"  # stable
    assert names.pair("summarize__nothing") is None
