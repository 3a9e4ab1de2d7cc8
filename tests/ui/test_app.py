"""The cockpit under `run_test()`: panes, bindings, palette, keymap, themes, layout, chat."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList

from pai_tui.actions import ACTIONS, BY_ID
from pai_tui.history.migrations import LATEST, MIGRATIONS
from pai_tui.paths import HomePaths
from pai_tui.ui.agents_pane import AgentsPane
from pai_tui.ui.app import PaiApp
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.dialogs import ConfirmDialog, InputDialog, TextDialog
from pai_tui.ui.help import HelpScreen
from pai_tui.ui.messages import AnswerView, UserView
from pai_tui.ui.skills_screen import SkillsScreen
from pai_tui.ui.status import StatusBar
from pai_tui.ui.summary_screen import SummaryScreen
from pai_tui.ui.timeline_screen import TimelineScreen
from tests.builders import build_schema
from tests.conftest import TEST_KEYS, write_config
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import (
    MESSAGE_VIEWS,
    eventually,
    frame_of,
    pane_of_focus,
    press,
    running,
    settle,
    shown,
    terminal_key,
    text_of,
)
from tests.ui import upgrade_steps

PANE_TITLES = ["Chat", "Agents", "History", "Upgrades"]


async def test_four_titled_panes_and_a_status_bar_at_both_sizes() -> None:
    for size in ((80, 24), (160, 48)):
        async with running(size) as (app, _):
            panes = [app.pane(name) for name in ("chat", "agents", "history", "upgrades")]
            assert [str(p.border_title) for p in panes] == PANE_TITLES
            for pane in panes:  # all four visible at once, inside the screen
                region = pane.region
                assert region.width >= 20 and region.height >= 5, (size, pane.id, region)
                assert app.screen.region.contains_region(region)
            status = text_of(app, app.screen.query_one("#status"))
            assert "offline" in status and "$0.00" in status and "voice off" in status
            assert "history ready" in status
            assert app.focused is app.screen.query_one(ChatInput)


async def test_tab_and_shift_tab_cycle_through_the_panes() -> None:
    async with running() as (app, pilot):
        seen = [pane_of_focus(app)]
        for _ in range(5):
            await press(pilot, "tab")
            seen.append(pane_of_focus(app))
        assert {"chat", "agents", "history", "upgrades"} <= set(seen)
        await press(pilot, "shift+tab")
        assert pane_of_focus(app) == seen[-2]


async def test_maximize_and_restore_the_focused_pane() -> None:
    async with running() as (app, pilot):
        await press(pilot, "alt+3")
        await press(pilot, "alt+z")
        history = app.pane("history")
        assert app.screen.maximized is history
        # The whole screen but the status bar, which still says who answers and the cost.
        status = app.screen.query_one("#status")
        assert status.region.height == 1 and status.region.y == app.screen.region.bottom - 1
        screen = app.screen.region
        assert history.region == Region(screen.x, screen.y, screen.width, screen.height - 1)
        for other in ("chat", "agents", "upgrades"):
            assert app.pane(other).region.area == 0, other  # not on screen at all
        await press(pilot, "f6")
        assert app.screen.maximized is None
        assert all(app.pane(name).region.area > 0 for name in ("chat", "agents", "upgrades"))
        # Focusing another pane while one is maximized brings the others back.
        await press(pilot, "f6")
        await press(pilot, "alt+1")
        assert app.screen.maximized is None and pane_of_focus(app) == "chat"


async def test_help_opens_with_f1_and_question_mark_and_lists_every_binding() -> None:
    async with running() as (app, pilot):
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)
        rendered = text_of(app, app.screen.query_one("#help-table"))
        for spec in ACTIONS:
            assert spec.id in rendered
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)

        # `?` outside text input opens help; inside the chat input it is typed.
        await press(pilot, "question_mark")
        assert not isinstance(app.screen, HelpScreen)
        assert app.screen.query_one(ChatInput).text == "?"
        await press(pilot, "alt+2", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "q")
        assert not isinstance(app.screen, HelpScreen)


async def palette_titles(app: PaiApp) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


async def test_every_action_is_in_the_command_palette() -> None:
    async with running() as (app, pilot):
        titles = await palette_titles(app)
        for spec in ACTIONS:
            if not spec.palette:  # the palette itself, reflexes, focus moves, a new line...
                assert spec.title not in titles, spec.id
                continue
            if spec.id in ("help.close", "chat.cancel", "ollama.use") \
                    or spec.scope in ("skills", "timeline", "summary", "upgrade-item",
                                      "upgrade-proposal", "notes-used",
                                      "note-picker"):
                # listed on their screens (test_skills_ui, test_timeline_ui, test_upgrades_ui)
                # the help screen's own key, and two listed only when there is something to
                # do (test_every_palette_entry shows them then)
                continue
            assert spec.title in titles, spec.id
        assert len(titles) == len(set(titles))  # no entry twice
        assert "Insert newline" not in titles and "Focus next" not in titles
        assert "Stop the answer" not in titles and "Use local Ollama" not in titles
        assert "Close help" not in titles
        await press(pilot, "f1")
        on_help = await palette_titles(app)
        assert "Close help" in on_help and "Quit" in on_help
        assert "Focus History pane" not in on_help  # would act on the hidden main screen


async def test_the_keymap_in_config_rebinds_by_id(home: HomePaths) -> None:
    write_config(home, '[keymap]\n"pane.history" = "f12"\n"app.help" = "f10"\n'
                       '"chat.send" = "ctrl+o"\n')
    async with running() as (app, pilot):
        await press(pilot, "a", "enter", "b", "ctrl+o")  # enter is a newline now, ctrl+o sends
        await settle(pilot)
        assert app.main.query(MESSAGE_VIEWS).first().body == "a\nb"
        await press(pilot, "f12")
        assert pane_of_focus(app) == "history"
        await press(pilot, "alt+1", "alt+3")  # the old key no longer focuses History
        assert pane_of_focus(app) == "chat"
        await press(pilot, "f10")
        assert isinstance(app.screen, HelpScreen)
        assert "f12" in text_of(app, app.screen.query_one("#help-table"))
        assert any("(f12)" in c.help for c in app.get_system_commands(app.main))


async def test_enter_sends_and_ctrl_j_or_alt_enter_insert_a_newline() -> None:
    async with running() as (app, pilot):
        await press(pilot, *"first", "ctrl+j", *"second", "alt+enter", *"third")
        chat_input = app.screen.query_one(ChatInput)
        assert chat_input.text == "first\nsecond\nthird"
        await press(pilot, "enter")
        await settle(pilot)
        assert chat_input.text == ""
        views = shown(app)
        assert [(role, status) for role, status, _ in views] == [("user", "complete"),
                                                                 ("assistant", "complete")]
        assert views[0][2] == "first\nsecond\nthird"
        assert "No model is configured" in views[1][2]
        [session] = await app.cockpit.history.sessions()
        assert session.title == "first"
        stored = await app.cockpit.history.messages(session.id)
        assert [m.role for m in stored] == ["user", "assistant"]


async def test_empty_input_sends_nothing() -> None:
    async with running() as (app, pilot):
        await press(pilot, "space", "enter")
        await settle(pilot)
        assert await app.cockpit.history.sessions() == []


async def test_history_lists_sessions_newest_first_and_reopens_one() -> None:
    async with running() as (app, pilot):
        for text in ("alpha question", "beta question"):
            await press(pilot, "ctrl+n", *text, "enter")
            await settle(pilot)
        listing = app.screen.query_one("#history-list", OptionList)

        def prompts() -> list[str]:
            return [str(listing.get_option_at_index(i).prompt)
                    for i in range(listing.option_count)]

        # The list is read again a moment after sessions change (once for a burst of changes).
        assert await eventually(pilot, lambda: len(prompts()) == 2 and prompts()[0].startswith(
            "beta question") and prompts()[1].startswith("alpha question"))

        await press(pilot, "ctrl+n")
        assert list(app.screen.query(MESSAGE_VIEWS)) == []
        await press(pilot, "alt+3", "down", "enter")  # the second entry: alpha
        await settle(pilot)
        chat = app.screen.query_one(ChatPane)
        assert app.screen.query(MESSAGE_VIEWS).first().body == "alpha question"
        assert str(chat.border_subtitle) == "alpha question"
        # Sending continues that session rather than starting a new one.
        await press(pilot, "alt+1", *"more", "enter")
        await settle(pilot)
        assert len(await app.cockpit.history.sessions()) == 2
        sessions = await app.cockpit.history.sessions()
        assert sessions[0].title == "alpha question" and sessions[0].message_count == 4


async def test_markup_and_escape_sequences_are_shown_literally() -> None:
    async with running() as (app, pilot):
        nasty = "[bold red]not bold[/] \x1b[31mred\x1b[0m"
        app.screen.query_one(ChatInput).text = nasty
        await press(pilot, "enter")
        await settle(pilot)
        user = app.screen.query(MESSAGE_VIEWS).first()
        text = text_of(app, user)
        assert "[bold red]not bold[/]" in text
        assert "\x1b" not in text and "␛[31mred" in text
        listing = app.screen.query_one("#history-list", OptionList)
        assert "[bold red]" in str(listing.get_option_at_index(0).prompt)


async def test_theme_switch_applies_at_once_and_is_remembered(home: HomePaths) -> None:
    write_config(home, '# my settings\n[ui]\nlayout = "columns"  # keep\n')
    async with running() as (app, pilot):
        assert app.theme == "pai"
        assert {"pai", "pai-light", "ember"} <= set(app.available_themes)
        app.theme = "ember"
        await settle(pilot)
    text = home.config.read_text()
    assert 'theme = "ember"' in text and "# my settings" in text and "# keep" in text
    async with running() as (app, _):
        assert app.theme == "ember"


async def test_layout_switch_is_remembered(home: HomePaths) -> None:
    async with running() as (app, pilot):
        await press(pilot, "alt+l")
        await settle(pilot)
        grid = app.query_one("#panes")
        assert grid.has_class("-grid") and not grid.has_class("-columns")
        chat, agents = app.pane("chat").region, app.pane("agents").region
        assert chat.height == agents.height  # 2x2: chat no longer spans the column
    assert 'layout = "grid"' in home.config.read_text()
    async with running() as (app, _):
        assert app.query_one("#panes").has_class("-grid")


async def test_the_details_toggle_is_remembered(home: HomePaths) -> None:
    async with running() as (app, pilot):
        assert not app.chat.has_class("-details")
        await press(pilot, "alt+i")
        await settle(pilot)
        assert app.chat.has_class("-details")
    assert "details = true" in home.config.read_text()
    async with running() as (app, _):
        assert app.chat.has_class("-details")


async def test_broken_theme_file_is_reported_and_skipped(home: HomePaths) -> None:
    home.themes.mkdir(parents=True)
    (home.themes / "broken.toml").write_text('name = "broken"\nprimary = "#00ff00"\n'
                                             'accent = "not-a-colour"\n')
    (home.themes / "mine.toml").write_text('name = "mine"\nprimary = "#336699"\n')
    write_config(home, '[ui]\ntheme = "broken"\n')
    async with running() as (app, _):
        messages = [n.message for n in app._notifications]
        assert any(f"{home.themes / 'broken.toml'}:3: key 'accent'" in m for m in messages)
        assert "mine" in app.available_themes and "broken" not in app.available_themes
        assert app.theme == "pai"  # the configured theme was broken: the default is used
        assert any("'broken'" in m and "not found" in m for m in messages)


async def test_history_shows_why_when_the_database_cannot_be_used(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    home.database.write_bytes(b"this is not a database, " * 400)
    async with running() as (app, _):
        state = text_of(app, app.screen.query_one("#history-state"))
        assert "History unavailable" in state and "not a database" in state, state
        assert "history unavailable" in text_of(app, app.screen.query_one("#status"))


async def test_a_migration_says_each_step_and_then_where_the_backup_is(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    build_schema(home.database, LATEST - 1)
    async with running() as (app, _):
        said = [str(n.message) for n in app._notifications]
        assert f"History: migrating to schema v{LATEST} (1 of 1): " \
            f"{MIGRATIONS[-1].description}…" in said
        assert any(m.startswith(f"History migrated to schema v{LATEST}; backup at ")
                   for m in said)
        assert "history ready" in text_of(app, app.screen.query_one("#status"))


def test_every_binding_has_an_id_and_no_action_needs_a_swallowed_key() -> None:
    swallowed = {"ctrl+enter", "shift+enter", "ctrl+s", "ctrl+b"}
    assert len(BY_ID) == len(ACTIONS)
    for spec in ACTIONS:
        keys = {k.strip() for k in spec.keys.split(",")}
        assert keys - swallowed, f"{spec.id} depends only on keys terminals swallow"


async def test_starting_the_cockpit_writes_no_settings(home: HomePaths) -> None:
    async with running():
        pass
    assert not home.config.exists()
    content = '# mine\n[ui]\ntheme = "not-installed-yet"\n'
    write_config(home, content)
    async with running() as (app, _):
        assert app.theme == "pai"  # a fallback for this run, not a change of the user's choice
    assert home.config.read_text() == content


async def burst(app: PaiApp, pilot: Pilot, keys: list[str]) -> None:
    """Keys arriving in one read from the terminal (fast typing, tmux send-keys): all queued
    before any is handled."""
    for key in keys:
        app.post_message(terminal_key(key))
    await settle(pilot)
    await pilot.pause(0.1)


async def test_keys_in_a_burst_keep_their_order() -> None:
    async with running() as (app, pilot):
        chat_input = app.screen.query_one(ChatInput)
        await burst(app, pilot, [*"hello", "ctrl+j", *"second"])
        assert chat_input.text == "hello\nsecond"
        await burst(app, pilot, [*" line", "enter"])
        await settle(pilot)
        assert shown(app)[0][2] == "hello\nsecond line"
        assert chat_input.text == ""


async def test_shortcuts_pressed_in_the_chat_input_act_and_type_nothing() -> None:
    async with running() as (app, pilot):
        chat_input = app.screen.query_one(ChatInput)
        await press(pilot, "a", "alt+z")
        assert app.screen.maximized is app.pane("chat")
        await press(pilot, "alt+z", "alt+l", "alt+x", "b")
        assert app.screen.maximized is None
        assert app.query_one("#panes").has_class("-grid")
        assert chat_input.text == "ab"  # alt+x is bound to nothing and types nothing either
        await press(pilot, "alt+2")
        assert pane_of_focus(app) == "agents"
        assert chat_input.text == "ab"


async def test_pane_keys_do_nothing_while_help_or_palette_is_open() -> None:
    async with running() as (app, pilot):
        await press(pilot, "f1", "alt+3", "f6")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape", "ctrl+p", "alt+3", "alt+z")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, "escape")
        assert app.screen is app.main and app.main.maximized is None
        assert pane_of_focus(app) == "chat"


# Every binding, key by key, and every palette entry: the same observable effect.

async def _focus(app: PaiApp, pilot: Pilot, pane: str) -> None:
    app.action_focus_pane(pane)
    await settle(pilot)


async def _type(app: PaiApp, pilot: Pilot, text: str) -> None:
    await _focus(app, pilot, "chat")
    app.main.query_one(ChatInput).text = text
    app.main.query_one(ChatInput).move_cursor((0, len(text)))


async def _open_help(app: PaiApp, pilot: Pilot) -> None:
    await press(pilot, "f1")


async def _start_session(app: PaiApp, pilot: Pilot) -> None:
    await press(pilot, *"hi", "enter")
    await settle(pilot)


async def _answered_with_notes(app: PaiApp, pilot: Pilot) -> None:
    """An answer that was given two notes from the history (its header says so)."""
    from pai_tui.history.records import NoteDraft

    await app.cockpit.history.run(lambda store: [store.add_note(NoteDraft(
        "preference", "British spelling")), store.add_note(NoteDraft(
            "learning", "Greetings", "Say hi back warmly."))])
    await press(pilot, *"hi greetings", "enter")
    await settle(pilot)
    answer = app.chat.last_answer()
    assert await eventually(pilot, lambda: answer is not None and len(answer.notes_used) == 2)
    assert "used 2 notes" in text_of(app, answer)  # type: ignore[arg-type]


def _notes_shown(app: PaiApp) -> bool:
    from pai_tui.ui.notes_screen import NotesUsedScreen

    return isinstance(app.screen, NotesUsedScreen) and len(app.screen.notes) == 2 and \
        "Say hi back warmly." in text_of(app, app.screen)


async def _notes_open(app: PaiApp, pilot: Pilot) -> None:
    await _answered_with_notes(app, pilot)
    await press(pilot, "alt+j")
    assert await eventually(pilot, lambda: _notes_shown(app))


async def _message_with_notes(app: PaiApp, pilot: Pilot) -> None:
    """Two notes in the history; a message that matches both, typed and not sent."""
    from pai_tui.history.records import NoteDraft

    await app.cockpit.history.run(lambda store: [store.add_note(NoteDraft(
        "learning", "Greetings are short")), store.add_note(NoteDraft(
            "decision", "Greetings in English"))])
    app.main.query_one(ChatInput).text = "write greetings"
    await settle(pilot)


def _previewing(app: PaiApp) -> bool:
    from pai_tui.ui.notes_preview import NotePicker

    return isinstance(app.screen, NotePicker)


async def _answered_with_proposals_queued(app: PaiApp, pilot: Pilot) -> None:
    """An answered session, and the model ready to propose a learning from it."""
    import json

    await _answered(app, pilot)
    app.test_server.queue(Reply(text=json.dumps(  # type: ignore[attr-defined]
        [{"kind": "learning", "title": "Greet back", "body": "Short is fine."}])))


async def _preview_one_unticked(app: PaiApp, pilot: Pilot) -> None:
    await _message_with_notes(app, pilot)
    await press(pilot, "alt+p")
    assert await eventually(pilot, lambda: _previewing(app))
    await press(pilot, "space")  # the first note: left out


async def _select_agents_text(app: PaiApp, pilot: Pilot) -> None:
    from textual.selection import Selection

    await _focus(app, pilot, "agents")
    app.main.selections = {app.main.query_one("#agents-state"): Selection(None, None)}
    await settle(pilot)


def _pane_setup(pane: str):  # type: ignore[no-untyped-def]
    other = "agents" if pane == "chat" else "chat"
    return lambda app, pilot: _focus(app, pilot, other)


def _in_pane(pane: str):  # type: ignore[no-untyped-def]
    return lambda app: pane_of_focus(app) == pane


async def _start_streaming(app: PaiApp, pilot: Pilot, delay: float = 0.01) -> None:
    server = app.test_server  # type: ignore[attr-defined]
    server.queue(Reply(n_tokens=2000, delay=delay))
    await _type(app, pilot, "tell me everything")
    await press(pilot, "enter")
    for _ in range(200):  # until text shows; not settle(): the answer runs for 20 s
        await pilot.pause(0.05)
        if any(v.body for v in app.main.query(AnswerView)):
            return
    raise AssertionError("the answer never started")


async def _failed_answer(app: PaiApp, pilot: Pilot) -> None:
    app.test_server.queue(*[Reply(status=500, retry_after=0)] * 3)  # type: ignore[attr-defined]
    await _start_session(app, pilot)
    assert shown(app)[-1][1] == "error"


async def _queued_message(app: PaiApp, pilot: Pilot) -> None:
    # A slow answer (100 s): on a loaded machine the palette's typing must not outlast it, or
    # the queued message would be sent before it could be taken back.
    await _start_streaming(app, pilot, delay=0.05)
    await press(pilot, *"and then?", "enter")  # not _type: it waits for the answer to end
    assert [v.queued for v in app.main.query(UserView)] == [False, True]


def _taken_back(app: PaiApp) -> bool:
    return [v.queued for v in app.main.query(UserView)] == [False] and \
        app.main.query_one(ChatInput).text == "and then?"


async def _retried_answer(app: PaiApp, pilot: Pilot) -> None:
    await _failed_answer(app, pilot)
    await press(pilot, "ctrl+r")
    await settle(pilot)
    assert [v.alternative for v in app.main.query(AnswerView)] == [(2, 2)]
    assert shown(app)[-1][1] == "complete"


def _first_answer_shown(app: PaiApp) -> bool:
    views = list(app.main.query(AnswerView))
    return [v.alternative for v in views] == [(1, 2)] and views[-1].status == "error"


async def _long_session(app: PaiApp, pilot: Pilot) -> None:
    store = app.cockpit.history.open()
    session, _ = store.begin_session("long", "message 0")
    for number in range(1, 30):
        store.add_message(session.id, "user" if number % 2 == 0 else "assistant",
                          f"message {number}")
    app.main.query_one(ChatPane).open_session(session.id, "long")
    await settle(pilot)
    assert app.main.query_one(ChatPane).marker.hidden == 30 - 24


def _messages(app: PaiApp) -> Widget:
    return app.main.query_one("#messages")


async def _long_session_typing(app: PaiApp, pilot: Pilot) -> None:
    await _long_session(app, pilot)
    await _focus(app, pilot, "chat")
    assert _messages(app).scroll_y == _messages(app).max_scroll_y > 0


async def _long_session_read_back(app: PaiApp, pilot: Pilot) -> None:
    await _long_session_typing(app, pilot)
    _messages(app).scroll_home(animate=False)
    await settle(pilot)
    assert _messages(app).scroll_y == 0


async def _session_in_history(app: PaiApp, pilot: Pilot) -> None:
    await _start_session(app, pilot)
    await _focus(app, pilot, "history")


async def _ollama_found(app: PaiApp, pilot: Pilot) -> None:
    app.test_server.ollama_models = ["llama3.2", "qwen3"]  # type: ignore[attr-defined]
    app.sessions.look_for_ollama()
    await settle(pilot)
    assert app.sessions.ollama_models == ["llama3.2", "qwen3"]


async def _slash_typed(app: PaiApp, pilot: Pilot) -> None:
    await app.workers.wait_for_complete()  # the skills load after the first frame
    await _type(app, pilot, "/summ")


async def _new_skill_written(app: PaiApp, pilot: Pilot) -> None:
    await app.workers.wait_for_complete()  # the skills load after the first frame
    folder = app.cockpit.config.home.skills / "brand-new"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text("---\nname: brand-new\ndescription: New.\n---\nBody\n")


async def _skills_open(app: PaiApp, pilot: Pilot) -> None:
    await press(pilot, "alt+k")
    assert await eventually(pilot, lambda: isinstance(app.screen, SkillsScreen)
                            and bool(app.screen.shown))
    app.screen.query_one("#skills-list").focus()
    await pilot.pause()


async def _agent_running(app: PaiApp, pilot: Pilot) -> None:
    app.test_server.queue(Reply(n_tokens=400, delay=0.05))  # type: ignore[attr-defined]
    app.start_agent("researcher", "take your time")
    assert await eventually(pilot, lambda: _agent_status(app) == "running")


async def _agent_under_cursor(app: PaiApp, pilot: Pilot) -> None:
    await _agent_running(app, pilot)
    listing = app.main.query_one("#agents-list")
    assert await eventually(pilot, lambda: listing.display and listing.option_count == 1)
    listing.focus()
    await pilot.pause()


async def _finished_agent_under_cursor(app: PaiApp, pilot: Pilot) -> None:
    app.test_server.queue(Reply(text="The plan, in full."))  # type: ignore[attr-defined]
    app.start_agent("researcher", "make a plan")
    assert await eventually(pilot, lambda: _agent_status(app) == "complete")
    listing = app.main.query_one("#agents-list")
    listing.focus()
    await pilot.pause()


def _agent_status(app: PaiApp) -> str:
    rows = app.main.query_one(AgentsPane).rows
    return next(iter(rows.values())).status if rows else ""


async def _new_agent_written(app: PaiApp, pilot: Pilot) -> None:
    await app.cockpit.agents.catalog()
    folder = app.cockpit.config.home.agents
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brand-new.md").write_text("---\nname: brand-new\ndescription: New.\n---\nHi\n")


def _agent_picker(app: PaiApp) -> bool:
    from textual.widgets import Input

    return isinstance(app.screen, CommandPalette) and \
        app.screen.query_one(Input).placeholder.startswith("Which agent?")


async def _note_in_history(app: PaiApp, pilot: Pilot, forgotten: bool = False) -> None:
    """A note, listed in History's notes view (or the forgotten view), under the cursor."""
    from pai_tui.history.records import NoteDraft

    def keep(store):  # type: ignore[no-untyped-def]
        note = store.add_note(NoteDraft("learning", "Retry 529s with backoff"))
        if forgotten:
            store.forget_note(note.id)

    await app.cockpit.history.run(keep)
    await _focus(app, pilot, "history")
    pane = app.pane("history")
    for _ in range(2 if forgotten else 1):
        await press(pilot, "v")
    assert await eventually(pilot, lambda: len(pane.notes) == 1)  # type: ignore[attr-defined]


