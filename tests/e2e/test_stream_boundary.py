"""What pai does with a stream it cannot trust, at the provider boundary: both real SDKs against
the loopback server, which sends what a broken server or proxy sends. A malformed event is a
MalformedStream that names the provider and the problem, never a TypeError, and the text before
it is kept; token counts are read safely and told as early as they are known, even when the
stream then fails or is cancelled. Also the small shared pieces: the client cache, Usage sums."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from pai_tui.config import ProviderSettings
from pai_tui.llm.anthropic_provider import AnthropicProvider
from pai_tui.llm.base import (
    MAX_TOKENS_PER_CALL,
    ChatMessage,
    ChatRequest,
    Delta,
    MalformedStream,
    Notice,
    Overloaded,
    ProviderError,
    Stop,
    StreamBroken,
    TextPart,
    ToolCallPart,
    ToolResult,
    ToolSpec,
    Usage,
    token_count,
)
from pai_tui.llm.clients import ClientCache
from pai_tui.llm.keys import KEY_VARIABLES, KEY_VARIABLES_BY_KIND, Key
from pai_tui.llm.openai_provider import OpenAIProvider
from pai_tui.llm.retry import RetryPolicy, stream_with_retries
from pai_tui.llm.tool_loop import stream_with_tools
from tests.fakes.llm_server import FakeLLMServer, Reply, sse
from tests.fakes.scripted import Script, ScriptedProvider

KINDS = ["anthropic", "openai"]
KEY = "sk-test-key-for-boundary-0000"
MODEL = {"anthropic": "claude-sonnet-4-6", "openai": "gpt-5-mini"}
TEXT = ["Hello ", "there"]

Provider = AnthropicProvider | OpenAIProvider


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def make_provider(kind: str, server: FakeLLMServer) -> Provider:
    if kind == "anthropic":
        return AnthropicProvider(kind, ProviderSettings(kind=kind, base_url=server.anthropic_url,
                                                        timeout=5))
    return OpenAIProvider(kind, ProviderSettings(kind=kind, base_url=server.openai_url,
                                                 timeout=5))


@pytest.fixture
async def provider(kind: str, llm_server: FakeLLMServer) -> AsyncIterator[Provider]:
    made = make_provider(kind, llm_server)
    yield made
    await made.aclose()


def ask(kind: str, tools: tuple[ToolSpec, ...] = ()) -> ChatRequest:
    return ChatRequest([ChatMessage("user", "hi")], MODEL[kind], None, 100, tools)


async def run(deltas: AsyncIterator[Delta]) -> tuple[list[Delta], ProviderError | None]:
    """Every delta, and the error that ended the stream (None if it ended by itself)."""
    seen: list[Delta] = []
    try:
        async for delta in deltas:
            seen.append(delta)
    except ProviderError as error:
        return seen, error
    return seen, None


def text_of(deltas: list[Delta]) -> str:
    return "".join(d.text for d in deltas if isinstance(d, TextPart))


def usages(deltas: list[Delta]) -> list[Usage]:
    return [d for d in deltas if isinstance(d, Usage)]


# The Anthropic Messages dialect: events a broken server could send after some text.
def a_event(kind: str, **fields: Any) -> str:
    return sse(kind, {"type": kind, **fields})


ANTHROPIC_MALFORMED = {
    "list": (sse(None, [1, 2]), "a JSON array where an event object belongs"),
    "string": (sse(None, '"hello"'), "a JSON string where an event object belongs"),
    "null": (sse(None, "null"), "null where an event object belongs"),
    "number": (sse(None, "42"), "a number where an event object belongs"),
    "delta-not-object": (a_event("content_block_delta", index=0, delta="notadict"),
                         "content_block_delta without a delta object"),
    "text-number": (a_event("content_block_delta", index=0,
                            delta={"type": "text_delta", "text": 42}), "text that is a number"),
    "usage-string": (a_event("message_delta", delta={"stop_reason": "end_turn"}, usage="x"),
                     "message_delta whose usage is a JSON string"),
    "message-not-object": (a_event("message_start", message=[]),
                           "message_start without a message object"),
    "block-not-object": (a_event("content_block_start", index=1, content_block=5),
                         "content_block_start without a content_block object"),
    "index-list": (a_event("content_block_stop", index=[0]),
                   "content_block_stop whose index is a JSON array"),
    "stop-reason-list": (a_event("message_delta", delta={"stop_reason": ["end_turn"]}),
                         "a stop_reason that is a JSON array"),
    "tool-id-number": (a_event("content_block_start", index=1,
                               content_block={"type": "tool_use", "id": 7, "name": "f"}),
                       "a tool_use block whose id or name is not text"),
    "tool-arguments-number": (
        a_event("content_block_start", index=1,
                content_block={"type": "tool_use", "id": "t", "name": "f", "input": {}})
        + a_event("content_block_delta", index=1,
                  delta={"type": "input_json_delta", "partial_json": 7}),
        "tool arguments that are a number"),
}


# The OpenAI Chat Completions dialect.
def o_chunk(**fields: Any) -> str:
    return sse(None, {"id": "chatcmpl-x", "object": "chat.completion.chunk", **fields})


def o_delta(delta: Any, **choice: Any) -> str:
    return o_chunk(choices=[{"index": 0, "delta": delta, **choice}])


OPENAI_MALFORMED = {
    "list": (sse(None, [1, 2]), "a JSON array where a chunk object belongs"),
    "string": (sse(None, '"hello"'), "a JSON string where a chunk object belongs"),
    "null": (sse(None, "null"), "null where a chunk object belongs"),
    "number": (sse(None, "42"), "a number where a chunk object belongs"),
    "choices-string": (o_chunk(choices="abc"), "choices that are a JSON string"),
    "choices-object": (o_chunk(choices={"0": {}}), "choices that are a JSON object"),
    "choice-string": (o_chunk(choices=["x"]), "a choice that is a JSON string"),
    "delta-not-object": (o_delta("notadict"), "a choice whose delta is a JSON string"),
    "text-number": (o_delta({"content": 42}), "text that is a number"),
    "usage-string": (o_chunk(choices=[], usage="x"), "usage that is a JSON string"),
    "finish-reason-list": (o_delta({}, finish_reason=["stop"]),
                           "a finish_reason that is a JSON array"),
    "tool-calls-string": (o_delta({"tool_calls": "x"}), "tool_calls that are a JSON string"),
    "tool-call-string": (o_delta({"tool_calls": ["x"]}), "a tool call that is a JSON string"),
    "tool-call-index-string": (
        o_delta({"tool_calls": [{"index": "zero", "id": "c", "function": {"name": "f"}}]}),
        "a tool call whose index, id, name or function is of the wrong kind"),
}

MALFORMED = [pytest.param(kind, end, what, id=f"{kind}-{name}")
             for kind, table in (("anthropic", ANTHROPIC_MALFORMED), ("openai", OPENAI_MALFORMED))
             for name, (end, what) in table.items()]


@pytest.mark.parametrize(("kind", "end", "what"), MALFORMED)
async def test_a_malformed_event_is_named_and_the_text_before_it_kept(
        provider: Provider, llm_server: FakeLLMServer, kind: str, end: str, what: str) -> None:
    llm_server.queue(Reply(tokens=TEXT, end=end))
    deltas, error = await run(provider.stream(ask(kind), KEY))
    assert text_of(deltas) == "Hello there"
    assert isinstance(error, MalformedStream)
    assert str(error) == (f"{kind}: the stream sent an event pai cannot read ({what}); the "
                          "answer is incomplete")
    assert not any(isinstance(d, Stop) for d in deltas)


@pytest.mark.parametrize("together", [True, False], ids=["one-chunk", "own-chunk"])
async def test_data_that_is_not_json_keeps_the_text_of_its_network_chunk(
        provider: Provider, llm_server: FakeLLMServer, kind: str, together: bool) -> None:
    garbage = sse("content_block_delta" if kind == "anthropic" else None, "{not json")
    llm_server.queue(Reply(tokens=TEXT, end=garbage, together=together))
    deltas, error = await run(provider.stream(ask(kind), KEY))
    assert text_of(deltas) == "Hello there"
    assert isinstance(error, MalformedStream)
    named = "a content_block_delta event" if kind == "anthropic" else "an event"
    assert f"({named} whose data is not JSON)" in str(error)


ERROR_EVENTS = {"anthropic": lambda error: a_event("error", error=error),
                "openai": lambda error: sse(None, {"error": error})}


@pytest.mark.parametrize(("error", "said"), [
    ("just a string", "just a string"), ([1], "an error that is a JSON array"),
    ({"type": "overloaded_error", "message": "x" * 1000}, "overloaded_error: " + "x" * 100)])
async def test_an_error_event_of_any_shape_fails_the_stream_in_words(
        provider: Provider, llm_server: FakeLLMServer, kind: str, error: Any, said: str) -> None:
    if kind == "openai" and isinstance(error, dict):
        said = "x" * 100  # the OpenAI dialect's errors are told by their message
    llm_server.queue(Reply(tokens=TEXT, end=ERROR_EVENTS[kind](error)))
    deltas, failure = await run(provider.stream(ask(kind), KEY))
    assert text_of(deltas) == "Hello there"
    assert isinstance(failure, StreamBroken) and not isinstance(failure, MalformedStream)
    assert f"{kind}: the stream failed mid-answer ({said}" in str(failure)
    assert len(str(failure)) < 400  # a server's long message is shortened


@pytest.mark.parametrize(("sent", "read"), [
    (7, 7), (10**30, MAX_TOKENS_PER_CALL), ("many", 0), (True, 0), (-5, 0), (3.5, 0)],
    ids=["int", "absurd", "string", "bool", "negative", "fraction"])
async def test_token_counts_are_read_safely_and_the_answer_completes(
        provider: Provider, llm_server: FakeLLMServer, kind: str, sent: Any, read: int) -> None:
    llm_server.queue(Reply(tokens=TEXT, input_tokens=sent, output_tokens=sent))
    deltas, error = await run(provider.stream(ask(kind), KEY))
    assert error is None and text_of(deltas) == "Hello there"
    assert usages(deltas)[-1] == Usage(read, read)
    assert deltas[-1] == Stop("end")


async def test_an_absurd_count_is_stored_clamped_and_the_answer_kept(
        home: Any, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from pai_tui.cockpit import Cockpit
    from pai_tui.config import load_config
    from tests.conftest import TEST_KEYS, point_providers_at

    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])
    point_providers_at(home, llm_server, chat='provider = "anthropic"')
    cockpit = Cockpit(load_config(home))
    llm_server.queue(Reply(tokens=TEXT, input_tokens=10**30, output_tokens=10**30))
    answer = await cockpit.turns.send(None, "hi")  # 10**30 overflowed SQLite's integer column
    assert (answer.status, answer.content) == ("complete", "Hello there")
    assert (answer.input_tokens, answer.output_tokens) == (MAX_TOKENS_PER_CALL,) * 2
    await cockpit.aclose()


@pytest.mark.parametrize("failure", [dict(error_after=4), dict(cut_after=4)],
                         ids=["error-event", "cut"])
async def test_anthropic_input_tokens_come_first_and_survive_a_failure(
        llm_server: FakeLLMServer, failure: dict[str, int]) -> None:
    provider = make_provider("anthropic", llm_server)
    llm_server.queue(Reply(n_tokens=10, input_tokens=42, **failure))
    deltas, error = await run(provider.stream(ask("anthropic"), KEY))
    assert isinstance(error, StreamBroken)
    assert deltas[0] == Usage(42, 0)  # told at message_start, before any text
    assert text_of(deltas) == "w0 w1 w2 w3 "
    await provider.aclose()


async def test_anthropic_input_tokens_are_told_before_a_cancel(
        llm_server: FakeLLMServer) -> None:
    provider = make_provider("anthropic", llm_server)
    llm_server.queue(Reply(n_tokens=40, delay=0.05, input_tokens=42))
    seen: list[Delta] = []
    stream = provider.stream(ask("anthropic"), KEY)
    async for delta in stream:
        seen.append(delta)
        if isinstance(delta, TextPart):
            break  # the user cancels as the answer starts
    await stream.aclose()  # type: ignore[attr-defined]
    assert seen == [Usage(42, 0), TextPart("w0 ")]
    await provider.aclose()


def usage_then_error(kind: str, input_tokens: int, output_tokens: int) -> str:
    """The end of a stream that told its whole usage, then failed before its end marker."""
    if kind == "anthropic":
        return (a_event("message_delta", delta={"stop_reason": "end_turn"},
                        usage={"output_tokens": output_tokens})
                + ERROR_EVENTS[kind]({"type": "overloaded_error", "message": "Overloaded"}))
    return (o_delta({}, finish_reason="stop")
            + o_chunk(choices=[], usage={"prompt_tokens": input_tokens,
                                         "completion_tokens": output_tokens})
            + ERROR_EVENTS[kind]({"message": "server error"}))


async def test_the_latest_usage_reaches_the_caller_before_the_failure(
        provider: Provider, llm_server: FakeLLMServer, kind: str) -> None:
    llm_server.queue(Reply(tokens=TEXT, input_tokens=42, end=usage_then_error(kind, 42, 7)))
    deltas, error = await run(provider.stream(ask(kind), KEY))
    assert isinstance(error, StreamBroken) and text_of(deltas) == "Hello there"
    assert deltas[-1] == Usage(42, 7)


async def test_the_tool_loop_keeps_the_failing_turns_usage(
        provider: Provider, llm_server: FakeLLMServer, kind: str) -> None:
    tool = ToolSpec("f", "A tool.")
    llm_server.queue(Reply(tool_calls=[("f", {})], input_tokens=100),
                     Reply(tokens=TEXT, input_tokens=130, end=usage_then_error(kind, 130, 7)))

    async def execute(call: ToolCallPart) -> ToolResult:
        return ToolResult(call.id, "done")

    def stream(request: ChatRequest) -> AsyncIterator[Delta]:
        return stream_with_retries(provider, request, [Key("PAI_TEST_KEY", KEY)],
                                   RetryPolicy(retries=0), ["PAI_TEST_KEY"])

    deltas, error = await run(stream_with_tools(stream, ask(kind, (tool,)), execute, 4))
    assert isinstance(error, StreamBroken)
    first_turn = usages(deltas)[0 if kind == "openai" else 1]  # anthropic: input, then whole
    assert first_turn.input_tokens == 100
    assert deltas[-1] == Usage(100 + 130, first_turn.output_tokens + 7)


async def test_a_retry_counts_the_tokens_of_the_attempt_that_failed() -> None:
    provider = ScriptedProvider(Script([Usage(5, 0)], Overloaded("scripted: busy", 529)),
                                Script([Usage(5, 0), TextPart("Hi"), Usage(5, 3), Stop()]))
    deltas, error = await run(stream_with_retries(
        provider, ask("anthropic"), [], RetryPolicy(retries=1, max_wait=0), []))
    assert error is None
    assert [d for d in deltas if not isinstance(d, Notice)] == [
        Usage(5, 0), Usage(10, 0), TextPart("Hi"), Usage(10, 3), Stop()]  # a Usage is no start


async def test_a_failure_after_text_is_not_retried_and_keeps_the_usage() -> None:
    provider = ScriptedProvider(Script([Usage(5, 0), TextPart("Hi")],
                                       Overloaded("scripted: busy", 529)))
    deltas, error = await run(stream_with_retries(
        provider, ask("anthropic"), [], RetryPolicy(retries=3, max_wait=0), []))
    assert isinstance(error, Overloaded) and deltas == [Usage(5, 0), TextPart("Hi")]


async def test_one_client_per_key_shared_by_every_request(
        provider: Provider, llm_server: FakeLLMServer, kind: str) -> None:
    provider.prepare(KEY)
    client = provider.clients.get(KEY)
    for _ in range(2):
        deltas, error = await run(provider.stream(ask(kind), KEY))
        assert error is None and text_of(deltas)
    assert provider.clients.get(KEY) is client and len(provider.clients) == 1
    other = provider.clients.get("sk-another-key-0000")
    assert other is not client and len(provider.clients) == 2
    await provider.aclose()
    assert len(provider.clients) == 0
    assert client.is_closed() and other.is_closed()
    assert provider.clients.get(KEY) is not client  # a new one after closing


async def test_the_client_cache_makes_once_and_closes_all() -> None:
    class Client:
        closed = False

        async def close(self) -> None:
            self.closed = True

    made: list[str | None] = []
    cache = ClientCache(lambda key: made.append(key) or Client())
    first = cache.get("a")
    assert cache.get("a") is first and cache.get(None) is not first and made == ["a", None]
    await cache.aclose()
    assert first.closed and len(cache) == 0


def test_usage_adds_up() -> None:
    assert Usage(1, 2) + Usage(30, 40) == Usage(31, 42)
    assert sum([Usage(1, 1), Usage(2, 2)], Usage()) == Usage(3, 3)
    with pytest.raises(TypeError):
        Usage(1, 2) + 3  # type: ignore[operator]


@pytest.mark.parametrize(("sent", "read"), [
    (0, 0), (12, 12), (12.0, 12), (10**9, 10**9), (10**9 + 1, 10**9), (1e30, 10**9), (-1, 0),
    (False, 0), ("12", 0), (float("inf"), 0), (float("nan"), 0), ([12], 0), (None, 0)])
def test_token_count(sent: object, read: int) -> None:
    assert token_count(sent) == read


def test_key_variables_have_one_source() -> None:
    assert KEY_VARIABLES == ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")
    assert KEY_VARIABLES_BY_KIND["openai-compatible"] == ()
    assert set(KEY_VARIABLES) == {v for vs in KEY_VARIABLES_BY_KIND.values() for v in vs}


# Every field of every kind of event, replaced by a value of each JSON kind: whatever a broken
# server sends, the caller gets the text before it, sane counts, and at worst a ProviderError.
SAMPLES = {
    "anthropic": [
        {"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 5}}},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "t1", "name": "f", "input": {}}},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 3, "input_tokens": 5}},
        {"type": "error", "error": {"type": "overloaded_error", "message": "m"}},
        {"type": "message_stop"}],
    "openai": [
        {"choices": [{"index": 0, "finish_reason": None, "delta": {"content": "x", "tool_calls": [
            {"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3}},
        {"error": {"message": "m", "type": "t"}}],
}
ODD_VALUES = [[1], "s", None, -3, True, {"k": 1}, 10**30, 2.5]


def variants(value: Any) -> Iterator[Any]:
    """`value` with one part (itself, or a field at any depth) replaced by each odd value."""
    yield from ODD_VALUES
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        for changed in variants(inner):
            copy = dict(value) if isinstance(value, dict) else list(value)
            copy[key] = changed
            yield copy


async def test_no_shape_of_event_escapes_as_a_traceback(
        provider: Provider, llm_server: FakeLLMServer, kind: str) -> None:
    runs = 0
    for sample in SAMPLES[kind]:
        name = sample["type"] if kind == "anthropic" else None
        for event in variants(sample):
            llm_server.queue(Reply(tokens=TEXT, end=sse(name, json.dumps(event))))
            deltas, _ = await run(provider.stream(ask(kind, (ToolSpec("f", "A tool."),)), KEY))
            assert text_of(deltas).startswith("Hello there"), event
            assert all(0 <= n <= MAX_TOKENS_PER_CALL for u in usages(deltas)
                       for n in (u.input_tokens, u.output_tokens)), event
            runs += 1
    assert runs > 150
