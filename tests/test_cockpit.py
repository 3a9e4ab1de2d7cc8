"""One chat turn through the Cockpit, with the offline provider and a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from pai_tui import events
from pai_tui.cockpit import Cockpit, session_title
from pai_tui.llm.base import ChatMessage, Delta, Stop, TextPart
from pai_tui.llm.offline import OfflineProvider


async def test_offline_turn_is_saved_and_says_how_to_configure_a_model(cockpit: Cockpit) -> None:
    seen: list[events.Event] = []
    cockpit.bus.subscribe(events.Event, seen.append)

    answer = await cockpit.send(None, "hello there\nsecond line")

    assert answer.status == "complete"
    assert answer.provider == "offline"
    assert "No model is configured" in answer.content
    assert "ANTHROPIC_API_KEY" in answer.content
    assert str(cockpit.config.home.config) in answer.content
    [session] = await cockpit.sessions()
    assert session.title == "hello there"
    stored = await cockpit.messages(session.id)
    assert [(m.role, m.status) for m in stored] == [("user", "complete"),
                                                     ("assistant", "complete")]
    assert stored[0].content == "hello there\nsecond line"
    kinds = [type(e).__name__ for e in seen]
    assert kinds[:3] == ["StoreReady", "SessionCreated", "MessageSaved"]
    assert kinds[-3:] == ["TextDelta", "TurnFinished", "SessionUpdated"]


class ProbeProvider:
    """Looks in the database the moment the request is made, then streams slowly."""

    name, kind, model = "probe", "probe", "probe-1"

    def __init__(self, cockpit: Cockpit):
        self.cockpit = cockpit
        self.saved_before_request: list[str] = []
        self.context: list[ChatMessage] = []
        self.started = asyncio.Event()

    async def stream(self, messages: Sequence[ChatMessage], system: str | None = None,
                     model: str | None = None) -> AsyncIterator[Delta]:
        self.context = list(messages)
        store = self.cockpit.open_store()
        session = store.list_sessions()[0]
        self.saved_before_request = [m.content for m in store.messages(session.id)
                                     if m.role == "user"]
        yield TextPart("partial ")
        self.started.set()
        await asyncio.sleep(30)
        yield TextPart("never")
        yield Stop("end")


async def test_user_message_is_saved_before_the_request(cockpit: Cockpit) -> None:
    probe = ProbeProvider(cockpit)
    cockpit.provider = probe
    task = asyncio.create_task(cockpit.send(None, "save me first"))
    await asyncio.wait_for(probe.started.wait(), 10)
    assert probe.saved_before_request == ["save me first"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancel_keeps_the_partial_answer_marked_cancelled(cockpit: Cockpit) -> None:
    probe = ProbeProvider(cockpit)
    cockpit.provider = probe
    finished: list[events.TurnFinished] = []
    cockpit.bus.subscribe(events.TurnFinished, finished.append)
    task = asyncio.create_task(cockpit.send(None, "tell me a long story"))
    await asyncio.wait_for(probe.started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [session] = await cockpit.sessions()
    answer = (await cockpit.messages(session.id))[-1]
    assert (answer.status, answer.content) == ("cancelled", "partial ")
    assert [(f.status, f.text) for f in finished] == [("cancelled", "partial ")]


class CutProvider:
    name, kind, model = "cut", "cut", "cut-1"

    async def stream(self, messages: Sequence[ChatMessage], system: str | None = None,
                     model: str | None = None) -> AsyncIterator[Delta]:
        yield TextPart("half")  # and no Stop: the stream was cut


async def test_a_stream_without_its_terminal_delta_is_incomplete(cockpit: Cockpit) -> None:
    cockpit.provider = CutProvider()
    answer = await cockpit.send(None, "hi")
    assert (answer.status, answer.content) == ("incomplete", "half")


async def test_context_carries_the_earlier_turns(cockpit: Cockpit) -> None:
    first = await cockpit.send(None, "one")
    probe = ProbeProvider(cockpit)
    cockpit.provider = probe
    task = asyncio.create_task(cockpit.send(first.session_id, "two"))
    await asyncio.wait_for(probe.started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [(m.role, m.content[:3]) for m in probe.context] == [
        ("user", "one"), ("assistant", "No "), ("user", "two")]


def test_session_title_is_the_first_line_shortened() -> None:
    assert session_title("\n\n  Plan the week  \nmore") == "Plan the week"
    long = session_title("x" * 200)
    assert len(long) == 60 and long.endswith("…")
    assert session_title("   ") == "New session"


def test_offline_provider_is_the_default(cockpit: Cockpit) -> None:
    assert isinstance(cockpit.provider, OfflineProvider)
