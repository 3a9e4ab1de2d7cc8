"""The History pane, and OpenSession (what opens a session in the Chat pane)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.history.records import NoteRecord, SearchHit, SessionRecord
from pai_tui.safe_text import printable
from pai_tui.ui.bus import Bridge, Listening
from pai_tui.ui.keymap import bindings_for
from pai_tui.ui.pane import EmptyState, Pane, ago
from pai_tui.ui.soon import Soon

TIMES_EVERY_S = 30.0
RELOAD_AFTER_S = 0.1
PAGE = 100  # sessions listed at a time: a screenful many times over, quick to list
NEAR_END = 20  # rows from the last one listed: the next page is listed
MORE = "… older sessions are listed as you scroll down (/ searches them all)"


def note_line(note: NoteRecord, now: datetime) -> Text:
    """A note: its kind, title and age; under it, its TELOS ids and tags."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{note.kind:<10} ", style="bold")
    line.append(printable(note.title))
    line.append(f"  {ago(note.created_at, now)}", style="dim")
    extra = " ".join([*note.draft.telos, *(f"#{t}" for t in note.draft.tags)])
    if extra:
        line.append(f"\n           {printable(extra)}", style="dim")
    return line


class OpenSession(Message):
    """Show this session in the Chat pane (from History, or an agent's run from Agents); `at`:
    the message to scroll to and mark (a search found it)."""

    def __init__(self, session_id: int, title: str, at: int | None = None):
        super().__init__()
        self.session_id, self.title, self.at = session_id, title, at


def _rows(options: Sequence[Option]) -> list[tuple[str | None, str]]:
    """What a list of options shows: each one's id and text."""
    return [(option.id, str(option.prompt)) for option in options]