async def _forgotten_note_in_history(app: PaiApp, pilot: Pilot) -> None:
    await _note_in_history(app, pilot, forgotten=True)


def _history_notes(app: PaiApp) -> list[object]:
    return app.pane("history").notes  # type: ignore[attr-defined, no-any-return]


def _searching(app: PaiApp) -> bool:
    """The History pane's search box is open and has the focus."""
    return getattr(app.focused, "id", "") == "history-search" and app.focused.display  # type: ignore[union-attr]


async def _search_open(app: PaiApp, pilot: Pilot) -> None:
    await _session_in_history(app, pilot)
    await press(pilot, "slash")
    assert await eventually(pilot, lambda: _searching(app))


def _dialog(kind: type) -> Callable[[PaiApp], bool]:
    return lambda a: isinstance(a.screen, kind)


def _model_picker(app: PaiApp) -> bool:
    from textual.widgets import Input

    return isinstance(app.screen, CommandPalette) and \
        app.screen.query_one(Input).placeholder.startswith("Search for a model")


async def _answered(app: PaiApp, pilot: Pilot) -> None:
    await _start_session(app, pilot)
    assert app.chat.last_answer() is not None


def _timeline_of(turn_id: Callable[[PaiApp], int | None]) -> Callable[[PaiApp], bool]:
    """The timeline of that turn is on screen, drawn."""
    return lambda a: isinstance(a.screen, TimelineScreen) and a.screen.reads > 0 \
        and a.screen.turn_id == turn_id(a)


