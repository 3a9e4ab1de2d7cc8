"""The skills browser: every loaded skill, filtered as you type; its SKILL.md (literal) and tools;
run a tool with arguments and see its exit code, stdout and stderr."""

from __future__ import annotations

import asyncio
import shlex
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from pai_tui.safe_text import printable
from pai_tui.skills.model import Skill
from pai_tui.ui.dialogs import ToolRunDialog
from pai_tui.ui.errors import report_worker_failure
from pai_tui.ui.keymap import bindings_for

if TYPE_CHECKING:
    from pai_tui.cockpit import Cockpit


def matches(skill: Skill, words: list[str]) -> bool:
    text = f"{skill.name} {skill.description}".lower()
    return all(word in text for word in words)


def rank(skill: Skill, words: list[str]) -> tuple[int, str]:
    """Names first: one starting with what is typed, then one containing it, then the rest
    (matched in the description); each group in name order."""
    name = skill.key
    if words and name.startswith(words[0].replace(" ", "-")):
        return 0, name
    if words and all(word in name for word in words):
        return 1, name
    return 2, name


class SkillsScreen(Screen[None]):
    BINDINGS = bindings_for("skills")

    def __init__(self, cockpit: Cockpit):
        super().__init__(id="skills")
        self.cockpit = cockpit
        self.skills: list[Skill] = []
        self.shown: list[Skill] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="skills-body"):
            with Vertical(id="skills-left") as left:
                left.border_title = "Skills"
                yield Input(placeholder="Filter skills…", id="skills-filter")
                yield OptionList(id="skills-list")
            with VerticalScroll(id="skills-view") as view:
                view.border_title = "SKILL.md"
                view.border_subtitle = Text("r runs a tool · / filters · esc closes")
                yield Static(id="skills-info")
                yield Static(id="skills-output")
                yield Static(id="skills-text")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_failure(self.app, event)

    def on_mount(self) -> None:
        self.load()

    @work(group="skills-load", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        index = await self.cockpit.skills.index()
        self.skills = sorted(index, key=lambda s: s.key)
        problems = len(index.warnings) + len(index.rejected)
        left = self.query_one("#skills-left")
        left.border_subtitle = Text(f"{len(self.skills)} loaded"
                                    + (f" · {problems} warnings (pai skill list --warnings)"
                                       if problems else ""))
        self._fill(self.query_one("#skills-filter", Input).value)
        self.query_one("#skills-filter", Input).focus()  # typing filters at once

    def _fill(self, query: str) -> None:
        words = query.lower().removeprefix("/").split()  # "/" is how people say "filter"
        self.shown = sorted((skill for skill in self.skills if matches(skill, words)),
                            key=lambda skill: rank(skill, words))
        options = self.query_one(OptionList)
        options.clear_options()
        room = max(options.scrollable_content_region.width - 1, 20)
        options.add_options([Option(self._line(s, room)) for s in self.shown])
        if self.shown:
            options.highlighted = 0

    @staticmethod
    def _line(skill: Skill, room: int) -> Text:
        """One line per skill (the whole description is on the right)."""
        line = Text.assemble((printable(skill.name), "bold"), "  ",
                             (printable(" ".join(skill.description.split())), "dim"))
        line.truncate(room, overflow="ellipsis")
        return line

    def on_resize(self) -> None:
        if self.skills:
            highlighted = self.query_one(OptionList).highlighted
            self._fill(self.query_one("#skills-filter", Input).value)
            self.query_one(OptionList).highlighted = highlighted

    @on(Input.Changed, "#skills-filter")
    def _filter(self, message: Input.Changed) -> None:
        self._fill(message.value)

    @on(Input.Submitted, "#skills-filter")
    def _to_list(self) -> None:
        self.query_one(OptionList).focus()

    @property
    def current(self) -> Skill | None:
        index = self.query_one(OptionList).highlighted
        return self.shown[index] if index is not None and index < len(self.shown) else None

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self.query_one("#skills-output", Static).display = False
        self.show_skill()

    @work(group="skills-view", exclusive=True, exit_on_error=False)
    async def show_skill(self) -> None:
        skill = self.current
        if skill is None:
            return
        from pai_tui.skills.tools import tools_of

        text, tools = await asyncio.to_thread(
            lambda: (skill.path.read_text(encoding="utf-8", errors="replace"), tools_of(skill)))
        info = Text.assemble((printable(skill.name), "bold"), f"  ({skill.kind})\n",
                             (printable(str(skill.path)), "dim"))
        if skill.calls:
            info.append(f"\ncalls: {printable(', '.join(skill.calls))}")
        info.append("\ntools: " + (printable(", ".join(t.name for t in tools)) or "none"))
        for warning in skill.warnings:
            info.append(f"\n⚠ {printable(str(warning))}", style="yellow")
        self.query_one("#skills-info", Static).update(info)
        # The file's own line breaks (CRLF too), its other control characters made visible.
        lines = text.replace("\r\n", "\n").replace("\r", "\n")
        self.query_one("#skills-text", Static).update(Text(printable(lines)))

    def action_filter(self) -> None:
        self.query_one("#skills-filter", Input).focus()

    def action_close(self) -> None:
        self.dismiss()

    @work(group="skills-run", exclusive=True, exit_on_error=False)
    async def action_run_tool(self) -> None:
        """Pick a tool of the highlighted skill, give its arguments, see what it printed."""
        from pai_tui.skills.tools import tools_of

        skill = self.current
        if skill is None:
            return
        tools = [t for t in await asyncio.to_thread(tools_of, skill) if t.runnable]
        if not tools:
            self.notify(f"{skill.name} has no tools to run.", markup=False)
            return
        names = ", ".join(t.name for t in tools)
        first = tools[0].name if len(tools) == 1 else ""
        dialog = ToolRunDialog(f"Run a tool of {skill.name}", first,
                               f"Tool ({names}) and its arguments, as on a command line:")
        line = await self.app.push_screen_wait(dialog)
        if not line or not line.strip():
            return
        try:
            name, *args = shlex.split(line)
        except ValueError as error:
            self.notify(f"Cannot read that command line: {error}", severity="error",
                        markup=False)
            return
        tool = next((t for t in tools if name in (t.name, t.path.name)), None)
        if tool is None:
            self.notify(f"{skill.name} has no tool {name!r} (it has: {names}).",
                        severity="error", markup=False)
            return
        rule = self.cockpit.skills.permissions.rule(tool)
        if rule.action == "deny":  # you asked for it by name: only "deny" stops it
            self.notify(f"{tool.qualified} is denied by {rule.source}.", severity="error",
                        markup=False)
            return
        output = self.query_one("#skills-output", Static)
        output.display = True
        output.update(Text(f"running {tool.name}…", style="italic"))
        stdin = dialog.stdin.encode() if dialog.stdin is not None else None
        run = await self.cockpit.skills.run_tool(tool, args, stdin)
        shown = Text.assemble((f"$ {tool.name} {printable(shlex.join(args))}  "
                               f"({run.status()})\n", "bold"), printable(run.stdout))
        if run.stderr:
            shown.append(printable(run.stderr), style="red")
        output.update(shown)
