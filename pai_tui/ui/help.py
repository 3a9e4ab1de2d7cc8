"""The help screen: every binding with its keys (after the user's keymap), id and purpose."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pai_tui.actions import ACTIONS
from pai_tui.ui.keymap import bindings_for, effective_keys, keys_display

SCOPE_NAMES = {"app": "Anywhere", "screen": "Anywhere", "chat-input": "In the chat input",
               "history": "In the History list", "history-search": "In History's search",
               "agents": "In the Agents list",
               "upgrades": "In the Upgrades list", "upgrade-item": "On an upgrade item",
               "upgrade-proposal": "On a proposal",
               "notes-used": "On the notes given to an answer",
               "note-picker": "Choosing notes",
               "help": "On this screen",
               "skills": "In the Skills browser", "timeline": "In a timeline",
               "summary": "In the usage summary"}


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings_for("help")

    def __init__(self, keymap: dict[str, str]):
        super().__init__(id="help")
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Help: keys and actions"
            body.border_subtitle = Text('esc closes · rebind in config.toml: [keymap] id = "keys"')
            yield Static(self._table(), id="help-table")

    def _table(self) -> Table:
        table = Table(expand=True, box=None, pad_edge=False, show_edge=False)
        table.add_column("Keys", style="bold", no_wrap=True)
        table.add_column("Action")
        table.add_column("Binding id", style="dim", no_wrap=True)
        scope = None
        for spec in ACTIONS:
            name = SCOPE_NAMES[spec.scope]
            if name != scope:
                scope = name
                table.add_row(Text(name, style="italic underline"), "", "")
            keys = keys_display(effective_keys(spec, self.keymap)) or "(palette)"
            table.add_row(Text(keys), Text(spec.help or spec.title), Text(spec.id))
        return table