def _last_answer_id(app: PaiApp) -> int | None:
    answer = app.main.query_one(ChatPane).last_answer()
    return answer.message_id if answer else None


def _run_id(app: PaiApp) -> int | None:
    return next(iter(app.main.query_one(AgentsPane).rows), None)


async def _timeline_open(app: PaiApp, pilot: Pilot) -> None:
    await _answered(app, pilot)
    await press(pilot, "alt+w")
    assert await eventually(pilot, lambda: _timeline_of(_last_answer_id)(app))


async def _summary_open(app: PaiApp, pilot: Pilot) -> None:
    await press(pilot, "alt+o")
    assert await eventually(pilot, lambda: isinstance(app.screen, SummaryScreen)
                            and app.screen.loaded == "today")


def _summary_of(period: str) -> Callable[[PaiApp], bool]:
    return lambda a: isinstance(a.screen, SummaryScreen) and a.screen.loaded == period


EFFECTS: dict[str, tuple[Callable[..., Any] | None, Callable[[PaiApp], bool]]] = {
    "app.help": (lambda a, p: _focus(a, p, "agents"), lambda a: isinstance(a.screen, HelpScreen)),
    "app.palette": (None, lambda a: isinstance(a.screen, CommandPalette)),
    "app.quit": (None, lambda a: not a.is_running),
    **{f"pane.{name}": (_pane_setup(name), _in_pane(name))
       for name in ("chat", "agents", "history", "upgrades")},
    "pane.maximize": (None, lambda a: a.main.maximized is a.pane("chat")),
    "layout.toggle": (None, lambda a: a.main.query_one("#panes").has_class("-grid")),
    "theme.change": (None, lambda a: isinstance(a.screen, CommandPalette)),
    "session.new": (_start_session, lambda a: a.main.query_one(ChatPane).session_id is None),
    "focus.next": (None, lambda a: a.focused is not a.main.query_one(ChatInput)),
    "focus.previous": (None, lambda a: a.focused is not a.main.query_one(ChatInput)),
    "chat.send": (lambda a, p: _type(a, p, "hi"),
                  lambda a: a.main.query_one(ChatPane).session_id is not None),
    "chat.newline": (lambda a, p: _type(a, p, "a"),
                     lambda a: a.main.query_one(ChatInput).text == "a\n"),
    "help.close": (_open_help, lambda a: a.screen is a.main),
    "app.quit_hint": (lambda a, p: _focus(a, p, "agents"),
                      lambda a: any("to quit" in str(n.message) for n in a._notifications)),
    "screen.copy": (_select_agents_text, lambda a: "No agents running" in (a.clipboard or "")),
    "chat.cancel": (_start_streaming, lambda a: shown(a)[-1][1] == "cancelled"),
    "chat.retry": (_failed_answer, lambda a: shown(a)[-1][1:] == ("complete",
                                                                 "Hello from the fake model.")),
    "chat.answers": (_retried_answer, _first_answer_shown),
    "chat.unqueue": (_queued_message, _taken_back),
    "chat.copy": (_start_session, lambda a: a.clipboard == "Hello from the fake model."),
    "chat.page_up": (_long_session_typing, lambda a: _messages(a).scroll_y
                     < _messages(a).max_scroll_y),
    "chat.page_down": (_long_session_read_back, lambda a: _messages(a).scroll_y > 0),
    "chat.details": (None, lambda a: a.main.query_one(ChatPane).has_class("-details")),
    "chat.earlier": (_long_session, lambda a: a.main.query_one(ChatPane).marker.hidden == 0),
    "model.switch": (None, _model_picker),
    "session.system": (_start_session, _dialog(TextDialog)),
    "session.rename": (_start_session, _dialog(InputDialog)),
    "session.delete": (_start_session, _dialog(ConfirmDialog)),
    "history.rename": (_session_in_history, _dialog(InputDialog)),
    "history.delete": (_session_in_history, _dialog(ConfirmDialog)),
    "history.find": (None, _searching),
    "history.view": (_session_in_history, lambda a: a.pane("history").view == "notes"),
    "history.forget": (_note_in_history, lambda a: _history_notes(a) == []),
    "history.restore": (_forgotten_note_in_history, lambda a: _history_notes(a) == []),
    "history.search": (_session_in_history, _searching),
    "history.search_close": (_search_open, lambda a: not _searching(a)
                             and a.focused is a.main.query_one("#history-list")),
    "ollama.use": (_ollama_found, lambda a: a.cockpit.providers.default().provider == "ollama"),
    "agents.start": (None, _agent_picker),
    "agents.stop_all": (_agent_running, lambda a: _agent_status(a) == "cancelled"),
    "agents.stop": (_agent_under_cursor, lambda a: _agent_status(a) == "cancelled"),
    "agents.rerun": (_finished_agent_under_cursor,
                     lambda a: len(a.main.query_one(AgentsPane).rows) == 2),
    "agents.copy": (_finished_agent_under_cursor,
                    lambda a: a.main.query_one(ChatInput).text == "The plan, in full."),
    "agents.reload": (_new_agent_written,
                      lambda a: a.cockpit.agents._catalog is not None
                      and a.cockpit.agents._catalog.get("brand-new") is not None),
    "skills.browse": (None, _dialog(SkillsScreen)),
    "skills.reload": (_new_skill_written,
                      lambda a: "/brand-new" in a.cockpit.skills.completions("/bra")),
    "chat.complete": (_slash_typed,
                      lambda a: a.main.query_one(ChatInput).text == "/summarize "),
    "skills.run": (_skills_open, _dialog(InputDialog)),
    "skills.filter": (_skills_open, lambda a: getattr(a.focused, "id", "") == "skills-filter"),
    "skills.close": (_skills_open, lambda a: a.screen is a.main),
    "timeline.last": (_answered, _timeline_of(_last_answer_id)),
    "chat.notes": (_answered_with_notes, _notes_shown),
    "chat.learn": (_answered, _dialog(TextDialog)),
    "chat.preview_notes": (_message_with_notes, _previewing),
    "session.learnings": (_answered_with_proposals_queued, _previewing),
    "note_picker.keep": (_preview_one_unticked,
                           lambda a: a.screen is a.main and len(a.chat.without_notes) == 1),
    "note_picker.cancel": (_preview_one_unticked,
                             lambda a: a.screen is a.main and not a.chat.without_notes),
    "chat.rate": (_answered, _dialog(InputDialog)),
    "notes_used.close": (_notes_open, lambda a: a.screen is a.main),
    "agents.timeline": (_agent_under_cursor, _timeline_of(_run_id)),
    "timeline.close": (_timeline_open, lambda a: a.screen is a.main),
    "usage.summary": (None, _summary_of("today")),
    "summary.period": (_summary_open, _summary_of("week")),
    "summary.close": (_summary_open, lambda a: a.screen is a.main),
    "voice.toggle": (None, lambda a: a.main.query_one(StatusBar).voice != "off"),
    "upgrades.fetch": (upgrade_steps.feed_sources, upgrade_steps.items_fetched),
    "upgrades.fetch_here": (upgrade_steps.feed_sources, upgrade_steps.items_fetched),
    "upgrades.schedule": (upgrade_steps.feed_sources,
                          lambda a: a.main.query_one(StatusBar).scheduler.startswith("on")),
    "upgrades.read": (upgrade_steps.items_in_pane, upgrade_steps.first_read),
    "upgrades.delete": (upgrade_steps.items_in_pane, upgrade_steps.one_deleted),
    "upgrade_item.close": (upgrade_steps.item_open, lambda a: a.screen is a.main),
    "upgrades.propose": (upgrade_steps.item_for_a_proposal,
                         lambda a: upgrade_steps.proposal_of(a, "proposed")),
    "upgrades.accept": (upgrade_steps.proposal_in_pane,
                        lambda a: upgrade_steps.proposal_of(a, "accepted")),
    "upgrades.reject": (upgrade_steps.proposal_in_pane,
                        lambda a: upgrade_steps.proposal_of(a, "rejected")),
    "upgrades.apply": (upgrade_steps.accepted_in_pane,
                       lambda a: upgrade_steps.proposal_of(a, "verified")),
    "upgrades.revert": (upgrade_steps.verified_in_pane,
                        lambda a: upgrade_steps.proposal_of(a, "reverted")),
    "upgrade_proposal.close": (upgrade_steps.proposal_open, lambda a: a.screen is a.main),
    "voice.hush": (None, lambda a: any("Speech stopped" in str(n.message)
                                       for n in a._notifications)),
}

