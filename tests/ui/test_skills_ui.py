"""Skills in the cockpit, under `run_test()`: slash completion, a routed answer with its tool
run visible in the transcript (and again after reopening the session), the permission dialog
(yes / no / always, which is saved), and the skills browser (filter, SKILL.md shown literally,
run a tool, its actions in the palette)."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Input, OptionList, Static, TextArea

from pai_tui.paths import HomePaths
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.dialogs import InputDialog, PermissionDialog, ToolRunDialog
from pai_tui.ui.messages import AnswerView, StepView
from pai_tui.ui.skills_screen import SkillsScreen
from tests.conftest import make_greeter
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import eventually, press, running, settle


def hint(app) -> str:  # type: ignore[no-untyped-def]
    widget = app.main.query_one("#slash-hint", Static)
    return str(widget.render()) if widget.display else ""


async def test_slash_commands_are_offered_and_completed_with_tab() -> None:
    async with running() as (app, pilot):
        await press(pilot, "/", "r", "e")
        assert "/red-team" in hint(app) and "/research" in hint(app)
        await press(pilot, "s")
        await press(pilot, "tab")
        chat_input = app.main.query_one(ChatInput)
        assert chat_input.text == "/research "
        assert app.focused is chat_input  # tab completed; it did not move the focus
        await press(pilot, "x")
        assert hint(app) == ""
        chat_input.text = ""
        await press(pilot, "tab")  # nothing to complete: tab moves on, as everywhere
        assert app.focused is not chat_input


async def send(app, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    chat_input = app.main.query_one(ChatInput)
    chat_input.focus()
    chat_input.text = text
    await press(pilot, "enter")


async def test_a_tool_run_asks_first_and_shows_in_the_transcript(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    make_greeter(home)
    call = Reply(tool_calls=[("greeter__hello", {"args": ["Ada"], "stdin": "[b]a note[/b]"})])
    llm_server.queue(call, Reply(text="Done."))
    async with running(server=llm_server) as (app, pilot):
        await send(app, pilot, "/greeter Ada")
        assert await eventually(pilot, lambda: isinstance(app.screen, PermissionDialog))
        assert "greeter/hello" in str(app.screen.query_one(".dialog-frame").border_title)
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Ada" in shown and "[b]a note[/b]" in shown  # what it would get, literally
        await press(pilot, "y")
        await settle(pilot)
        answer = app.main.query(AnswerView).last()
        assert answer.status == "complete" and answer.skill == "greeter"
        [step] = answer.query(StepView)
        assert step.status == "complete" and step.step_name == "greeter/hello"
        assert "[bold]hello[/] Ada" in step.output  # literally, markup and all
        assert not step.has_class("-folded")
        await pilot.click(step.query_one(".step-header"))
        assert step.has_class("-folded")

        # "no": refused, and the model is told so.
        llm_server.queue(call, Reply(text="Fine."))
        await send(app, pilot, "/greeter Bob")
        assert await eventually(pilot, lambda: isinstance(app.screen, PermissionDialog))
        await press(pilot, "n")
        await settle(pilot)
        step = app.main.query(AnswerView).last().query_one(StepView)
        assert step.status == "denied" and "declined" in (step.error or "")

        # "always": runs now and from now on, and config.toml keeps it.
        llm_server.queue(call, Reply(text="A."), call, Reply(text="B."))
        await send(app, pilot, "/greeter Cy")
        assert await eventually(pilot, lambda: isinstance(app.screen, PermissionDialog))
        await press(pilot, "a")
        await settle(pilot)
        await send(app, pilot, "/greeter Di")
        await settle(pilot)
        assert not isinstance(app.screen, PermissionDialog)
        assert app.main.query(AnswerView).last().query_one(StepView).status == "complete"
    assert '"greeter/hello" = "allow"' in home.config.read_text()


async def test_a_reopened_session_shows_steps_inside_their_answers(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount", {"stdin": "a b"})]),
                     Reply(text="Two words."))
    async with running(server=llm_server) as (app, pilot):
        await send(app, pilot, "/summarize a b")
        await settle(pilot)
        session_id = app.main.query_one(ChatPane).session_id
        await app.action_new_session()
        app.main.query_one(ChatPane).open_session(session_id, "")
        await settle(pilot)
        [answer] = app.main.query(AnswerView)
        [step] = answer.query(StepView)
        assert step.step_name == "summarize/wordcount" and step.status == "complete"
        assert "2" in step.output


async def test_the_skills_browser_filters_shows_and_runs_a_tool() -> None:
    async with running() as (app, pilot):
        await press(pilot, "alt+k")
        assert await eventually(pilot, lambda: isinstance(app.screen, SkillsScreen)
                                and bool(app.screen.shown))
        screen = app.screen
        assert len(screen.shown) >= 9
        await press(pilot, "slash", *"word count")
        assert [s.name for s in screen.shown] == ["summarize"]
        screen.query_one(OptionList).focus()
        await settle(pilot)
        text = str(screen.query_one("#skills-text", Static).render())
        assert "name: summarize" in text and "safe-tools: wordcount chunk" in text
        assert "chunk, wordcount" in str(screen.query_one("#skills-info", Static).render())
        await press(pilot, "r")
        assert await eventually(pilot, lambda: isinstance(app.screen, InputDialog))
        app.screen.query_one(Input).value = "wordcount --help"
        await press(pilot, "enter")
        assert await eventually(
            pilot, lambda: "exit 0" in str(screen.query_one("#skills-output", Static).render()))
        assert "usage" in str(screen.query_one("#skills-output", Static).render()).lower()
        # Its actions are in the palette while it is open.
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *"run a tool")
        await pilot.pause(0.3)
        hits = app.screen.query_one("CommandList", OptionList)
        assert hits.option_count and "Run a tool" in str(hits.get_option_at_index(0).prompt)
        await press(pilot, "escape", "escape")
        assert app.screen is app.main


async def test_the_skills_browser_filters_as_you_type_names_first_and_feeds_a_tool_stdin(
        home: HomePaths) -> None:
    crlf = home.skills / "crlf-notes"
    crlf.mkdir(parents=True)
    (crlf / "SKILL.md").write_bytes(b"---\r\nname: crlf-notes\r\ndescription: Notes kept in "
                                    b"a summary.\r\n---\r\nFirst line.\r\nSecond line.\r\n")
    async with running() as (app, pilot):
        await press(pilot, "alt+k")
        assert await eventually(pilot, lambda: isinstance(app.screen, SkillsScreen)
                                and bool(app.screen.shown))
        screen = app.screen
        await press(pilot, *"sum")  # no "/" needed: the filter has the focus
        assert screen.shown[0].name == "summarize"  # a name match before description matches
        await press(pilot, "backspace", "backspace", "backspace", *"crlf")
        screen.query_one(OptionList).focus()
        await settle(pilot)
        text = str(screen.query_one("#skills-text", Static).render())
        assert "First line.\nSecond line." in text and "␍" not in text
        await press(pilot, "backspace")
        screen.query_one("#skills-filter", Input).value = "summarize"
        await settle(pilot)
        screen.query_one(OptionList).focus()
        await press(pilot, "r")
        assert await eventually(pilot, lambda: isinstance(app.screen, ToolRunDialog))
        dialog = app.screen
        assert "enter runs" in str(dialog.query_one(".dialog-frame").query(Static).last().render())
        dialog.query_one(Input).value = "wordcount"
        dialog.query_one("#dialog-stdin", TextArea).text = "one two three four"
        dialog.query_one(Input).focus()
        await press(pilot, "enter")
        assert await eventually(
            pilot, lambda: "4" in str(screen.query_one("#skills-output", Static).render()))
