"""The cockpit's full-screen app: four panes, a status bar, help, palette, themes and keymap."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Grid
from textual.markup import escape as escape_markup
from textual.screen import ModalScreen, Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from pai_tui.actions import ACTIONS, PANES, ActionSpec
from pai_tui.cockpit import Cockpit
from pai_tui.config import ConfigError, Layout
from pai_tui.llm.providers import ModelChoice
from pai_tui.ui.agents_pane import AgentsPane
from pai_tui.ui.bus import Bridge
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.errors import report_worker_failure
from pai_tui.ui.keymap import (
    bindings_for,
    effective_keys,
    keys_display,
    use_standard_alt_digits,
)
from pai_tui.ui.markdown_body import warm_up as markdown_warm_up
from pai_tui.ui.note_actions import NoteActions
from pai_tui.ui.pane import Pane
from pai_tui.ui.panes import HistoryPane, OpenSession
from pai_tui.ui.session_actions import SessionActions
from pai_tui.ui.status import StatusBar
from pai_tui.ui.terminal_title import TerminalTitle, waiting_title
from pai_tui.ui.themes import DEFAULT_THEME, load_themes
from pai_tui.ui.upgrades_pane import UpgradesPane

if TYPE_CHECKING:
    from pai_tui.skills.permissions import Decision
    from pai_tui.turns.gates import ToolQuestion

log = logging.getLogger(__name__)
QUIT_WAIT_S = 5.0  # how long quitting waits for stopped runs to save what they wrote

LAYOUTS: tuple[Layout, ...] = ("columns", "grid")
FULL_GC_EVERY = 1000  # middle-generation collections between full ones (Python's default: 10)
# Actions on the panes: inactive while a modal screen (help, palette) is on top.
MAIN_SCREEN_ACTIONS = frozenset(
    {"focus_pane", "toggle_maximize", "toggle_layout", "new_session", "change_theme",
     "cancel_answer", "retry_answer", "switch_answer", "take_back_queued", "copy_answer",
     "toggle_details",
     "show_earlier", "switch_model", "edit_system_prompt", "rename_session", "delete_session",
     "use_ollama", "browse_skills", "last_answer_timeline", "notes_used",
     "keep_learning", "rate_answer", "preview_notes", "propose_learnings"})
# Scopes of screens of their own (the screen's id is the scope): their actions act there.
SCREEN_SCOPES = ("help", "skills", "timeline", "summary", "upgrade-item", "upgrade-proposal",
                 "notes-used", "note-picker")


class MainScreen(Screen[None], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("screen")
    AUTO_FOCUS = "#chat-input"
    ALLOW_IN_MAXIMIZED_VIEW = "#status"  # a maximized pane still shows who answers and the cost

    def __init__(self, cockpit: Cockpit, bridge: Bridge):
        super().__init__(id="main")
        self.cockpit = cockpit
        self.bridge = bridge

    def compose(self) -> ComposeResult:
        layout = self.cockpit.config.ui.layout
        with Grid(id="panes", classes=f"-{layout}"):
            yield ChatPane(self.cockpit, self.bridge, id="chat")
            yield AgentsPane(self.cockpit, self.bridge, id="agents")
            yield HistoryPane(self.cockpit, self.bridge, id="history")
            yield UpgradesPane(self.cockpit, self.bridge, id="upgrades")
        yield StatusBar(self.cockpit, self.bridge, id="status")

    @on(OpenSession)
    def _open_session(self, message: OpenSession) -> None:
        self.query_one(ChatPane).open_session(message.session_id, message.title, message.at)

    @on(ChatPane.SessionShown)
    def _session_shown(self, message: ChatPane.SessionShown) -> None:
        self.query_one(StatusBar).show_choice(message.choice)


class PaiApp(App[None], inherit_bindings=False):
    """The cockpit's face: the frame (panes, layout, themes, palette, help), the actions, and
    the one bridge from the core's events to the widgets."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "pai"
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("app")
    ESCAPE_TO_MINIMIZE = False  # esc stops answers; alt+z / F6 restore a maximized pane

    def __init__(self, cockpit: Cockpit):
        use_standard_alt_digits()
        super().__init__()
        self.cockpit = cockpit
        cockpit.history.watch_changes = True  # other pais' writes refresh the panes
        self.layout_name: Layout = cockpit.config.ui.layout
        self.bridge = Bridge(self, cockpit.bus)
        self.main = MainScreen(cockpit, self.bridge)
        self.sessions = SessionActions(self, cockpit, self.main.query_one)
        self.memory = NoteActions(self, cockpit, self.main.query_one)
        cockpit.approvals.answerer = self.ask_permission
        self.terminal_title = TerminalTitle(self)
        self._theme_saved = cockpit.config.ui.theme
        self.settled = asyncio.Event()  # set when the work after the first frame is done
        # Before the first CSS parse: a theme set once running parses every stylesheet again.
        self._theme_problems = self._apply_themes()

    @cached_property
    def redact(self) -> Callable[[str], str]:
        """Masks every key pai knows and the database password in text shown or logged."""
        from pai_tui.observe.logfile import redactor

        return redactor(self.cockpit)

    @property
    def config_path(self) -> Path:
        return self.cockpit.config.home.config

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MAIN_SCREEN_ACTIONS and self.screen is not self.main:
            return False
        return self._available(action)

    def _available(self, action: str) -> bool:
        """Actions that only make sense at times: stopping an answer needs one being written
        (else esc goes on to whatever else wants it); Ollama needs to have been found."""
        if action == "cancel_answer":
            return self.chat.busy
        if action == "use_ollama":
            return self.sessions.ollama_models is not None
        return True

    def on_mount(self) -> None:
        self.set_keymap(self.cockpit.config.keymap)
        for problem in self._theme_problems:
            self.notify(problem, severity="warning", timeout=10, markup=False)
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def on_ready(self) -> None:
        # After the first frame: the store (SQLAlchemy import, migrations) and the provider's
        # SDK (about a second to import) never delay it.
        self._settle_in()
        choice = self.cockpit.providers.default()
        if choice.provider == "offline" and "ollama" not in self.cockpit.config.providers:
            self.sessions.look_for_ollama()
        if self.cockpit.config.voice.enabled:
            self._start_voice(announce=False)
        if self.cockpit.config.upgrade.schedule:
            self._start_scheduler()
        problem = self.cockpit.providers.secrets.problem  # a key may be missing for this
        if problem:
            self.notify(problem, severity="warning", timeout=20, markup=False)

    @work(group="settle-in", exit_on_error=False)
    async def _settle_in(self) -> None:
        # Success and failure of the store are published on the bus (panes and status bar show
        # them); a broken SDK shows when the first message is sent.
        with suppress(OSError):
            from pai_tui.observe.logfile import start_log

            self.log_path = await asyncio.to_thread(start_log, self.cockpit)
        with suppress(Exception):
            await self.cockpit.history.store()
        with suppress(Exception):
            await self.cockpit.providers.warm_up()
        with suppress(Exception):  # for slash completion; a problem shows in the browser
            await asyncio.to_thread(self.cockpit.skills.load)
        self.cockpit.turns  # noqa: B018  (the turn engine's modules, before the first message)
        with suppress(Exception):
            await asyncio.to_thread(markdown_warm_up)
        # Textual, the widgets, SQLAlchemy and the SDK live as long as the app: take them out
        # of the garbage collector's full scans, which otherwise stall the screen ~80 ms a time
        # while answers stream (measured by benchmarks/stream_realtime.py).
        gc.freeze()
        # After the freeze few objects count as long-lived, so Python's rule (a full collection
        # once they grow by a quarter) ran one every ~10 middle collections while an answer
        # streamed: 10–90 ms each, a key typed meanwhile waited. One per 1,000 middle
        # collections is about one per 100 s of streaming.
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_GC_EVERY)
        gc.enable()  # `pai` kept it off until the first frame (cli/__init__.py)
        self.settled.set()

    # themes

    def _apply_themes(self) -> list[str]:
        """Register the user's themes and choose the configured one; returns what to tell."""
        themes, problems = load_themes(self.cockpit.config.home.themes)
        for theme in themes.values():
            self.register_theme(theme)
        notices = [f"Theme skipped: {problem}" for problem in problems]
        wanted = self.cockpit.config.ui.theme
        if wanted not in self.available_themes:
            why = ": its file is invalid (see above)" \
                if any(p.name == wanted for p in problems) else ""
            notices.append(f"Theme {wanted!r} (config.toml [ui] theme) not found{why}; using "
                           f"{DEFAULT_THEME!r}.")
            wanted = DEFAULT_THEME
        self._theme_saved = wanted  # applying the configured theme is not a change to save
        self.theme = wanted
        return notices

    def _remember_theme(self, theme: Theme) -> None:
        if theme.name != self._theme_saved:
            self._theme_saved = theme.name
            self._save_setting("theme")

    def _ui_setting(self, key: str) -> str | bool:
        return {"theme": self._theme_saved, "layout": self.layout_name,
                "details": self.chat.has_class("-details")}[key]

    @work(thread=True, group="settings", exit_on_error=False)
    def _save_setting(self, key: str) -> None:
        # One write at a time (the settings writer serializes), each with the value current
        # when it runs: quick switches can neither lose one another's changes nor land out of
        # order.
        try:
            self.cockpit.settings.save(("ui",), {key: self._ui_setting(key)})
        except (ConfigError, OSError) as error:
            self.call_from_thread(self.notify, f"Setting not saved: {error}",
                                  severity="error", markup=False)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker goes: the user is told, the log keeps the traceback
        (panes send theirs here too: ui/pane.py)."""
        report_worker_failure(self, event)

    # actions

    def action_show_help(self) -> None:
        from pai_tui.ui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self._keymap))

    def pane(self, name: str) -> Pane:
        return self.main.query_one(f"#{name}", Pane)

    def action_focus_pane(self, name: str) -> None:
        if name not in PANES:
            return
        pane = self.pane(name)
        screen = self.main
        if screen.maximized is not None and screen.maximized is not pane:
            screen.minimize()
        pane.focus_target().focus()

    def focused_pane(self) -> Pane | None:
        widget = self.focused
        while widget is not None and not isinstance(widget, Pane):
            widget = widget.parent  # type: ignore[assignment]
        return widget

    def action_toggle_maximize(self) -> None:
        screen = self.main
        if screen.maximized is not None:
            screen.minimize()
            return
        pane = self.focused_pane() or self.pane("chat")
        screen.maximize(pane, container=False)

    def action_toggle_layout(self) -> None:
        index = LAYOUTS.index(self.layout_name)
        self.layout_name = LAYOUTS[(index + 1) % len(LAYOUTS)]
        grid = self.main.query_one("#panes")
        for layout in LAYOUTS:
            grid.set_class(layout == self.layout_name, f"-{layout}")
        self._save_setting("layout")
        self.notify(f"Layout: {self.layout_name}", timeout=2)

    def action_search_history(self) -> None:
        self.action_focus_pane("history")
        self.main.query_one(HistoryPane).action_search()

    async def action_new_session(self) -> None:
        self.action_focus_pane("chat")
        await self.main.query_one(ChatPane).new_session()

    # command palette: every action of the catalogue

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for spec in ACTIONS:
            if spec.palette and self._usable_on(spec, screen):
                keys = keys_display(effective_keys(spec, self._keymap))
                said = f"{spec.help} ({keys})" if keys else spec.help
                # The palette reads help as markup: "[upgrade] schedule" would lose its table.
                yield SystemCommand(spec.title, escape_markup(said),
                                    partial(self.run_palette_action, spec))

    def _usable_on(self, spec: ActionSpec, screen: Screen) -> bool:
        """Whether an action works on `screen`: the panes' on the main screen, a screen's own
        (help, skills, a timeline, the summary) on it, the app's own everywhere."""
        if spec.scope in SCREEN_SCOPES:
            return screen.id == spec.scope
        action = spec.action.split("(")[0]
        if screen is self.main:
            return self._available(action)
        return spec.scope == "app" and action not in MAIN_SCREEN_ACTIONS

    async def run_palette_action(self, spec: ActionSpec) -> None:
        if spec.scope == "chat-input":
            self.action_focus_pane("chat")
            await self.run_action(spec.action, self.main.query_one(ChatInput))
        elif spec.scope in SCREEN_SCOPES:
            await self.run_action(spec.action, self.screen)
        elif spec.scope in ("agents", "upgrades", "history"):  # on the row highlighted there
            await self.run_action(spec.action, self.pane(spec.scope))
        else:
            await self.run_action(spec.action)

    @work(group="skills-reload", exclusive=True, exit_on_error=False)
    async def action_reload_skills(self) -> None:
        index = await self.cockpit.skills.reload()
        problems = len(index.warnings) + len(index.rejected)
        self.notify(f"{len(index)} skills loaded" + (
            f"; {problems} warnings (pai skill list --warnings)" if problems else ""),
            markup=False)

    def action_start_agent(self) -> None:
        from textual.command import CommandPalette

        from pai_tui.ui.agent_picker import AgentCommands

        self.push_screen(CommandPalette(providers=[AgentCommands],
                                        placeholder="Which agent? (type to filter)"))

    def ask_agent_task(self, name: str) -> None:
        """The agent is picked: ask its task, then start it."""
        from pai_tui.ui.dialogs import InputDialog

        def start(task: str | None) -> None:
            if task and task.strip():
                self.start_agent(name, task.strip())

        self.push_screen(InputDialog(f"Task for {name}", question="What should it do?"), start)

    @work(group="agents", exit_on_error=False)
    async def start_agent(self, name: str, task: str) -> None:
        """Run agent `name` on `task` (it shows in the Agents pane); a notice when it ends."""
        from pai_tui.agents.runs import RunRequest

        supervisor = self.cockpit.agents
        agent = (await supervisor.catalog()).get(name)
        if agent is None:
            self.notify(f"No agent called {name!r} (Reload agents after adding one).",
                        severity="error", markup=False)
            return
        request = RunRequest(agent, task)
        for note in supervisor.plan(request)[1]:  # what it cannot honour, said before it runs
            self.notify(note, severity="warning", markup=False)
        result = await supervisor.run(request)
        self.notify(f"{agent.name}: {result.status}", markup=False,
                    severity="information" if result.status == "complete" else "warning")

    def action_stop_all_agents(self) -> None:
        stopped = self.cockpit.agents.stop_all() if "agents" in vars(self.cockpit) else 0
        self.notify(f"Stopped {stopped} agent{'s' if stopped != 1 else ''}." if stopped
                    else "No agent is running.", markup=False)

    async def action_reload_agents(self) -> None:
        catalog = await self.cockpit.agents.catalog(reload=True)
        problems = len(catalog.warnings) + len(catalog.rejected)
        self.notify(f"{len(catalog)} agents loaded" + (
            f"; {problems} warnings (pai agent list --warnings)" if problems else ""),
            markup=False)

    def action_browse_skills(self) -> None:
        from pai_tui.ui.skills_screen import SkillsScreen

        self.push_screen(SkillsScreen(self.cockpit))

    def action_last_answer_timeline(self) -> None:
        from pai_tui.ui.timeline_screen import TimelineScreen

        answer = self.chat.last_answer()
        if answer is None or not answer.message_id:
            self.notify("No answer yet: the timeline shows one once it has begun.", timeout=3)
            return
        self.push_screen(TimelineScreen(self.cockpit.history, answer.message_id))

    @work(group="notes-used", exclusive=True, exit_on_error=False)
    async def action_notes_used(self) -> None:
        from pai_tui.ui.notes_screen import NotesUsedScreen

        answer = self.chat.last_answer()
        if answer is None or not answer.notes_used:
            self.notify("The last answer was given no notes from your history (pai notes add "
                        "keeps one; [notes] in config.toml).", timeout=4)
            return
        ids = list(answer.notes_used)
        notes = await self.cockpit.history.run(
            lambda store: store.notes(statuses=(), ids=ids))
        self.push_screen(NotesUsedScreen(answer.message_id, notes))

    def action_show_usage(self) -> None:
        from pai_tui.ui.summary_screen import SummaryScreen

        if not isinstance(self.screen, SummaryScreen):
            self.push_screen(SummaryScreen(self.cockpit.history))

    async def ask_permission(self, question: ToolQuestion) -> Decision:
        """The answer to "may this tool run?" (one question at a time): a dialog."""
        from pai_tui.ui.dialogs import PermissionDialog

        tool = question.tool
        if question.agent is not None:
            self.bell()  # an agent asks while the user may be looking elsewhere
        self.terminal_title.show(waiting_title(self.cockpit.approvals.waiting, question.agent,
                                               tool.qualified))
        try:
            answer = await self.push_screen_wait(PermissionDialog(
                tool.qualified, question.args, str(tool.path), question.stdin, question.agent))
        finally:
            if self.cockpit.approvals.waiting <= 1:  # this one is answered; no other waits
                self.terminal_title.restore()
        return "yes" if answer == "yes" else "always" if answer == "always" else "no"

    @work(group="quit", exclusive=True, exit_on_error=False)
    async def action_quit(self) -> None:
        """Leave pai; while an answer is written or agents run, ask once (what came of them
        is kept, marked cancelled)."""
        runs = len(self.cockpit.agents.active) if "agents" in vars(self.cockpit) else 0
        if (self.chat.busy or runs) and not isinstance(self.screen, ModalScreen):
            from pai_tui.ui.dialogs import ConfirmDialog

            going = " and ".join(filter(None, [
                "an answer is being written" if self.chat.busy else "",
                f"{runs} agent{'s are' if runs != 1 else ' is'} running" if runs else ""]))
            answer = await self.push_screen_wait(ConfirmDialog(
                "Quit", f"{going[0].upper()}{going[1:]}. Quit anyway? What came is kept, "
                "marked cancelled.", yes="Quit"))
            if answer != "yes":
                return
            self.chat.cancel()
            for worker in [w for w in self.workers if w.group == "chat"]:
                with suppress(WorkerCancelled, WorkerFailed):  # its answer is saved first
                    await worker.wait()
            await self._stop_agents()
        self.bridge.close()
        if "upgrades" in vars(self.cockpit):  # the lease, given up for another pai
            await self.cockpit.upgrades.stop_scheduler()
        await self.cockpit.aclose()
        self.exit()

    async def _stop_agents(self, wait: float = QUIT_WAIT_S) -> None:
        """Stop the runs going, and give them a moment to save what they wrote."""
        supervisor = self.cockpit.agents
        supervisor.stop_all()
        deadline = time.monotonic() + wait
        while supervisor.active and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await supervisor.settle(max(0.5, deadline - time.monotonic()))  # their worktrees

    # voice (pai_tui/voice/: imported once voice is turned on, never at start-up when off)

    def action_toggle_voice(self) -> None:
        voice = self.cockpit.voice if "voice" in vars(self.cockpit) else None
        if voice is None or not voice.running:  # (again, if it was unavailable: look again)
            self._start_voice(announce=True)
            return
        voice.set_muted(not voice.muted)
        self.main.query_one(StatusBar).show_voice()
        self.notify("Voice muted (alt+v turns it back on)." if voice.muted else "Voice on.",
                    timeout=3)

    # the upgrade feed

    async def action_fetch_upgrades(self) -> None:
        await self.run_action("fetch_now", self.pane("upgrades"))

    async def action_toggle_scheduler(self) -> None:
        """Turn the background polls on (for this pai, and in config.toml) or off."""
        from pai_tui.settings import write_settings

        config = self.cockpit.config
        on = not config.upgrade.schedule
        config.upgrade.schedule = on
        try:
            await asyncio.to_thread(write_settings, config.home.config, ("upgrade",),
                                    {"schedule": on})
        except Exception as error:  # the file cannot be written: on for this session only
            self.notify(f"Not saved in config.toml: {error}", severity="warning", markup=False)
        if on:
            self._start_scheduler()
            self.notify("Upgrade scheduler on: the sources are polled every "
                        f"{config.upgrade.every_minutes:g} minutes.", timeout=4)
        else:
            await self.cockpit.upgrades.stop_scheduler()
            self.notify("Upgrade scheduler off.", timeout=3)

    def _start_scheduler(self) -> None:
        status = self.main.query_one(StatusBar)

        def said(state: str) -> None:
            # Told from the scheduler's task, not a message handler: a reactive set there is
            # painted only at the next event, so it is set as a message of the status bar's own.
            status.call_later(setattr, status, "scheduler", state)

        self.cockpit.upgrades.start_scheduler(said)

    def action_hush(self) -> None:
        voice = self.cockpit.voice if "voice" in vars(self.cockpit) else None
        forgotten = voice.stop() if voice is not None else 0
        self.notify(f"Speech stopped ({forgotten} waiting forgotten)." if forgotten
                    else "Speech stopped.", timeout=3)

    @work(thread=True, group="voice", exclusive=True, exit_on_error=False)
    def _start_voice(self, announce: bool) -> None:
        """Start voice off the UI loop: it loads the agents, lists the engine's voices (a
        process) and starts the speech thread."""
        problem = self.cockpit.voice.start()
        self.call_from_thread(self._voice_started, problem, announce)

    def _voice_started(self, problem: str | None, announce: bool) -> None:
        voice = self.cockpit.voice
        self.main.query_one(StatusBar).follow_voice(voice)
        self.main.query_one(AgentsPane).follow_speech()
        if problem:
            self.notify(f"Voice unavailable: {problem}", severity="warning", timeout=15,
                        markup=False)
            return
        if voice.muted:  # turned on again after a mute
            voice.set_muted(False)
            self.main.query_one(StatusBar).show_voice()
        for warning in (voice.book.warnings if voice.book else [])[:3]:
            self.notify(f"Voice: {warning}", severity="warning", timeout=10, markup=False)
        if announce:
            self.notify("Voice on: agents speak (alt+v mutes, alt+h stops the clip).",
                        timeout=4)

    # actions on sessions and models (ui/session_actions.py)

    @property
    def chat(self) -> ChatPane:
        return self.main.query_one(ChatPane)

    def action_cancel_answer(self) -> None:
        self.sessions.cancel_answer()

    def action_retry_answer(self) -> None:
        self.action_focus_pane("chat")
        self.chat.retry()

    def action_preview_notes(self) -> None:
        self.memory.preview_notes()

    def action_propose_learnings(self) -> None:
        self.memory.propose_learnings()

    def action_keep_learning(self) -> None:
        self.memory.keep_as_learning()

    def action_rate_answer(self) -> None:
        self.memory.rate()

    def action_copy_answer(self) -> None:
        answer = self.chat.last_answer()
        if answer is None or not answer.body:
            self.notify("No answer to copy yet.", timeout=3)
            return
        self.copy_to_clipboard(answer.body)
        self.notify(f"Copied the answer ({len(answer.body):,} characters).", timeout=3)

    def action_take_back_queued(self) -> None:
        if not self.chat.take_back_queued():
            self.notify("No message is queued.", timeout=3)

    def action_switch_answer(self) -> None:
        self.action_focus_pane("chat")
        self.chat.switch_answer()

    def action_toggle_details(self) -> None:
        self.chat.toggle_class("-details")
        self._save_setting("details")

    def action_show_earlier(self) -> None:
        self.chat.show_earlier()

    def action_rename_session(self) -> None:
        self.sessions.rename_session()

    def action_delete_session(self) -> None:
        self.sessions.delete_session()

    def action_edit_system_prompt(self) -> None:
        self.sessions.edit_system_prompt()

    def action_switch_model(self) -> None:
        self.sessions.switch_model()

    def choose_model(self, choice: ModelChoice) -> None:
        self.sessions.choose_model(choice)

    def action_use_ollama(self) -> None:
        self.sessions.use_ollama()