ALL_KEYS = [(spec.id, key) for spec in ACTIONS for key in spec.keys.split(",") if key]


def test_every_action_has_an_effect_check() -> None:
    assert set(EFFECTS) == set(BY_ID)


@pytest.mark.parametrize(("action_id", "key"), ALL_KEYS, ids=[f"{a}-{k}" for a, k in ALL_KEYS])
async def test_every_binding(action_id: str, key: str, llm_server: FakeLLMServer) -> None:
    setup, effect = EFFECTS[action_id]
    async with running(server=llm_server) as (app, pilot):
        app.test_server = llm_server  # type: ignore[attr-defined]
        if setup:
            await setup(app, pilot)
        assert not effect(app), f"{action_id}: the effect holds before {key} is pressed"
        await press(pilot, key)
        assert await eventually(pilot, lambda: effect(app)), \
            f"{key} did not {BY_ID[action_id].title.lower()}"


PALETTE = [spec.id for spec in ACTIONS if spec.palette]


@pytest.mark.parametrize("action_id", PALETTE)
async def test_every_palette_entry(action_id: str, llm_server: FakeLLMServer) -> None:
    setup, effect = EFFECTS[action_id]
    async with running(server=llm_server) as (app, pilot):
        app.test_server = llm_server  # type: ignore[attr-defined]
        if setup:
            await setup(app, pilot)
        title = BY_ID[action_id].title
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *title.lower())
        hits = app.screen.query_one("CommandList", OptionList)

        def first_hit() -> str:
            if not hits.option_count:
                return ""
            return str(hits.get_option_at_index(0).prompt).splitlines()[0]

        await eventually(pilot, lambda: first_hit() == title, timeout=5)
        first = first_hit()
        assert first == title, f"searching {title!r} offers {first!r} first"
        await press(pilot, "enter")
        assert await eventually(pilot, lambda: effect(app)), \
            f"the palette's {title!r} did nothing"


