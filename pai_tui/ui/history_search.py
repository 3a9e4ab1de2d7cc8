"""Searching from the History pane: `/` opens a box that searches as you type (the last word
may be unfinished); the results list under it says what each is, where and when, with a
snippet whose matches are marked. Text from the history is shown literally."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import Input, OptionList

from pai_tui.history.records import SearchHit
from pai_tui.safe_text import printable
from pai_tui.ui.keymap import bindings_for

SEARCH_AFTER_S = 0.15  # typing pauses this long: search (one query per pause, not per key)
FOUND = 100  # results listed
KIND_NAMES = {"message": "chat", "agent": "agent", "item": "upgrade"}


class SearchClosed(Message):
    """The user closed the search (esc in the box or in the results)."""


class SearchBox(Input):
    """The History pane's search box; esc closes the search."""

    BINDINGS = bindings_for("history-search")

    def action_close(self) -> None:
        self.post_message(SearchClosed())


class SearchResults(OptionList):
    """What the search found; esc closes the search here too."""

    BINDINGS = bindings_for("history-search")

    def action_close(self) -> None:
        self.post_message(SearchClosed())


def result_line(hit: SearchHit, titles: dict[int, str], now: datetime) -> Text:
    """What a result is, where and when; under it, its snippet with the matches marked."""
    from pai_tui.ui.pane import ago

    where = ""
    if hit.session_id is not None:
        where = printable(titles.get(hit.session_id, f"session {hit.session_id}"))
    who = hit.agent or ("you" if hit.role == "user" else "answer" if hit.role else "")
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{KIND_NAMES.get(hit.kind, hit.kind):<8}", style="bold")
    line.append(" · ".join(filter(None, [where, printable(who)])))
    line.append(f"  {ago(hit.created_at, now)}", style="dim")
    line.append("\n")
    line.append_text(marked_snippet(hit))
    return line


def marked_snippet(hit: SearchHit) -> Text:
    """The snippet, literal, with each match in the accent style."""
    text = Text(no_wrap=True, overflow="ellipsis", style="dim")
    at = 0
    for start, end in hit.highlights:
        text.append(printable(hit.snippet[at:start]))
        text.append(printable(hit.snippet[start:end]), style="bold reverse")
        at = end
    text.append(printable(hit.snippet[at:]))
    return text
