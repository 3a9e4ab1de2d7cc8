"""The turn engine as a user notices it: every event of a turn says which turn it is; a failed
question is not sent again; a cut answer is sent with what came; an answer that is only a tool
call says so; a database that fails mid-answer never loses the answer; a retry asks the question
alone. Real SDKs against the loopback server, a real SQLite file."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from contextlib import closing

import pytest

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from tests.conftest import TEST_KEYS, point_providers_at
from tests.fakes.llm_server import FakeLLMServer, Reply


@pytest.fixture
def claude(home: HomePaths, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch,
           ) -> Cockpit:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])
    point_providers_at(home, llm_server)
    config = load_config(home)
    config.home.ensure()
    return Cockpit(config)


def sent(server: FakeLLMServer) -> list[tuple[str, str]]:
    """The messages of the last request, as (role, text)."""
    return [(m["role"], m["content"]) for m in server.requests[-1].body["messages"]]


async def test_every_event_of_a_turn_says_which_turn_and_when(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    seen: list[events.Event] = []
    claude.bus.subscribe(events.Event, seen.append)
    before = time.time()
    answer = await claude.turns.send(None, "hello")
    turn_events = [e for e in seen if isinstance(e, events.TurnStarted | events.TextDelta
                                                  | events.TurnFinished | events.MessageSaved
                                                  | events.RouteDecided)]
    assert {type(e).__name__ for e in turn_events} >= {"TurnStarted", "TextDelta",
                                                        "TurnFinished", "MessageSaved",
                                                        "RouteDecided"}
    assert {e.turn_id for e in turn_events} == {answer.id}
    assert {e.agent for e in turn_events} == {None}
    assert all(before <= e.at <= time.time() for e in seen)
    await claude.aclose()


async def test_the_end_of_the_text_is_told_before_the_answer_is_saved(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    """A screen can draw the last of the text while the final save runs (TurnFinished says
    it is saved)."""
    llm_server.queue(Reply(n_tokens=30))
    order: list[str] = []
    status_at_end: list[str] = []

    def ended(event: events.TextEnded) -> None:
        order.append("ended")
        with closing(sqlite3.connect(claude.config.home.database)) as db:
            [(status,)] = db.execute("SELECT status FROM messages WHERE id = ?",
                                     (event.message_id,))
        status_at_end.append(status)

    claude.bus.subscribe(events.TextDelta, lambda e: order.append("text"))
    claude.bus.subscribe(events.TextEnded, ended)
    claude.bus.subscribe(events.TurnFinished, lambda e: order.append("finished"))
    answer = await claude.turns.send(None, "count to thirty")
    assert order[-2:] == ["ended", "finished"] and order.count("ended") == 1
    assert order.count("text") >= 30 and "text" not in order[order.index("ended"):]
    assert status_at_end == ["streaming"] and answer.status == "complete"
    await claude.aclose()


async def test_a_question_whose_answer_failed_is_not_sent_again(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(status=400))
    failed = await claude.turns.send(None, "a message the API refuses")
    assert failed.status == "error" and failed.content == ""
    answer = await claude.turns.send(failed.session_id, "a good question")
    assert answer.status == "complete"
    assert sent(llm_server) == [("user", "a good question")]
    third = await claude.turns.send(failed.session_id, "and another")
    assert third.status == "complete"
    assert sent(llm_server) == [("user", "a good question"),
                                ("assistant", "Hello from the fake model."),
                                ("user", "and another")]
    stored = await claude.history.messages(failed.session_id)
    assert stored[0].content == "a message the API refuses"  # kept in the transcript
    await claude.aclose()


async def test_a_cut_answer_is_sent_with_what_came_so_roles_alternate(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tokens=["half ", "an ", "answer"], cut_after=2))
    cut = await claude.turns.send(None, "tell me")
    assert cut.status == "incomplete" and cut.content == "half an "
    await claude.turns.send(cut.session_id, "go on")
    assert sent(llm_server) == [("user", "tell me"), ("assistant", "half an "),
                                ("user", "go on")]
    await claude.aclose()


async def test_retry_asks_the_question_alone_and_is_a_new_answer(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    first = await claude.turns.send(None, "question")
    turn = await claude.turns.retry(first.session_id)
    again = await turn.run()
    assert again.id != first.id and again.status == "complete"
    assert sent(llm_server) == [("user", "question")]  # not the old answer with it
    await claude.aclose()


async def test_an_answer_that_is_only_a_tool_call_says_so_and_is_incomplete(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tool_calls=[("search", {"q": "x"})]))
    answer = await claude.turns.send(None, "look it up")
    assert answer.status == "incomplete"
    assert answer.error is not None and "asked to use a tool" in answer.error
    await claude.aclose()


def _hold_write_lock(path: str, seconds: float, locked: threading.Event) -> None:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    locked.set()
    time.sleep(seconds)
    db.execute("COMMIT")
    db.close()


async def test_a_locked_database_mid_answer_neither_stops_nor_loses_it(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    """Another process holds the database for longer than its busy timeout while the answer
    streams: the text keeps coming, the user is told once, and the whole answer is saved."""
    llm_server.queue(Reply(n_tokens=120, delay=0.05))  # six seconds
    notices: list[str] = []
    claude.bus.subscribe(events.TurnNotice, lambda e: notices.append(e.text))
    deltas: list[float] = []
    claude.bus.subscribe(events.TextDelta, lambda e: deltas.append(time.monotonic()))
    turn = await claude.turns.start(None, "a long one")
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock,
                              args=(str(claude.config.home.database), 7.0, locked))
    running = asyncio.create_task(turn.run())
    while not deltas:
        await asyncio.sleep(0.01)
    holder.start()
    await asyncio.to_thread(locked.wait, 10)
    answer = await running
    holder.join()
    assert answer.status == "complete"
    assert answer.content.count("w") == 120
    gaps = [b - a for a, b in itertools.pairwise(deltas)]
    assert max(gaps) < 2.0  # the stream never waited for the database
    assert sum("saving the answer is failing" in n for n in notices) == 1
    [row] = [m for m in await claude.history.messages(answer.session_id)
             if m.role == "assistant"]
    assert (row.status, row.content) == ("complete", answer.content)
    await claude.aclose()


async def test_a_cancelled_answer_keeps_the_tokens_it_was_billed(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=400, delay=0.02, input_tokens=500))
    got_text = asyncio.Event()
    claude.bus.subscribe(events.TextDelta, lambda e: got_text.set())
    turn = await claude.turns.start(None, "a long story")
    running = asyncio.create_task(turn.run())
    await asyncio.wait_for(got_text.wait(), 10)
    await asyncio.sleep(0.2)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    [row] = [m for m in await claude.history.messages(turn.ctx.session_id)
             if m.role == "assistant"]
    assert row.status == "cancelled" and row.content.startswith("w0 ")
    assert row.input_tokens == 500  # told by message_start, billed although cancelled
    assert row.output_tokens > 0 and row.output_estimated  # counted from the text that came
    assert row.cost is not None and row.cost > 0
    await claude.aclose()


async def test_an_unknown_price_is_unknown_never_zero(
        claude: Cockpit, llm_server: FakeLLMServer) -> None:
    from pai_tui.llm.providers import ModelChoice

    answer = await claude.turns.send(None, "hi", choice=ModelChoice("anthropic",
                                                                    "mystery-model-1"))
    assert answer.status == "complete" and answer.input_tokens > 0
    assert answer.cost is None
    with sqlite3.connect(claude.config.home.database) as db:
        [(cost,)] = db.execute("SELECT cost FROM messages WHERE role = 'assistant'").fetchall()
    db.close()
    assert cost is None
    spent = await claude.history.costs()
    assert (spent.today, spent.unpriced_today) == (0.0, 1)  # the status bar shows "$0.00+"
    await claude.aclose()
