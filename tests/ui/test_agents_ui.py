"""The Agents pane as a user sees it: runs started from the cockpit go on beside the chat, each
a live row (who, the task, state, steps, tokens, cost), several at once; stopping works; the
runs of earlier starts are listed from the history; typing in the chat is never interrupted."""

from __future__ import annotations

from pai_tui.ui.agents_pane import SPINNER, AgentsPane
from pai_tui.ui.chat_input import ChatInput
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import eventually, press, running, settle, text_of


def rows(app):  # type: ignore[no-untyped-def]
    return app.main.query_one(AgentsPane).rows


async def test_agents_run_beside_the_chat_several_at_once_and_stop(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(*[Reply(n_tokens=400, delay=0.05) for _ in range(4)])
    async with running(size=(200, 50), server=llm_server) as (app, pilot):
        for name in ("architect", "researcher", "designer", "qa-tester"):
            app.start_agent(name, f"{name}: plan the export")
        assert await eventually(pilot, lambda: len(rows(app)) == 4 and all(
            r.status == "running" for r in rows(app).values()))
        # All four asked at once (max_parallel 4), none waiting for another to end.
        assert await eventually(pilot, lambda: len(llm_server.requests) == 4)
        pane = app.main.query_one(AgentsPane)
        assert await eventually(pilot, lambda: "4 running" in str(pane.border_subtitle))
        shown = text_of(app, pane)
        assert "Fiona MacLeod" in shown and "researcher:" in shown  # the persona, the agent
        assert {row.task for row in rows(app).values()} == {
            f"{name}: plan the export" for name in ("architect", "researcher", "designer",
                                                     "qa-tester")}
        await press(pilot, *"typing meanwhile")
        assert app.main.query_one(ChatInput).text == "typing meanwhile"  # focus stays
        await press(pilot, "alt+x")
        assert await eventually(pilot, lambda: all(
            r.status == "cancelled" for r in rows(app).values()))
        assert await eventually(pilot, lambda: "■ Fiona MacLeod" in text_of(app, pane))


async def test_a_finished_run_shows_its_cost_and_is_listed_after_a_restart(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(text="Done.", input_tokens=1000))
    async with running(server=llm_server) as (app, pilot):
        app.start_agent("red-teamer", "attack the plan")
        assert await eventually(pilot, lambda: any(
            r.status == "complete" for r in rows(app).values()))
        pane = app.main.query_one(AgentsPane)
        assert await eventually(pilot, lambda: "✓ Nick Castellano"
                                in text_of(app, pane))
        assert "$0.0" in text_of(app, pane)
    async with running(server=llm_server) as (app, pilot):
        assert await eventually(pilot, lambda: len(rows(app)) == 1)
        [row] = rows(app).values()
        assert (row.agent, row.status, row.task) == ("red-teamer", "complete", "attack the plan")


async def test_enter_on_a_run_shows_its_transcript_in_the_chat_and_its_end(
        llm_server: FakeLLMServer, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pai_tui.ui.chat import ChatPane
    from tests.pilot import shown

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("alpha\n")
    llm_server.queue(Reply(tool_calls=[("read", {"path": "notes.txt"})]),
                     Reply(tokens=[f"part{i} " for i in range(60)], delay=0.05))
    async with running(size=(160, 45), server=llm_server) as (app, pilot):
        app.start_agent("researcher", "what do my notes say?")
        assert await eventually(pilot, lambda: any(r.steps for r in rows(app).values()))
        listing = app.main.query_one("#agents-list")
        assert await eventually(pilot, lambda: listing.display and listing.option_count == 1)
        listing.focus()
        await pilot.pause()
        await press(pilot, "enter")
        chat = app.main.query_one(ChatPane)
        assert await eventually(pilot, lambda: chat.session_id is not None)
        # Live: the text grows on screen while the run goes on, past what was saved when opened.
        assert await eventually(pilot, lambda: bool(shown(app)) and "part45" in shown(app)[-1][2]
                                and "part59" not in shown(app)[-1][2], timeout=10)
        assert any(r.status == "running" for r in rows(app).values())
        assert shown(app)[-1][2].startswith("part0 part1 part2")  # nothing lost or doubled
        assert await eventually(pilot, lambda: any(
            r.status == "complete" for r in rows(app).values()), timeout=15)
        assert await eventually(pilot, lambda: bool(shown(app)) and
                                "part59" in shown(app)[-1][2])
        assert shown(app)[0][2] == "what do my notes say?"
        from pai_tui.ui.messages import StepView  # the tool run, as a step of the answer

        assert await eventually(pilot, lambda: [v.step_name for v in chat.query(StepView)]
                                == ["agents/read"])


async def test_at_mentions_delegate_and_the_answer_is_each_agent_s_result(
        llm_server: FakeLLMServer, home) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import rows as db_rows
    from tests.pilot import shown

    llm_server.queue(Reply(text="Split it in three modules."), Reply(text="Module two leaks."))
    async with running(server=llm_server) as (app, pilot):
        await press(pilot, *"@architect @red-teamer plan the export", "enter")
        await settle(pilot)
        assert len(llm_server.requests) == 2
        assert {r.messages[0]["content"] for r in llm_server.requests} == {"plan the export"}
        [(_, status, text)] = [m for m in shown(app) if m[0] == "assistant"]
        assert status == "complete"
        assert "**Theodore Ashby, Principal Architect** (architect): complete · 11 in" in text
        assert "**Nick Castellano, Red Team Lead** (red-teamer): complete" in text
        # Each agent's result is a block of the answer, headed by the persona; a click folds it.
        from pai_tui.ui.messages import StepView

        blocks = {view.step_name: view for view in app.main.query(StepView)}
        assert set(blocks) == {"@architect", "@red-teamer"}
        architect = blocks["@architect"]
        said = sorted(view.output.rsplit("\n\n", 1)[-1] for view in blocks.values())
        assert said == ["Module two leaks.", "Split it in three modules."]  # who got which varies
        assert "asks @architect Theodore Ashby" in " ".join(text_of(app, architect).split())
        await pilot.click(architect)
        assert architect.has_class("-folded")
        # What the agents said is part of the conversation the model is sent next.
        llm_server.queue(Reply(text="Module two."))
        app.main.query_one(ChatInput).focus()
        await press(pilot, *"which is riskier?", "enter")
        await settle(pilot)
        earlier = llm_server.requests[-1].messages[-2]["content"]
        assert "Split it in three modules." in earlier and "Module two leaks." in earlier
    chat_answer, *children, _ = db_rows(
        home, "SELECT id, parent_id, agent FROM messages WHERE role = 'assistant' ORDER BY id")
    assert chat_answer[1:] == (None, None)
    assert sorted((parent, agent) for _, parent, agent in children) == [
        (chat_answer[0], "architect"), (chat_answer[0], "red-teamer")]


async def test_stopping_a_delegating_answer_stops_its_agents(llm_server: FakeLLMServer,
                                                           home) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import rows as db_rows

    llm_server.queue(*[Reply(n_tokens=400, delay=0.05) for _ in range(2)])
    async with running(server=llm_server) as (app, pilot):
        await press(pilot, *"@architect @researcher think long", "enter")
        assert await eventually(pilot, lambda: len(rows(app)) == 2 and all(
            r.status == "running" for r in rows(app).values()))
        await press(pilot, "escape")
        assert await eventually(pilot, lambda: all(
            r.status == "cancelled" for r in rows(app).values()))
        await settle(pilot)
        asked = len(llm_server.requests)
        await pilot.pause(0.3)
        assert len(llm_server.requests) == asked == 2  # nothing more was asked after the stop
    statuses = db_rows(home, "SELECT agent, status FROM messages WHERE role = 'assistant' "
                             "ORDER BY id")
    assert statuses[0] == (None, "cancelled")
    assert sorted(statuses[1:]) == [("architect", "cancelled"), ("researcher", "cancelled")]


async def test_a_mention_of_no_agent_is_plain_chat_and_of_an_unknown_one_is_not_sent(
        llm_server: FakeLLMServer) -> None:
    async with running(server=llm_server) as (app, pilot):
        await press(pilot, *"@team lunch is at noon", "enter")
        await settle(pilot)
        assert len(llm_server.requests) == 1  # the chat model answered it
        await press(pilot, *"@architect @nobody plan", "enter")
        await settle(pilot)
        assert len(llm_server.requests) == 1
        assert app.main.query_one(ChatInput).text == "@architect @nobody plan"
        assert any("No agent called nobody" in str(n.message) for n in app._notifications)


async def test_the_status_bar_says_how_many_agents_run_and_what_they_spent_today(
        llm_server: FakeLLMServer) -> None:
    from pai_tui.ui.status import StatusBar

    llm_server.queue(Reply(n_tokens=200, delay=0.05, input_tokens=100_000))
    async with running(size=(160, 40), server=llm_server) as (app, pilot):
        bar = app.main.query_one(StatusBar)
        assert "agents" not in text_of(app, bar)  # nothing to say before any run
        app.start_agent("architect", "think")
        assert await eventually(pilot, lambda: "agents 1 · $0.00" in text_of(app, bar))
        await settle(pilot)
        # 100,000 tokens in on Opus: half a dollar, said (never "$0.00")
        assert await eventually(pilot, lambda: "agents 0 · $0.5" in text_of(app, bar))


async def test_the_chat_model_may_delegate_and_reads_the_agent_s_final_message(
        llm_server: FakeLLMServer, home) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import rows as db_rows
    from tests.pilot import shown

    llm_server.queue(
        Reply(tool_calls=[("delegate", {"agent": "architect", "task": "design the export"})]),
        Reply(text="Three modules: read, shape, write."),  # the architect's run
        Reply(text="The architect proposes three modules."))
    config = "[agents]\ndelegate_tool = true\n"
    async with running(server=llm_server, config=config) as (app, pilot):
        await press(pilot, *"how should the export be built?", "enter")
        await settle(pilot)
        first, architect, second = llm_server.requests
        assert [t["name"] for t in first.tools] == ["delegate"]
        assert architect.messages[0]["content"] == "design the export"
        content = second.messages[-1]["content"]
        [result] = [part for part in content if part.get("type") == "tool_result"]
        said = result["content"] if isinstance(result["content"], str) else \
            "".join(p.get("text", "") for p in result["content"])
        assert "Three modules: read, shape, write." in said and "Theodore Ashby" in said
        assert shown(app)[-1][2].endswith("The architect proposes three modules.")
    (chat_answer, _), (run, parent) = db_rows(
        home, "SELECT id, parent_id FROM messages WHERE role = 'assistant' ORDER BY id")
    assert parent == chat_answer
    # One timeline: the architect's run sits under the delegate tool's turn, in its trace.
    spans = {turn: (trace, parent_span) for turn, trace, parent_span in db_rows(
        home, "SELECT turn_id, trace_id, parent_span_id FROM spans WHERE kind = 'turn'")}
    assert spans[run] == (spans[chat_answer][0], f"{chat_answer:016x}")


async def test_an_agent_asking_to_write_is_named_in_the_question_and_counted_in_the_pane(
        llm_server: FakeLLMServer, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pai_tui.ui.dialogs import PermissionDialog

    monkeypatch.chdir(tmp_path)
    llm_server.queue(Reply(tool_calls=[("write", {"path": "spec.md", "content": "# Spec\n"})]),
                     Reply(text="Written."))
    async with running(size=(160, 45), server=llm_server) as (app, pilot):
        app.start_agent("designer", "write the spec")
        assert await eventually(pilot, lambda: isinstance(app.screen, PermissionDialog))
        said = "The agent designer asks to run the tool agents/write"
        assert await eventually(pilot, lambda: said in " ".join(text_of(app, app.screen).split()))
        assert "for designer" in str(app.screen.query_one(".dialog-frame").border_title)
        pane = app.main.query_one(AgentsPane)
        assert await eventually(pilot, lambda: "1 asking" in str(pane.border_subtitle))
        assert not (tmp_path / "spec.md").exists()
        assert await eventually(pilot, lambda: "? Simone Baptiste  asking"
                                in text_of(app, pane))  # its row says it asks
        await press(pilot, "y")
        await settle(pilot)
        assert (tmp_path / "spec.md").read_text() == "# Spec\n"
        assert "asking" not in str(pane.border_subtitle)
        app.cockpit.timeline.flush()  # spans are written in batches
        [question] = await app.cockpit.history.run(lambda store: [
            span for span in store.turn_spans() for span in store.trace(span.turn_id)
            if span.kind == "permission"])
        assert question.name == "permission agents/write"
        assert question.attributes["pai.permission.answer"] == "yes"


async def test_a_run_s_cost_shows_as_it_goes_and_its_children_sit_under_it(
        llm_server: FakeLLMServer, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pai_tui.paths import HomePaths, pai_home

    monkeypatch.chdir(tmp_path)
    agents = HomePaths(pai_home()).root / "agents"
    agents.mkdir(parents=True)
    (agents / "lead.md").write_text("---\nname: lead\ndescription: Leads.\ntools: Task\n---\nLead.")
    llm_server.queue(
        Reply(tool_calls=[("delegate", {"agent": "researcher", "task": "dig deep"})]),
        Reply(n_tokens=120, delay=0.05, input_tokens=100_000),  # the researcher: 6 s, $0.30 in
        Reply(text="Done."))
    async with running(size=(160, 45), server=llm_server) as (app, pilot):
        app.start_agent("lead", "plan the export")
        pane = app.main.query_one(AgentsPane)

        def lines() -> list[str]:
            return [line.strip("│ ") for line in text_of(app, pane).splitlines()]

        def child_line() -> str:
            return next((line for line in lines() if "Fiona MacLeod" in line), "")

        # Before the child ends: its cost so far, its turn, and its place under its parent.
        assert await eventually(pilot, lambda: "$0.30" in child_line(), timeout=10)
        assert "running" in child_line()
        assert [r.calls for r in rows(app).values() if r.agent == "researcher"] == [1]
        order = lines()
        parent = next(i for i, line in enumerate(order) if "lead" in line and "└" not in line)
        assert order[parent + 1][:2] == "└ " and order[parent + 1][2] in SPINNER
        assert order[parent + 1][3:].startswith(" Fiona MacLeod")
        assert await eventually(pilot, lambda: all(
            r.status == "complete" for r in rows(app).values()), timeout=15)


async def test_quitting_while_a_run_delegates_ends_both_runs(
        llm_server: FakeLLMServer, home, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import rows as db_rows

    monkeypatch.chdir(tmp_path)
    agents = home.root / "agents"
    agents.mkdir(parents=True)
    (agents / "lead.md").write_text("---\nname: lead\ndescription: Leads.\ntools: Task\n---\nLead.")
    llm_server.queue(
        Reply(tool_calls=[("delegate", {"agent": "researcher", "task": "dig deep"})]),
        Reply(n_tokens=400, delay=0.05))
    async with running(server=llm_server) as (app, pilot):
        app.start_agent("lead", "plan the export")
        assert await eventually(pilot, lambda: len(llm_server.token_sent_at) > 5, timeout=10)
        await press(pilot, "ctrl+q")
        assert await eventually(pilot, lambda: "2 agents are running. Quit anyway?" in
                                " ".join(text_of(app, app.screen).split()))
        await press(pilot, "y")
        assert await eventually(pilot, lambda: not app.is_running, timeout=10)
    assert sorted(db_rows(home, "SELECT agent, status FROM messages WHERE agent IS NOT NULL")) \
        == [("lead", "cancelled"), ("researcher", "cancelled")]



def test_agents_pane_mid_run_snapshot(  # type: ignore[no-untyped-def]
        snap_compare, home, llm_server: FakeLLMServer, tmp_path, monkeypatch) -> None:
    """Three runs as the pane shows them at once: one complete, one streaming after a tool run,
    one stopped. The pane's clock is the test's, so times and the spinner are fixed."""
    from textual.widgets import OptionList

    from pai_tui.cockpit import Cockpit
    from pai_tui.config import load_config
    from pai_tui.ui.app import PaiApp
    from pai_tui.ui.soon import pending
    from tests.conftest import TEST_KEYS, point_providers_at
    from tests.ui.test_snapshots import ready, steady

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("# Notes\nUsers ask for CSV export.\n")
    point_providers_at(home, llm_server)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])
    config = load_config(home)
    config.home.ensure()
    app = PaiApp(Cockpit(config))
    now = [1000.0]

    def row_of(agent: str):  # type: ignore[no-untyped-def]
        return next((r for r in rows(app).values() if r.agent == agent), None)

    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        app.main.query_one(AgentsPane).clock = lambda: now[0]
        llm_server.queue(Reply(text="Three modules: fetch, rank, apply."))
        app.start_agent("architect", "design the upgrade feed")
        assert await eventually(pilot, lambda: getattr(row_of("architect"), "status", "")
                                == "complete")
        now[0] = 1030.0
        llm_server.queue(Reply(tool_calls=[("read", {"path": "notes.md"})]),
                         Reply(text="Users ask for CSV export; two sources agree so far",
                               hang_after=6))
        app.start_agent("researcher", "what do users ask for?")
        assert await eventually(pilot, lambda: len(llm_server.requests) == 3 and getattr(
            row_of("researcher"), "calls", 0) == 2 and not row_of("researcher").step)
        now[0] = 1035.0
        llm_server.queue(Reply(hang_after_headers=True))
        app.start_agent("qa-tester", "test the export")
        assert await eventually(pilot, lambda: len(llm_server.requests) == 4
                                and row_of("qa-tester") is not None)
        now[0] = 1038.0
        app.cockpit.agents.stop(row_of("qa-tester").run_id)
        assert await eventually(pilot, lambda: row_of("qa-tester").status == "cancelled")
        now[0] = 1042.0
        assert await eventually(pilot, lambda: not pending(app))  # the researcher still runs
        app.clear_notifications()
        app.main.query_one(AgentsPane)._draw()
        app.main.query_one("#agents-list", OptionList).highlighted = 1  # the running one
        await steady(pilot)

    assert snap_compare(app, terminal_size=(200, 30), run_before=show)

