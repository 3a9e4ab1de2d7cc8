"""Both real SDKs (anthropic, openai) against the loopback server, through the Cockpit: streaming,
and every failure: 401/403, 429, 5xx/529, an error event mid-stream, a cut stream (both ways),
no network, a silent server; retries, key rotation, and keys never shown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.llm.providers import OFFLINE
from pai_tui.paths import HomePaths
from tests.conftest import TEST_KEYS, point_providers_at
from tests.fakes.llm_server import FakeLLMServer, Reply

KINDS = ["anthropic", "openai"]
KEY_VARIABLE = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


class Turn:
    """A cockpit answering with one provider, recording what it publishes."""

    def __init__(self, home: HomePaths, server: FakeLLMServer, kind: str, extra: str = "",
                 chat: str = ""):
        point_providers_at(home, server, extra=extra, chat=f'provider = "{kind}"\n{chat}')
        self.cockpit = Cockpit(load_config(home))
        self.events: list[events.Event] = []
        self.cockpit.bus.subscribe(events.Event, self.events.append)

    def of(self, kind: type[events.Event]) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]

    def everything_said(self) -> str:
        return repr(self.events)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_VARIABLE[request.param], TEST_KEYS[request.param])
    return request.param


@pytest.fixture
async def turn(home: HomePaths, llm_server: FakeLLMServer, kind: str) -> AsyncIterator[Turn]:
    turn = Turn(home, llm_server, kind)
    yield turn
    await turn.cockpit.aclose()


async def test_streams_the_answer_and_sends_the_key(turn: Turn, llm_server: FakeLLMServer,
                                                    kind: str) -> None:
    llm_server.queue(Reply(text="Hello there, human."))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert (answer.status, answer.content, answer.error) == ("complete", "Hello there, human.",
                                                             None)
    assert answer.provider == kind
    assert [e.text for e in turn.of(events.TextDelta)] == ["Hello ", "there, ", "human."]
    assert (answer.input_tokens, answer.output_tokens) == (11, 3)
    [request] = llm_server.requests
    assert request.api_key == TEST_KEYS[kind]
    assert request.body["stream"] is True
    assert TEST_KEYS[kind] not in turn.everything_said()


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_key_names_the_variable_and_is_not_retried(
        turn: Turn, llm_server: FakeLLMServer, kind: str, status: int) -> None:
    llm_server.queue(Reply(status=status))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.status == "error" and answer.content == ""
    assert f"HTTP {status}" in answer.error and f"fix {KEY_VARIABLE[kind]}" in answer.error
    assert TEST_KEYS[kind][-4:] in answer.error and TEST_KEYS[kind] not in answer.error
    assert len(llm_server.requests) == 1  # no retry storm


@pytest.mark.parametrize("status", [429, 500, 503, 529])
async def test_busy_is_retried_then_answered(turn: Turn, llm_server: FakeLLMServer,
                                             status: int) -> None:
    llm_server.queue(Reply(status=status, retry_after=0), Reply(status=status, retry_after=0),
                     Reply(text="Finally."))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert (answer.status, answer.content) == ("complete", "Finally.")
    assert len(llm_server.requests) == 3
    notices = [n.text for n in turn.of(events.TurnNotice)]
    assert len(notices) == 2 and all(f"HTTP {status}" in n and "retrying" in n for n in notices)


async def test_busy_for_too_long_is_a_clear_error(turn: Turn, llm_server: FakeLLMServer) -> None:
    llm_server.default = Reply(status=529, retry_after=0)
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.status == "error" and "HTTP 529" in answer.error
    assert len(llm_server.requests) == 3  # the first try and `retries = 2`


async def test_retry_after_is_capped(turn: Turn, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(status=429, retry_after=3600), Reply(text="ok"))
    started = time.monotonic()
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.status == "complete"
    assert time.monotonic() - started < 5  # max_retry_wait = 0.2, not an hour
    assert "retrying in 0.2 s" in turn.of(events.TurnNotice)[0].text


async def test_the_next_key_is_tried_and_the_user_told_which(
        home: HomePaths, llm_server: FakeLLMServer, kind: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    second = f"sk-second-key-for-{kind}-9z9z"
    monkeypatch.setenv("PAI_SECOND_KEY", second)
    turn = Turn(home, llm_server, kind)
    config = load_config(home)
    config.providers[kind].key_env = [KEY_VARIABLE[kind], "PAI_SECOND_KEY"]
    turn.cockpit = Cockpit(config)
    turn.cockpit.bus.subscribe(events.Event, turn.events.append)
    llm_server.queue(Reply(status=401), Reply(text="Second key works."))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert (answer.status, answer.content) == ("complete", "Second key works.")
    assert [r.api_key for r in llm_server.requests] == [TEST_KEYS[kind], second]
    [notice] = [n.text for n in turn.of(events.TurnNotice)]
    assert f"{KEY_VARIABLE[kind]} (…{TEST_KEYS[kind][-4:]})" in notice
    assert "PAI_SECOND_KEY (…9z9z)" in notice
    said = turn.everything_said() + repr(await turn.cockpit.history.messages(answer.session_id))
    assert TEST_KEYS[kind] not in said and second not in said
    await turn.cockpit.aclose()


async def test_an_error_event_mid_stream_marks_the_answer_incomplete(
        turn: Turn, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=10, error_after=4))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.status == "incomplete"
    assert answer.content == "w0 w1 w2 w3 "
    assert "mid-answer" in answer.error
    assert len(llm_server.requests) == 1  # begun answers are not retried behind the user's back


@pytest.mark.parametrize("close_delimited", [False, True], ids=["chunked", "close-delimited"])
async def test_a_cut_stream_is_incomplete_never_complete(
        turn: Turn, llm_server: FakeLLMServer, close_delimited: bool) -> None:
    llm_server.queue(Reply(n_tokens=10, cut_after=6, close_delimited=close_delimited))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.status == "incomplete"
    assert answer.content == "w0 w1 w2 w3 w4 w5 "
    assert answer.error


async def test_a_stream_cut_just_before_its_end_marker_is_incomplete(
        turn: Turn, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=5, cut_after=5, close_delimited=True))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert (answer.status, answer.content) == ("incomplete", "w0 w1 w2 w3 w4 ")


async def test_no_network_is_an_error_with_an_offline_badge(
        home: HomePaths, kind: str) -> None:
    with FakeLLMServer() as server:
        turn = Turn(home, server, kind)
    # The server is gone: its port refuses connections.
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.status == "error" and "cannot connect" in answer.error
    assert turn.of(events.Connectivity)[-1].online is False
    assert len(turn.of(events.TurnNotice)) == 2  # retried, boundedly
    await turn.cockpit.aclose()


async def test_a_silent_server_times_out(home: HomePaths, llm_server: FakeLLMServer,
                                         kind: str) -> None:
    turn = Turn(home, llm_server, kind)
    config = load_config(home)
    config.providers[kind].timeout = 0.5
    config.chat.retries = 0
    turn.cockpit = Cockpit(config)
    llm_server.queue(Reply(hang_after_headers=True))
    started = time.monotonic()
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.status in ("error", "incomplete") and answer.error
    assert time.monotonic() - started < 5
    await turn.cockpit.aclose()


async def test_a_long_stream_is_persisted_while_it_flows(turn: Turn,
                                                         llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=40, delay=0.05))  # two seconds of answer
    task = asyncio.create_task(turn.cockpit.turns.send(None, "hi"))
    await asyncio.sleep(1.6)
    [session] = await turn.cockpit.history.sessions()
    partial = (await turn.cockpit.history.messages(session.id))[-1]
    assert partial.status == "streaming" and partial.content.startswith("w0 w1 ")
    answer = await task
    assert answer.status == "complete" and len(answer.content) > len(partial.content)


async def test_markup_and_escapes_from_the_model_are_stored_as_sent(
        turn: Turn, llm_server: FakeLLMServer) -> None:
    text = "[bold red]x[/] \x1b[31mred\x1b[0m"
    llm_server.queue(Reply(tokens=[text]))
    answer = await turn.cockpit.turns.send(None, "hi")
    assert answer.content == text  # the store keeps it; the screen shows it literally


async def test_the_offline_provider_needs_no_server(home: HomePaths) -> None:
    cockpit = Cockpit(load_config(home))
    assert cockpit.providers.default().provider == OFFLINE
    answer = await cockpit.turns.send(None, "hi")
    assert answer.status == "complete"
    await cockpit.aclose()