class HistoryPane(Listening, Pane):
    TITLE = "History"
    BINDINGS = bindings_for("history")
    OpenSession = OpenSession

    def __init__(self, cockpit: Cockpit, bridge: Bridge, **kwargs: object):
        from pai_tui.ui.history_search import SEARCH_AFTER_S

        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit = cockpit
        self.bridge = bridge
        self.sessions: list[SessionRecord] = []  # those listed, newest first
        self._more = False  # whether older sessions exist than those listed
        self._titles: dict[int, str] = {}  # of the search results' sessions
        self._synced_checked = False
        self.hits: list[SearchHit] = []
        self.view = "sessions"  # or "notes", "forgotten" (v switches)
        self.notes: list[NoteRecord] = []
        self._reloads = Soon(self, RELOAD_AFTER_S, self.reload)
        self._searches = Soon(self, SEARCH_AFTER_S, self.run_search)

    def compose(self):  # type: ignore[override]
        from pai_tui.ui.history_search import SearchBox, SearchResults

        yield SearchBox(placeholder="Search the history… (esc closes)", id="history-search")
        yield OptionList(id="history-list")
        yield OptionList(id="history-notes")
        yield SearchResults(id="history-results")
        yield EmptyState("Opening history…", id="history-state")

    def on_mount(self) -> None:
        super().on_mount()
        for hidden in ("#history-list", "#history-search", "#history-results",
                       "#history-notes"):
            self.query_one(hidden).display = False
        self._stop_listening = self.bridge.listen(self, events.StoreReady, events.StoreFailed,
                                                  events.SessionCreated, events.SessionUpdated)
        self.set_interval(TIMES_EVERY_S, self.refresh_times)  # "just now" becomes "5 min ago"
        listing = self.query_one("#history-list", OptionList)
        self.watch(listing, "scroll_y", self._near_the_end, init=False)

    def on_unmount(self) -> None:
        self._stop_listening()

    def on_store_failed(self, event: events.StoreFailed) -> None:
        self._show_state(f"History unavailable:\n{printable(event.message)}")

    def on_store_ready(self, event: events.StoreReady) -> None:
        self.reload()
        if not self._synced_checked:
            self._synced_checked = True
            self._warn_if_synced()

    @work(thread=True, group="history-synced", exit_on_error=False)
    def _warn_if_synced(self) -> None:
        """Once a start: an SQLite file in a synced folder or on a network filesystem gets
        corrupted; the user is told where it is and that PostgreSQL is how to share."""
        from pai_tui.history.synced import database_synced

        found = database_synced(self.cockpit.history.database_url)
        if found is not None:
            self.app.call_from_thread(self.app.notify, found.warning(), severity="warning",
                                      timeout=30, markup=False)

    def on_session_created(self, event: events.SessionCreated) -> None:
        self._reload_soon()

    def on_session_updated(self, event: events.SessionUpdated) -> None:
        self._reload_soon()

    def _reload_soon(self) -> None:
        """One reload for the sessions that change together (agents ending at once), a moment
        after the first: a reload is a trip to the database and a new list."""
        self._reloads.ask()

    def _show_state(self, text: str) -> None:
        state = self.query_one("#history-state", EmptyState)
        state.update(Text(text))
        listing = self.query_one("#history-list", OptionList)
        had_focus = listing.has_focus
        listing.display = False
        state.display = True
        if had_focus:
            state.focus()

    @work(group="history", exclusive=True, exit_on_error=False)
    async def reload(self) -> None:
        # The newest sessions, as many as are listed already (a page at first): the list
        # never loads the whole history; older ones come as the user scrolls to them.
        wanted = max(PAGE, len(self.sessions))
        found = await self.cockpit.history.run(lambda store: store.list_sessions(wanted + 1))
        self.sessions, self._more = found[:wanted], len(found) > wanted
        listing = self.query_one("#history-list", OptionList)
        state = self.query_one("#history-state", EmptyState)
        if self.searching and self.query_one("#history-results").display:
            return  # the results stay in view; the sessions are kept for their titles
        if self.view != "sessions":
            await self._show_notes()
            return
        if not self.sessions:
            self._show_state("No sessions yet.\nYour chats are listed here, newest first.")
            return
        # Keep the user's place while they browse; otherwise point at the newest session.
        keep = listing.highlighted_option.id if listing.has_focus and \
            listing.highlighted_option else None
        options = self._options(self.sessions)
        if not listing.display or _rows(options) != _rows(listing.options):
            # (Setting 100 rows lays them all out again: tens of ms on the event loop, after
            # every turn, for a list that mostly reads the same: "now", on top.)
            listing.set_options(options)
            ids = [str(s.id) for s in self.sessions]
            listing.highlighted = ids.index(keep) if keep in ids else 0
        focus = state.has_focus
        state.display = False
        listing.display = True
        if focus:
            listing.focus()

    def _options(self, sessions: list[SessionRecord]) -> list[Option]:
        """The sessions' rows, and under them, while there are older ones, a row saying so."""
        rows = [self._option(record) for record in sessions]
        if self._more:
            rows.append(Option(Text(MORE, style="dim", no_wrap=True, overflow="ellipsis"),
                               disabled=True))
        return rows

    def _near_the_end(self, *_: object) -> None:
        """The user scrolled or moved close to the last session listed: list older ones."""
        listing = self.query_one("#history-list", OptionList)
        if not self._more or self.view != "sessions" or not listing.display:
            return
        cursor = listing.highlighted if listing.highlighted is not None else 0
        scrolled = listing.max_scroll_y > 0 and \
            listing.scroll_y >= listing.max_scroll_y - NEAR_END  # by the wheel, say
        if scrolled or cursor >= len(self.sessions) - NEAR_END:
            self._older()

    @work(group="history-older", exclusive=True, exit_on_error=False)
    async def _older(self) -> None:
        if not self._more or not self.sessions:
            return
        last = self.sessions[-1]
        found = await self.cockpit.history.run(
            lambda store: store.list_sessions(PAGE + 1, before=(last.updated_at, last.id)))
        if self.sessions[-1] is not last:  # reloaded meanwhile: that list is newer
            return
        listing = self.query_one("#history-list", OptionList)
        if listing.option_count > len(self.sessions):  # the row saying there are more
            listing.remove_option_at_index(listing.option_count - 1)
        listed = {s.id for s in self.sessions}
        older = [s for s in found[:PAGE] if s.id not in listed]  # one moved up meanwhile
        self.sessions += older
        self._more = len(found) > PAGE
        listing.add_options(self._options(older))

    @staticmethod
    def _prompt(record: SessionRecord, now: datetime | None = None) -> Text:
        prompt = Text(printable(record.title), no_wrap=True, overflow="ellipsis")
        prompt.append(f"  {ago(record.updated_at, now)}", style="dim")
        if record.source:  # imported (pai history import): from where
            prompt.append(f"  ⇣{printable(record.source)}", style="dim")
        return prompt

    def _option(self, record: SessionRecord) -> Option:
        return Option(self._prompt(record), id=str(record.id))

    def refresh_times(self, now: datetime | None = None) -> None:
        """Say again how long ago each session was active (no trip to the database)."""
        listing = self.query_one("#history-list", OptionList)
        if listing.option_count != len(self.sessions) + self._more:
            return
        for index, record in enumerate(self.sessions):
            listing.replace_option_prompt_at_index(index, self._prompt(record, now))

    @on(OptionList.OptionHighlighted, "#history-list")
    def _moved(self) -> None:
        self._near_the_end()

    @on(OptionList.OptionSelected, "#history-list")
    def _selected(self, message: OptionList.OptionSelected) -> None:
        session_id = int(message.option.id or 0)
        title = next((s.title for s in self.sessions if s.id == session_id), "")
        self.post_message(self.OpenSession(session_id, title))

    def focus_target(self) -> Widget:
        """The results while searching, else the sessions (or what the pane says instead)."""
        for name in ("#history-results", "#history-notes", "#history-list",
                     "#history-search"):
            widget = self.query_one(name)
            if widget.display:
                return widget
        return self.query_one("#history-state")

    # notes

    VIEWS = ("sessions", "notes", "forgotten")

    def action_switch_view(self) -> None:
        """Sessions, then the notes, then the forgotten notes, and round again."""
        self.view = self.VIEWS[(self.VIEWS.index(self.view) + 1) % len(self.VIEWS)]
        self.query_one("#history-notes").display = self.view != "sessions"
        self.query_one("#history-list").display = self.view == "sessions"
        self.border_subtitle = "" if self.view == "sessions" else self.view
        self.reload()
        self.call_after_refresh(lambda: self.focus_target().focus())

    async def _show_notes(self) -> None:
        status = "active" if self.view == "notes" else "forgotten"
        self.notes = await self.cockpit.history.run(
            lambda store: store.notes(statuses=(status,)))
        listing = self.query_one("#history-notes", OptionList)
        keep = listing.highlighted_option.id if listing.highlighted_option else None
        now = datetime.now(UTC).replace(tzinfo=None)
        listing.set_options(Option(note_line(note, now), id=str(note.id))
                            for note in self.notes)
        ids = [str(n.id) for n in self.notes]
        listing.highlighted = ids.index(keep) if keep in ids else (0 if ids else None)
        if not self.notes:
            said = ("No notes yet.\n/learn TEXT or /decide TEXT in the chat keeps one; so does "
                    "pai notes add." if self.view == "notes" else "No forgotten notes.")
            listing.set_options([Option(Text(said, style="dim"), disabled=True)])
        self.query_one("#history-state").display = False
        self.query_one("#history-list").display = False
        listing.display = True
        self.border_subtitle = f"{self.view} · {len(self.notes)}"

    def _note_under_cursor(self) -> NoteRecord | None:
        option = self.query_one("#history-notes", OptionList).highlighted_option
        wanted = option.id if option is not None else None
        return next((n for n in self.notes if str(n.id) == wanted), None)

    @on(OptionList.OptionSelected, "#history-notes")
    def _open_note(self) -> None:
        from pai_tui.ui.notes_screen import NotesUsedScreen

        note = self._note_under_cursor()
        if note is not None:
            self.app.push_screen(NotesUsedScreen(None, [note]))

    def action_forget_note(self) -> None:
        self._change_note("forget_note", "notes", "forgotten (u restores it in the "
                                                   "forgotten view)")

    def action_restore_note(self) -> None:
        self._change_note("restore_note", "forgotten", "restored")

    def _change_note(self, change: str, view: str, said: str) -> None:
        note = self._note_under_cursor() if self.view == view else None
        if note is None:
            self.notify(f"Put the cursor on a note in the {view} view (v switches).",
                        severity="warning", timeout=4)
            return
        self._changing_note(note, change, said)

    @work(group="history-note", exit_on_error=False)
    async def _changing_note(self, note: NoteRecord, change: str, said: str) -> None:
        await self.cockpit.history.run(lambda store: getattr(store, change)(note.id))
        self.notify(f"Note {note.id} {said}: {printable(note.title)[:60]}", markup=False,
                    timeout=4)
        self.reload()

    # search

    @property
    def searching(self) -> bool:
        return bool(self.query_one("#history-search").display)

    def action_search(self) -> None:
        """Open the search box (or go back to it) and put the focus there."""
        box = self.query_one("#history-search", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#history-search")
    def _typed(self) -> None:
        self._searches.ask()

    @on(Input.Submitted, "#history-search")
    def _to_results(self) -> None:
        results = self.query_one("#history-results", OptionList)
        if results.display and results.option_count:
            results.focus()

    def on_search_closed(self) -> None:
        box = self.query_one("#history-search", Input)
        box.value, box.display = "", False
        self.hits = []
        self.query_one("#history-results").display = False
        self.border_subtitle = ""
        self.reload()  # the sessions again
        self.focus_target().focus()

    @work(group="history-search", exclusive=True, exit_on_error=False)
    async def run_search(self) -> None:
        from pai_tui.ui.history_search import FOUND, result_line

        query = self.query_one("#history-search", Input).value
        results = self.query_one("#history-results", OptionList)
        self.hits = await self.cockpit.history.search(query, limit=FOUND, prefix=True) \
            if query.strip() else []
        if not query.strip():
            results.display, self.border_subtitle = False, ""
            self.reload()
            return
        titles = {s.id: s.title for s in self.sessions}
        unlisted = sorted({h.session_id for h in self.hits if h.session_id is not None}
                          - titles.keys())  # older than those listed, or new
        if unlisted:
            titles.update(await self.cockpit.history.run(
                lambda store: store.session_titles(unlisted)))
        self._titles = titles
        now = datetime.now(UTC).replace(tzinfo=None)
        results.set_options(Option(result_line(hit, titles, now), id=f"{hit.kind}:{hit.id}")
                            for hit in self.hits)
        results.highlighted = 0 if self.hits else None  # enter opens the best at once
        self.border_subtitle = f"{len(self.hits)} found" if self.hits else "nothing found"
        for shown in ("#history-list", "#history-notes", "#history-state"):
            self.query_one(shown).display = False  # (the results in their place)
        results.display = True

    @on(OptionList.OptionSelected, "#history-results")
    def _open_hit(self, message: OptionList.OptionSelected) -> None:
        hit = next((h for h in self.hits if f"{h.kind}:{h.id}" == message.option.id), None)
        if hit is None:
            return
        if hit.kind == "item":
            self._open_item(hit.id)
        elif hit.session_id is not None:
            self.post_message(self.OpenSession(hit.session_id,
                                               self._titles.get(hit.session_id, ""), at=hit.id))

    @work(group="history-open", exit_on_error=False)
    async def _open_item(self, item_id: int) -> None:
        from pai_tui.ui.upgrades_pane import ItemScreen

        record = await self.cockpit.history.run(lambda store: store.feed_item(item_id))
        if record is None:
            self.notify("That item was deleted.", severity="warning")
            return
        self.app.push_screen(ItemScreen(record))
