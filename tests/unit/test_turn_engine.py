"""The turn engine in-process and fast: a scripted provider (no HTTP), a real SQLite file.
Limits (budget, deadline), one cancel for a tree of tasks, questions to the user queued one at a
time, what is sent after failures and retries, and a stream pai cannot read."""

from __future__ import annotations

import asyncio
import time

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.history.records import MessageRecord
from pai_tui.llm.base import MalformedStream, Stop, TextPart, Usage
from pai_tui.llm.providers import ModelChoice
from pai_tui.turns.context import CancelToken, Limits
from pai_tui.turns.gates import Approvals, ToolQuestion
from pai_tui.turns.prepare import conversation
from tests.fakes.scripted import Script, ScriptedProvider

PRICED = "claude-sonnet-4-6"  # $3 / $15 per million tokens in assets/models.toml


def scripted(cockpit: Cockpit, *scripts: Script) -> tuple[ScriptedProvider, ModelChoice]:
    provider = ScriptedProvider(*scripts)
    cockpit.providers.use(provider, PRICED)
    return provider, ModelChoice(provider.name, PRICED)


async def test_an_answer_stops_at_its_budget(cockpit: Cockpit) -> None:
    tokens = [TextPart("word "), Usage(1000, 0)]
    for n in range(1, 50):
        tokens += [TextPart("word "), Usage(1000, n * 10_000)]  # $0.15 per step
    _, choice = scripted(cockpit, Script([*tokens, Stop()]))
    turn = await cockpit.turns.start(None, "spend", choice=choice, limits=Limits(max_cost=0.5))
    answer = await turn.run()
    assert answer.status == "incomplete"
    assert answer.error == "stopped at the turn's budget ($0.50)"
    assert answer.cost is not None and 0.5 <= answer.cost < 0.7
    assert answer.content.count("word") < 10


async def test_an_answer_stops_at_its_deadline(cockpit: Cockpit) -> None:
    _, choice = scripted(cockpit, Script([TextPart("slow "), 5.0, TextPart("never"), Stop()]))
    limits = Limits(deadline=time.monotonic() + 0.5)
    answer = await (await cockpit.turns.start(None, "hurry", choice=choice,
                                              limits=limits)).run()
    assert (answer.status, answer.content) == ("incomplete", "slow ")
    assert answer.error == "stopped at the turn's deadline"


async def test_a_stream_pai_cannot_read_is_incomplete_even_before_text(cockpit: Cockpit) -> None:
    bad = MalformedStream.event("scripted", "an event that is a list")
    _, choice = scripted(cockpit, Script([Usage(7, 0)], error=bad))
    answer = await cockpit.turns.send(None, "hi", choice=choice)
    assert answer.status == "incomplete" and "cannot read" in (answer.error or "")
    assert answer.input_tokens == 7


async def test_one_cancel_stops_every_task_of_the_tree() -> None:
    token = CancelToken()
    started = asyncio.Event()

    async def worker() -> None:
        token.attach()
        started.set()
        await asyncio.sleep(60)

    tasks = [asyncio.create_task(worker()) for _ in range(3)]
    await started.wait()
    await asyncio.sleep(0)
    token.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    late = asyncio.create_task(worker())  # attached after the cancel: cancelled at once
    with pytest.raises(asyncio.CancelledError):
        await late


async def test_questions_asked_at_once_are_asked_one_at_a_time(cockpit: Cockpit) -> None:
    from pai_tui.skills.tools import Tool

    asking = 0
    most = 0

    async def dialog(question: ToolQuestion) -> str:
        nonlocal asking, most
        asking += 1
        most = max(most, asking)
        await asyncio.sleep(0.05)
        asking -= 1
        return "yes"

    approvals = Approvals(lambda: cockpit.skills.permissions)
    approvals.answerer = dialog  # type: ignore[assignment]
    tools = [Tool("demo", f"t{n}", cockpit.config.home.root / f"t{n}", cockpit.config.home.root)
             for n in range(4)]
    answers = await asyncio.gather(*(approvals.authorize(ToolQuestion(t, [], None))
                                     for t in tools))
    assert answers == [None] * 4 and most == 1


def _message(id_: int, role: str, content: str, status: str = "complete",
             superseded: bool = False) -> MessageRecord:
    from datetime import datetime

    now = datetime(2026, 1, 1)
    return MessageRecord(id_, 1, role, content, status, None, None, 0, 0, 0.0,  # type: ignore[arg-type]
                         now, now, superseded=superseded)


def test_what_is_sent_after_failures_and_retries() -> None:
    stored = [
        _message(1, "user", "refused"), _message(2, "assistant", "", "error"),
        _message(3, "user", "cut"), _message(4, "assistant", "half", "incomplete"),
        _message(5, "user", "retried"), _message(6, "assistant", "first", superseded=True),
        _message(7, "assistant", "second"),
        _message(8, "user", "retried, then failed"),
        _message(9, "assistant", "good", superseded=True), _message(10, "assistant", "", "error"),
        _message(11, "user", "now"), _message(12, "assistant", "", "streaming"),
    ]
    assert [(m.role, m.content) for m in conversation(stored, 11)] == [
        ("user", "cut"), ("assistant", "half"),
        ("user", "retried"), ("assistant", "second"),
        ("user", "retried, then failed"), ("assistant", "good"),
        ("user", "now")]
    # A retry of "now" sends it alone after the same history, never its earlier answers.
    assert conversation(stored, 8)[-1].content == "retried, then failed"