async def test_markup_in_the_first_message_is_saved_and_titled_literally() -> None:
    async with running() as (app, pilot):
        text = "oops [/] closing [@click=app.quit]x[/]"
        app.main.query_one(ChatInput).text = text
        await press(pilot, "enter")
        await settle(pilot)
        chat = app.main.query_one(ChatPane)
        assert text in frame_of(chat)[-1]  # drawn on the border as typed
        [session] = await app.cockpit.history.sessions()
        assert next(m.content for m in await app.cockpit.history.messages(session.id)) == text


async def test_a_message_that_cannot_be_saved_goes_back_to_the_input(
        home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = home.root.parent / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PAI_DATABASE_URL", f"sqlite:///{blocker}/pai.db")
    async with running() as (app, pilot):
        await press(pilot, *"precious words", "enter")
        await settle(pilot)
        assert app.main.query_one(ChatInput).text == "precious words"
        assert list(app.main.query(MESSAGE_VIEWS)) == []
        messages = [str(n.message) for n in app._notifications]
        assert any(m.startswith("Not sent: your message could not be saved") for m in messages)
        assert not any("is saved" in m for m in messages)


async def test_quick_switches_save_what_is_on_screen(home: HomePaths) -> None:
    for _ in range(5):
        async with running() as (app, pilot):
            for _ in range(3):
                app.action_toggle_layout()
            app.theme = "ember"
            await settle(pilot)
            shown = app.layout_name
        text = home.config.read_text()
        assert f'layout = "{shown}"' in text and 'theme = "ember"' in text
        home.config.unlink()


async def test_theme_picked_in_the_palette_is_applied_and_saved(home: HomePaths) -> None:
    async with running() as (app, pilot):
        await press(pilot, "alt+t")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *"ember")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        await settle(pilot)
        assert app.theme == "ember"
    assert 'theme = "ember"' in home.config.read_text()


