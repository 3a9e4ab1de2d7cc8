"""One chat turn through the Cockpit: the offline default, and the real SDKs against the loopback
server for saving first, cancelling, context and cost."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.history.service import local_midnight_utc, session_title
from pai_tui.llm.providers import OFFLINE
from pai_tui.paths import HomePaths
from tests.conftest import TEST_KEYS, point_providers_at
from tests.fakes.llm_server import FakeLLMServer, Recorded, Reply


@pytest.fixture
def claude(home: HomePaths, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch,
           ) -> Cockpit:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])
    point_providers_at(home, llm_server, extra="""
[providers.anthropic.models."claude-sonnet-4-6"]
input_price = 3.0
output_price = 15.0
""")
    config = load_config(home)
    config.home.ensure()
    return Cockpit(config)


async def test_offline_turn_is_saved_and_says_how_to_configure_a_model(cockpit: Cockpit) -> None:
    seen: list[events.Event] = []
    cockpit.bus.subscribe(events.Event, seen.append)
    assert cockpit.providers.default().provider == OFFLINE

    answer = await cockpit.turns.send(None, "hello there\nsecond line")

    assert answer.status == "complete"
    assert answer.provider == OFFLINE
    assert "No model is configured" in answer.content
    assert "ANTHROPIC_API_KEY" in answer.content
    assert "pai config path" in answer.content
    [session] = await cockpit.history.sessions()
    assert session.title == "hello there"
    stored = await cockpit.history.messages(session.id)
    assert [(m.role, m.status) for m in stored] == [("user", "complete"),
                                                     ("assistant", "complete")]
    assert stored[0].content == "hello there\nsecond line"
    kinds = [type(e).__name__ for e in seen]
    assert kinds[:3] == ["StoreReady", "SessionCreated", "MessageSaved"]
    assert kinds[-2:] == ["TurnFinished", "SessionUpdated"]


async def test_user_message_is_in_the_database_before_the_request(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    seen_by_server: list[list[str]] = []

    def look(request: Recorded) -> None:  # runs when the request reaches the server
        with sqlite3.connect(claude.config.home.database) as db:
            rows = db.execute("SELECT content FROM messages WHERE role = 'user'").fetchall()
        db.close()
        seen_by_server.append([content for (content,) in rows])

    llm_server.on_request = look
    answer = await claude.turns.send(None, "save me first")
    assert answer.status == "complete" and answer.content == "Hello from the fake model."
    assert seen_by_server == [["save me first"]]
    await claude.aclose()


async def test_cancel_keeps_the_partial_answer_marked_cancelled(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=200, delay=0.02))
    got_text = asyncio.Event()
    claude.bus.subscribe(events.TextDelta, lambda e: got_text.set())
    finished: list[events.TurnFinished] = []
    claude.bus.subscribe(events.TurnFinished, finished.append)

    task = asyncio.create_task(claude.turns.send(None, "tell me a long story"))
    await asyncio.wait_for(got_text.wait(), 10)
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [session] = await claude.history.sessions()
    answer = (await claude.history.messages(session.id))[-1]
    assert answer.status == "cancelled"
    assert answer.content.startswith("w0 w1 ") and len(answer.content) < 200 * 3
    assert [(f.status, f.text) for f in finished] == [("cancelled", answer.content)]
    await claude.aclose()


async def test_context_carries_the_earlier_turns_and_the_system_prompt(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    first = await claude.turns.send(None, "one")
    await claude.history.set_system_prompt(first.session_id, "You are terse.")
    await claude.turns.send(first.session_id, "two")
    body = llm_server.requests[-1].body
    assert body["system"] == "You are terse."
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("user", "one"), ("assistant", "Hello from the fake model."), ("user", "two")]
    assert body["model"] == "claude-sonnet-4-6"
    await claude.aclose()


async def test_a_session_too_long_for_the_window_sends_the_newest_turns_and_says_so(
        home: HomePaths, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])
    point_providers_at(home, llm_server, chat="max_output_tokens = 100", extra="""
[providers.anthropic.models."claude-sonnet-4-6"]
context_window = 400
""")
    cockpit = Cockpit(load_config(home))
    trimmed: list[events.ContextTrimmed] = []
    cockpit.bus.subscribe(events.ContextTrimmed, trimmed.append)
    first = await cockpit.turns.send(None, "old " * 250)  # ~290 tokens: fits alone, not with more
    second = await cockpit.turns.send(first.session_id, "new question")
    assert second.status == "complete"
    sent = llm_server.requests[-1].body["messages"]
    assert sent[-1]["content"] == "new question"
    assert all("old old" not in m["content"] for m in sent)
    assert trimmed and trimmed[-1].left_out >= 1 and trimmed[-1].context_window == 400
    await cockpit.aclose()


async def test_cost_is_computed_from_the_price_table_and_summed_for_today(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=1000, input_tokens=2000))
    answer = await claude.turns.send(None, "price me")
    assert (answer.input_tokens, answer.output_tokens) == (2000, 1000)
    assert answer.cost == pytest.approx((2000 * 3 + 1000 * 15) / 1e6)
    spent = await claude.history.costs()
    assert spent.today == pytest.approx(answer.cost)
    assert spent.month == pytest.approx(answer.cost)
    assert (spent.unpriced_today, spent.unpriced_month) == (0, 0)
    await claude.aclose()


def test_local_midnight_is_the_start_of_the_local_day() -> None:
    midnight = local_midnight_utc()
    month = local_midnight_utc(month=True)
    assert month <= midnight
    assert (midnight.minute, midnight.second) == (0, 0) or midnight.minute in (30, 45)


def test_session_title_is_the_first_line_shortened() -> None:
    assert session_title("\n\n  Plan the week  \nmore") == "Plan the week"
    long = session_title("x" * 200)
    assert len(long) == 60 and long.endswith("…")
    assert session_title("   ") == "New session"
