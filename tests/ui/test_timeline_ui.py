"""The timeline and the usage summary as a user meets them: an agent's run or the chat's last
answer opens as a waterfall (one line per span, nested, a bar placed by time, tokens and cost,
marks for what did not end well), live while it runs; the summary counts today, this week and
this month by model, agent, skill and tool. Outside text (a tool's arguments) is shown as
written, never as markup; unknown costs say so."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from pai_tui import events, spans
from pai_tui.history.service import History
from pai_tui.paths import HomePaths
from pai_tui.ui.agents_pane import AgentsPane
from pai_tui.ui.app import PaiApp
from pai_tui.ui.summary_screen import SummaryScreen
from pai_tui.ui.timeline_screen import TimelineScreen
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import eventually, press, running, settle, text_of
from tests.ui.test_snapshots import make_app, ready, steady

T0 = 1_780_000_000.0  # a fixed moment: the spans below never depend on the clock
TRACE = "ab" * 16
CHAT, RUN = 7, 8  # the chat answer's id, and the id of the agent's run it started
MARKUP = '{"pattern": "[bold red]TODO[/]", "path": "\x1b[31mnotes"}'


def span(span_id: str, kind: str, name: str, start: float, end: float | None,
         status: str = "ok", parent: str | None = None, turn: int = CHAT,
         agent: str | None = None) -> tuple[events.SpanStarted, events.SpanEnded | None]:
    """A span as the turn tells it: its start (T0 + `start`) and, unless it never ended, its
    end (its attributes are added to the start's before it is written)."""
    began = events.SpanStarted(span_id, TRACE, parent, kind, name, 1, {}, turn_id=turn,
                               agent=agent, at=T0 + start)
    ended = None if end is None else events.SpanEnded(span_id, status, {}, turn_id=turn,
                                                      agent=agent, at=T0 + end)
    return began, ended


def tokens(used_in: int, used_out: int, cost: float | None) -> dict[str, Any]:
    found = {spans.INPUT_TOKENS: used_in, spans.OUTPUT_TOKENS: used_out}
    return found | ({} if cost is None else {spans.COST: cost})


def model_call(span_id: str, start: float, end: float | None, parent: str, model: str,
               used: dict[str, Any], turn: int = CHAT, agent: str | None = None,
               ) -> tuple[events.SpanStarted, events.SpanEnded | None]:
    began, ended = span(span_id, "model", f"chat {model}", start, end, parent=parent, turn=turn,
                        agent=agent)
    began.attributes.update({spans.REQUEST_MODEL: model, **used})
    if ended is not None:
        began.attributes[spans.TIME_TO_FIRST_TOKEN] = 0.25
    return began, ended


def a_chat_answer_that_started_an_agent() -> list[tuple[events.SpanStarted,
                                                        events.SpanEnded | None]]:
    """Answer 7 (priced model) called a tool that failed (markup in its arguments), asked a
    question that was cancelled, started the researcher's run 8 (an unpriced local model, one
    call its process never ended), then answered."""
    root, run = spans.message_span_id(CHAT), spans.message_span_id(RUN)
    chat = span(root, "turn", "chat claude-sonnet-4-6", 0.0, 6.0)
    chat[0].attributes[spans.REQUEST_MODEL] = "claude-sonnet-4-6"
    tool = span("00000000000000a1", "tool", "execute_tool agents/grep", 1.6, 1.9, "error",
                root)
    tool[0].attributes[spans.TOOL_ARGUMENTS] = MARKUP
    tool[0].attributes.update({spans.EXIT_CODE: 2, spans.STATUS_DETAIL: "grep: bad [regex]"})
    agent = span(run, "turn", "invoke_agent researcher", 3.1, 5.5, parent=root, turn=RUN,
                 agent="researcher")
    agent[0].attributes.update({spans.REQUEST_MODEL: "local-llama", spans.AGENT_NAME:
                                "researcher"})
    read = span("00000000000000b2", "tool", "execute_tool agents/read", 4.1, 4.2, parent=run,
                turn=RUN, agent="researcher")
    read[0].attributes.update({spans.TOOL_ARGUMENTS: '{"path": "notes.txt"}',
                               spans.EXIT_CODE: 0})
    route = span("00000000000000a0", "route", "route", 0.01, 0.03, parent=root)
    route[0].attributes[spans.ROUTE_HOW] = "chat"
    return [
        chat,
        route,
        model_call("00000000000000c1", 0.05, 1.5, root, "claude-sonnet-4-6",
                   tokens(1200, 80, 0.0048)),
        tool,
        span("00000000000000a2", "permission", "permission notes/write", 2.0, 3.0,
             "cancelled", root),
        agent,
        model_call("00000000000000b1", 3.2, 4.0, run, "local-llama", tokens(800, 100, None),
                   RUN, "researcher"),
        read,
        model_call("00000000000000b3", 4.3, None, run, "local-llama", {}, RUN, "researcher"),
        model_call("00000000000000c2", 5.6, 6.0, root, "claude-sonnet-4-6",
                   tokens(1000, 220, 0.0075)),
    ]


def record(history: History, told: list[tuple[events.SpanStarted,
                                              events.SpanEnded | None]]) -> None:
    """Write the spans as the recorder does (blocking: a test's setup)."""
    history.open().record_spans([start for start, _ in told],
                                [end for _, end in told if end is not None])


async def open_timeline(app: PaiApp, pilot: Pilot, turn_id: int) -> TimelineScreen:
    screen = TimelineScreen(app.cockpit.history, turn_id)
    await app.push_screen(screen)
    assert await eventually(pilot, lambda: screen.reads > 0 and "took" in lines_of(app))
    return screen


def lines_of(app: PaiApp) -> str:
    return text_of(app, app.screen)


def line_with(app: PaiApp, words: str) -> str:
    return next((line for line in lines_of(app).splitlines() if words in line), "")


async def test_the_waterfall_nests_marks_and_totals_what_a_turn_did() -> None:
    async with running(size=(200, 40)) as (app, pilot):
        record(app.cockpit.history, a_chat_answer_that_started_an_agent())
        screen = await open_timeline(app, pilot, CHAT)
        header = lines_of(app)
        assert "Timeline of answer 7" in header
        assert "chat · claude-sonnet-4-6 · ✓ ok · 6.0 s · 3,000 in / 400 out · " \
               "$0.0123 (+2 unpriced)" in header
        assert "4 model calls · 2 tool runs · 1 error" in header
        # One line per span, in tree order, children indented under their parent.
        drawn = lines_of(app)
        order = ["route → chat (chat)", "agents/grep", "permission notes", "invoke_agent",
                 "local-llama", "agents/read", "1,000→220"]
        places = [drawn.index(name, drawn.index("took")) for name in order]
        assert places == sorted(places)
        assert line_with(app, "invoke_agent researcher").startswith("✓    invoke_agent")
        assert line_with(app, "agents/read").startswith("✓      agents/read")
        # The tool's arguments as written: markup stays text, an escape is made visible.
        grep = line_with(app, "agents/grep")
        assert '{"pattern": "[bold red]TODO[/]", "path": "␛[31mnotes"}' in grep
        assert grep.startswith("✗") and "error: grep: bad [regex]" in grep and "exit 2" in grep
        assert line_with(app, "permission notes/write").startswith("■")
        assert "cancelled" in line_with(app, "permission notes/write")
        incomplete = [line for line in drawn.splitlines() if "chat local-llama" in line][-1]
        assert incomplete.startswith("!") and "incomplete" in incomplete and "░" in incomplete
        # The run's line totals its subtree; its one priced call is unknown, never $0.
        run = line_with(app, "invoke_agent researcher")
        assert "2 calls · 800→100 tok · cost unknown" in run and "$0" not in run
        assert "1,200→80 tok · $0.0048 · ttft 250 ms" in line_with(app, "1,200→80")
        # Bars: the first call begins at the left of the column, the last one at its right.
        first, last = line_with(app, "1,200→80"), line_with(app, "1,000→220")
        column = first.index("█")
        assert column < last.index("█") and last.index("█") - column > 20
        assert not screen.live  # nothing runs: it is read once
        await press(pilot, "escape")
        assert app.screen is app.main


async def test_a_run_s_own_timeline_says_its_cost_is_unknown() -> None:
    async with running(size=(160, 30)) as (app, pilot):
        record(app.cockpit.history, a_chat_answer_that_started_an_agent())
        await open_timeline(app, pilot, RUN)
        said = lines_of(app)
        assert "Timeline of researcher's run 8" in said
        assert "researcher · local-llama · ✓ ok · 2.4 s · 800 in / 100 out · cost unknown" \
               in said
        assert "claude-sonnet" not in said  # its parent's spans are not its own


async def test_t_in_the_agents_pane_opens_a_live_run_s_timeline_until_it_ends(
        llm_server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "[red]notes.txt").write_text("alpha\n")
    llm_server.queue(Reply(tool_calls=[("read", {"path": "[red]notes.txt"})]),
                     Reply(tokens=[f"part{i} " for i in range(40)], delay=0.05))
    async with running(size=(160, 40), server=llm_server) as (app, pilot):
        app.start_agent("researcher", "what do my notes say?")
        pane = app.main.query_one(AgentsPane)
        assert await eventually(pilot, lambda: any(r.steps for r in pane.rows.values()))
        listing = app.main.query_one("#agents-list")
        assert await eventually(pilot, lambda: listing.display and listing.option_count == 1)
        listing.focus()
        await press(pilot, "t")
        assert isinstance(app.screen, TimelineScreen)
        # While it answers: the run is marked running; the read it did is done, drawn by now.
        assert await eventually(pilot, lambda: "running" in line_with(app, "invoke_agent"))
        assert line_with(app, "invoke_agent").startswith("…")
        assert await eventually(pilot, lambda: line_with(app, "agents/read").startswith("✓"))
        assert '{"path": "[red]notes.txt"}' in line_with(app, "agents/read")
        assert app.screen.live
        # It ends: the screen says so without being asked, then stops reading.
        assert await eventually(pilot, lambda: line_with(app, "invoke_agent").startswith("✓"),
                                timeout=15)
        assert await eventually(pilot, lambda: not app.screen.live)
        assert "2 calls ·" in line_with(app, "invoke_agent researcher")
        assert "researcher · claude-sonnet-4-6 · ✓ ok" in lines_of(app)
        assert "$0.0" in line_with(app, "researcher · claude")


async def test_the_last_answer_s_timeline(llm_server: FakeLLMServer) -> None:
    async with running(server=llm_server) as (app, pilot):
        await press(pilot, "alt+w")
        assert app.screen is app.main
        assert any("No answer yet" in str(n.message) for n in app._notifications)
        await press(pilot, *"hi", "enter")
        await settle(pilot)
        app.cockpit.timeline.flush()
        await press(pilot, "alt+w")
        assert isinstance(app.screen, TimelineScreen)
        assert app.screen.turn_id == app.chat.last_answer().message_id  # type: ignore[union-attr]
        assert await eventually(pilot, lambda: "chat · claude-sonnet-4-6 · ✓ ok" in lines_of(app))
        assert "route → chat" in lines_of(app)


async def test_a_turn_without_a_timeline_says_so() -> None:
    async with running() as (app, pilot):
        screen = TimelineScreen(app.cockpit.history, 4242)
        screen.reads = 9  # the last try: no more waiting for the recorder
        await app.push_screen(screen)
        assert await eventually(pilot, lambda: "answers from before the timeline" in
                                lines_of(app))
        assert not screen.live


# The usage summary: today, this week, this month on the local calendar.

NOW = datetime(2026, 3, 18, 15, 30)  # a Wednesday, local time
WHEN = {"today": datetime(2026, 3, 18, 9, 0), "monday": datetime(2026, 3, 16, 11, 0),
        "month": datetime(2026, 3, 3, 10, 0), "before": datetime(2026, 2, 20, 10, 0)}


def a_period_of_work() -> list[tuple[events.SpanStarted, events.SpanEnded | None]]:
    """An agent's run each day of `WHEN` (a priced model), a chat answer today on an unpriced
    model with a skill, tool runs of several lengths, one failed."""
    told = []
    for n, (day, moment) in enumerate(WHEN.items(), start=1):
        start = moment.timestamp() - T0
        root = spans.message_span_id(100 + n)
        run = span(root, "turn", "invoke_agent researcher", start, start + 30, turn=100 + n,
                   agent="researcher")
        run[0].attributes.update(tokens(1000, 100, 0.01))
        told += [run, model_call(f"{n:015x}d", start + 1, start + 20, root, "claude-sonnet-4-6",
                                 tokens(1000, 100, 0.01), 100 + n, "researcher")]
        grep = span(f"{n:015x}e", "tool", "execute_tool agents/grep", start + 21, start + 21 + n,
                    "error" if day == "monday" else "ok", root, 100 + n, "researcher")
        told.append(grep)
    start = WHEN["today"].timestamp() - T0 + 3600
    answer = span(spans.message_span_id(200), "turn", "chat local-llama", start, start + 5,
                  turn=200)
    answer[0].attributes.update({spans.SKILL: "summarize", **tokens(500, 50, None)})
    told += [answer, model_call("c00000000000000d", start, start + 4,
                                spans.message_span_id(200), "local-llama",
                                tokens(500, 50, None), 200)]
    return told


async def open_summary(app: PaiApp, pilot: Pilot) -> SummaryScreen:
    screen = SummaryScreen(app.cockpit.history, now=lambda: NOW)
    await app.push_screen(screen)
    assert await eventually(pilot, lambda: screen.loaded == "today")
    return screen


async def test_the_summary_counts_today_this_week_and_this_month() -> None:
    async with running(size=(120, 45)) as (app, pilot):
        record(app.cockpit.history, a_period_of_work())
        screen = await open_summary(app, pilot)
        said = lines_of(app)
        assert "Today, since Wed 18 Mar 2026 · 2 model calls · 1,500 in / 150 out · " \
               "$0.0100 (+1 unpriced)" in said
        model = line_with(app, "claude-sonnet-4-6")
        assert model.split() == ["claude-sonnet-4-6", "1", "1,000", "100", "$0.0100", "0"]
        assert line_with(app, "local-llama").split()[-3:] == ["cost", "unknown", "0"]
        assert line_with(app, "researcher").split()[:2] == ["researcher", "1"]
        assert line_with(app, "summarize").split()[-3:] == ["cost", "unknown", "0"]
        assert line_with(app, "agents/grep").split() == ["agents/grep", "1", "1.0", "s", "1.0",
                                                         "s", "0"]
        await press(pilot, "p")
        assert await eventually(pilot, lambda: screen.loaded == "week")
        assert "This week, since Mon 16 Mar 2026 · 3 model calls" in lines_of(app)
        # Monday's grep failed and took 2 s: the slowest, and counted as an error.
        assert line_with(app, "agents/grep").split() == ["agents/grep", "2", "3.0", "s", "2.0",
                                                         "s", "1"]
        assert line_with(app, "researcher").split()[:2] == ["researcher", "2"]
        await press(pilot, "p")
        assert await eventually(pilot, lambda: screen.loaded == "month")
        assert "This month, since Sun 1 Mar 2026 · 4 model calls" in lines_of(app)
        assert line_with(app, "claude-sonnet-4-6").split()[1] == "3"  # not February's
        await press(pilot, "p")
        assert await eventually(pilot, lambda: screen.loaded == "today")
        await press(pilot, "escape")
        assert app.screen is app.main


async def test_an_empty_period_says_so_and_alt_o_opens_the_summary() -> None:
    async with running() as (app, pilot):
        await press(pilot, "alt+o")
        assert isinstance(app.screen, SummaryScreen)
        assert await eventually(pilot, lambda: app.screen.loaded == "today")
        said = lines_of(app)
        assert "0 model calls · 0 in / 0 out · $0.0000" in said and "none" in said


# Snapshots: fixed spans (fixed times and ids), a fixed "now", no clock on screen.

def test_timeline_snapshot(snap_compare, home: HomePaths) -> None:
    app = make_app(home)

    async def show(pilot: Pilot) -> None:
        await ready(pilot)
        record(app.cockpit.history, a_chat_answer_that_started_an_agent())
        await open_timeline(app, pilot, CHAT)
        await steady(pilot)

    assert snap_compare(app, terminal_size=(130, 20), run_before=show)


def test_summary_snapshot(snap_compare, home: HomePaths) -> None:
    app = make_app(home)

    async def show(pilot: Pilot) -> None:
        await ready(pilot)
        record(app.cockpit.history, a_period_of_work())
        screen = await open_summary(app, pilot)
        await pilot.press("p")
        assert await eventually(pilot, lambda: screen.loaded == "week")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(100, 34), run_before=show)