async def test_symlinked_config_stays_a_link(home: HomePaths, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "pai.toml"
    dotfiles.parent.mkdir()
    dotfiles.write_text("# in my dotfiles repo\n")
    home.root.mkdir(parents=True)
    home.config.symlink_to(dotfiles)
    async with running() as (_app, pilot):
        await press(pilot, "alt+l")
        await settle(pilot)
    assert home.config.is_symlink()
    assert 'layout = "grid"' in dotfiles.read_text()
    assert "# in my dotfiles repo" in dotfiles.read_text()


async def test_a_theme_with_a_bad_variable_is_skipped_not_fatal(home: HomePaths) -> None:
    home.themes.mkdir(parents=True)
    (home.themes / "teal.toml").write_text('name = "teal"\nprimary = "#008080"\n\n[variables]\n'
                                           '"block-cursor-foreground" = "tealish"\n')
    write_config(home, '[ui]\ntheme = "teal"\n')
    async with running() as (app, _):
        assert app.theme == "pai" and "teal" not in app.available_themes
        messages = [str(n.message) for n in app._notifications]
        assert any("teal.toml:5: key 'variables.block-cursor-foreground'" in m
                   for m in messages)


async def test_a_failed_worker_is_told_and_logged_with_keys_masked(
        llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    key = TEST_KEYS["anthropic"]

    async def broken() -> None:
        raise RuntimeError(f"the ledger broke while holding {key}")

    async with running(server=llm_server) as (app, pilot):
        monkeypatch.setattr(app.cockpit.history, "costs", broken)
        app.main.query_one("#status").refresh_costs()  # type: ignore[attr-defined]

        def told() -> list[str]:
            return [str(n.message) for n in app._notifications]

        assert await eventually(pilot, lambda: any(
            "Something went wrong (refresh_costs)" in m and "ledger broke" in m for m in told()))
        assert all(key not in m for m in told())
        log = app.cockpit.config.home.root / "logs" / "pai.log"
        text = log.read_text()
        assert "worker refresh_costs failed" in text and "Traceback" in text
        assert key not in text and f"…{key[-4:]}" in text
        assert log.stat().st_mode & 0o777 == 0o600
    from tests.conftest import run_pai

    doctor = run_pai("doctor", env={"COLUMNS": "300"})
    assert str(log) in doctor.stdout


async def test_a_shortcut_typed_into_a_dialog_types_nothing() -> None:
    async with running() as (app, pilot):
        await press(pilot, *"hi", "enter")
        await settle(pilot)
        await press(pilot, "alt+r")
        assert await eventually(pilot, lambda: isinstance(app.screen, InputDialog))
        field = app.screen.query_one("#dialog-input")
        await press(pilot, "end", *" there", "alt+1", "alt+m")
        assert field.value == "hi there"  # type: ignore[attr-defined]
        assert isinstance(app.screen, InputDialog)  # and no pane key acted behind it


async def test_the_offline_answer_is_headed_offline() -> None:
    async with running() as (app, pilot):
        await press(pilot, *"hi", "enter")
        await settle(pilot)
        [answer] = app.main.query(AnswerView)
        header = next(line for line in text_of(app, answer).splitlines() if line.strip("▌ "))
        assert header.strip("▌ ").startswith("offline") and "none" not in header


async def test_quitting_while_an_answer_streams_asks_once(llm_server: FakeLLMServer) -> None:
    async with running(server=llm_server) as (app, pilot):
        app.test_server = llm_server  # type: ignore[attr-defined]
        await _start_streaming(app, pilot)
        await press(pilot, "ctrl+q")
        assert await eventually(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await press(pilot, "n")
        assert await eventually(pilot, lambda: app.screen is app.main)
        assert app.is_running and app.chat.busy  # still answering
        await press(pilot, "ctrl+q")
        assert await eventually(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await press(pilot, "y")
        assert await eventually(pilot, lambda: not app.is_running)
    [answer] = [m for m in await app.cockpit.history.messages(1) if m.role == "assistant"]
    assert answer.status == "cancelled" and answer.content.startswith("w0 ")


async def test_history_says_again_how_long_ago_sessions_were_active() -> None:
    from datetime import timedelta

    from pai_tui.ui.panes import HistoryPane

    async with running() as (app, pilot):
        await press(pilot, *"hi", "enter")
        await settle(pilot)
        history = app.main.query_one(HistoryPane)
        # The pane reloads a moment after the answer is saved (reloads of a burst are folded).
        assert await eventually(pilot, lambda: "just now" in text_of(app, history))
        later = history.sessions[0].updated_at + timedelta(minutes=7)
        history.refresh_times(now=later)
        await pilot.pause()
        assert "7 min ago" in text_of(app, history) and "just now" not in text_of(app, history)


async def test_an_ignored_secrets_file_is_said_when_the_cockpit_starts(home: HomePaths) -> None:
    home.root.mkdir(parents=True, exist_ok=True)
    secrets = home.root / "secrets.toml"
    secrets.write_text('ANTHROPIC_API_KEY = "sk-ant-kept-out-000011112222"\n')
    secrets.chmod(0o644)
    async with running() as (app, _):
        told = [str(n.message) for n in app._notifications]
        assert any(f"{secrets} is readable by others" in m and "chmod 600" in m for m in told)
        assert all("sk-ant-kept-out" not in m for m in told)


async def test_history_marks_imported_sessions_with_their_source(home: HomePaths) -> None:
    from pai_tui.history.imports import reader
    from pai_tui.history.imports.writer import write
    from pai_tui.history.store import Store
    from pai_tui.history.urls import sqlite_url
    from tests.history_samples import FIXTURES

    home.ensure()
    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    write(reader("claude")(FIXTURES / "claude" / "conversations.json"), store)
    store.close()
    async with running() as (app, pilot):
        listing = app.screen.query_one("#history-list", OptionList)
        assert await eventually(pilot, lambda: listing.option_count == 3)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(3)]
        assert all(prompt.endswith("⇣claude") for prompt in prompts), prompts
