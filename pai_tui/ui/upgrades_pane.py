"""The Upgrades pane: the proposals (state and title) above what the upgrade feed found, best
first against the user's TELOS (unread marked; source, age, score and why on one line),
sources in trouble said in the title, progress while fetching, drafting or applying. Enter
opens an item or a proposal; keys mark an item read, delete it (it never comes back), fetch
now, draft a proposal from it, and accept, reject, apply or revert a proposal. Everything from
a feed or a model is shown literally."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pai_tui import events
from pai_tui.cockpit import Cockpit
from pai_tui.history.records import FeedItemRecord, FeedSourceState, ProposalRecord
from pai_tui.safe_text import printable
from pai_tui.ui.bus import Bridge, Listening
from pai_tui.ui.keymap import bindings_for
from pai_tui.ui.pane import EmptyState, Pane, ago

SHOWN = 200  # items listed (the best)
PROGRESS_EVERY_S = 0.25  # a poll's progress is drawn at most this often
CLOSED_SHOWN = 5  # proposals listed that are done with (the latest), besides the open ones
OPEN = ("proposed", "accepted", "applied")  # the user has something to do, or pai is doing it
STATE_STYLES = {"proposed": "bold", "accepted": "bold green", "applied": "yellow",
                "verified": "green", "failed": "red", "rejected": "dim", "expired": "dim",
                "reverted": "dim"}
EMPTY = ("No upgrade items yet.\nf fetches the sources now (pai upgrade sources list shows "
         "them); [upgrade] schedule = true in config.toml polls in the background. Items are "
         "ranked against your goals in $PAI_HOME/telos/.")


class UpgradesPane(Listening, Pane):
    TITLE = "Upgrades"
    BINDINGS = bindings_for("upgrades")

    def __init__(self, cockpit: Cockpit, bridge: Bridge, **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cockpit, self.bridge = cockpit, bridge
        self.items: list[FeedItemRecord] = []
        self.proposals: list[ProposalRecord] = []
        self.trouble: list[FeedSourceState] = []
        self.progress = ""  # "fetching 3/13" while a poll goes

    def compose(self) -> ComposeResult:
        yield OptionList(id="upgrades-list")
        yield EmptyState(Text(EMPTY, style="dim"), id="upgrades-state")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#upgrades-list").display = False
        self._stop_listening = self.bridge.listen(self, events.StoreReady,
                                                  events.UpgradeItemsFound)
        self.cockpit.upgrades.on_polled = self.reload

    def on_unmount(self) -> None:
        self._stop_listening()
        self.cockpit.upgrades.on_polled = None

    def on_store_ready(self, event: events.StoreReady) -> None:
        self.reload()

    def on_upgrade_items_found(self, event: events.UpgradeItemsFound) -> None:
        best, more = event.items[0], len(event.items) - 1
        self.notify(f"New upgrade: {printable(best.title)[:100]} ({printable(best.why)})"
                    + (f" and {more} more" if more else ""), title="Upgrades", timeout=8,
                    markup=False)

    @work(group="upgrades-load", exclusive=True, exit_on_error=False)
    async def reload(self) -> None:
        feed = self.cockpit.upgrades
        self.items = await feed.items(limit=SHOWN)
        every = await feed.proposals()
        done = [p for p in every if p.state not in OPEN][:CLOSED_SHOWN]
        self.proposals = [p for p in every if p.state in OPEN] + done
        self.trouble = [s for s in (await feed.states()).values() if s.paused or s.errors]
        self._show()

    def _show(self) -> None:
        listing = self.query_one("#upgrades-list", OptionList)
        state = self.query_one("#upgrades-state", EmptyState)
        self._show_counts()
        if not self.items and not self.proposals:
            return
        keep = listing.highlighted_option.id if listing.highlighted_option else None
        now = datetime.now(UTC).replace(tzinfo=None)
        options = [Option(proposal_line(p, now), id=f"p{p.id}") for p in self.proposals]
        options += [Option(line(record, now), id=str(record.id)) for record in self.items]
        listing.set_options(options)
        ids = [option.id for option in options]
        first_item = len(self.proposals) if self.items else 0
        listing.highlighted = ids.index(keep) if keep in ids else first_item
        focus = state.has_focus
        state.display, listing.display = False, True
        if focus:
            listing.focus()

    def _show_counts(self) -> None:
        """Progress, unread and failing in the border: all a poll's progress changes (the
        list is built again only when the items change)."""
        unread = sum(not r.read for r in self.items)
        failing = len(self.trouble)
        self.border_subtitle = " · ".join(filter(None, [
            self.progress, f"{unread} unread" if unread else "",
            f"{failing} source{'s' if failing != 1 else ''} failing" if failing else ""]))

    def _highlighted(self) -> FeedItemRecord | None:
        option = self.query_one("#upgrades-list", OptionList).highlighted_option
        item_id = option.id if option is not None else None
        return next((r for r in self.items if str(r.id) == item_id), None)

    def _highlighted_proposal(self) -> ProposalRecord | None:
        option = self.query_one("#upgrades-list", OptionList).highlighted_option
        wanted = option.id if option is not None else None
        return next((p for p in self.proposals if f"p{p.id}" == wanted), None)

    @on(OptionList.OptionSelected, "#upgrades-list")
    def _selected(self, message: OptionList.OptionSelected) -> None:
        proposal = next((p for p in self.proposals if f"p{p.id}" == message.option.id), None)
        if proposal is not None:
            self.app.push_screen(ProposalScreen(proposal))
            return
        record = next((r for r in self.items if str(r.id) == message.option.id), None)
        if record is not None:
            self.app.push_screen(ItemScreen(record))
            if not record.read:
                self._mark(record, True)

    def action_toggle_read(self) -> None:
        record = self._highlighted()
        if record is None:
            self.notify("No item under the cursor.", severity="warning")
            return
        self._mark(record, not record.read)

    @work(group="upgrades-change", exit_on_error=False)
    async def _mark(self, record: FeedItemRecord, read: bool) -> None:
        await self.cockpit.upgrades.mark(record.id, read)
        self.reload()

    def action_delete_item(self) -> None:
        record = self._highlighted()
        if record is None:
            self.notify("No item under the cursor.", severity="warning")
            return
        self._delete(record)

    @work(group="upgrades-change", exit_on_error=False)
    async def _delete(self, record: FeedItemRecord) -> None:
        if await self.cockpit.upgrades.delete(record.id):
            self.notify(f"Deleted: {printable(record.item.title)[:80]} (it will not come back)",
                        timeout=4, markup=False)
        self.reload()

    @work(group="upgrades-fetch", exclusive=True, exit_on_error=False)
    async def action_fetch_now(self) -> None:
        from pai_tui.config import ConfigError

        self.progress = "fetching…"
        self._show_counts()  # the list is as it was: drawing it again held keys ~0.1-0.2 s

        drawn = [0.0]

        def told(done: int, total: int, _: object) -> None:
            self.progress = f"fetching {done}/{total}"
            if done == total or time.monotonic() - drawn[0] >= PROGRESS_EVERY_S:
                drawn[0] = time.monotonic()  # a redraw per source kept keys waiting
                self._show_counts()

        try:
            polled = await self.cockpit.upgrades.fetch(told)
        except ConfigError as error:
            self.notify(str(error), severity="error", markup=False, timeout=10)
            return
        finally:
            self.progress = ""
        new = sum(p.new for p in polled)
        failed = [p for p in polled if p.outcome in ("failed", "paused")]
        self.notify(f"{len(polled)} sources: {new} new item{'s' if new != 1 else ''}"
                    + (f", {len(failed)} failing ({failed[0].source}: {failed[0].error})"
                       if failed else ""), markup=False,
                    severity="warning" if failed else "information", timeout=6)
        self.reload()


    # proposals

    def action_propose(self) -> None:
        record = self._highlighted()
        if record is None:
            self.notify("Put the cursor on an item to draft a proposal from it.",
                        severity="warning")
            return
        self._propose(record)

    @work(group="upgrades-propose", exclusive=True, exit_on_error=False)
    async def _propose(self, record: FeedItemRecord) -> None:
        from pai_tui.upgrade.proposals import ProposalError

        self._busy(f"drafting a proposal from item {record.id}…")
        try:
            proposal = await self.cockpit.upgrades.propose(record.id, self.cockpit.turns)
        except ProposalError as error:
            self.notify(str(error), severity="error", markup=False, timeout=12)
            return
        finally:
            self._busy("")
        self.notify(f"Proposal {proposal.id}: {printable(proposal.title)[:80]} (a accepts, "
                    "r rejects, enter shows the diff)", markup=False, timeout=8)
        self.reload()

    def action_accept(self) -> None:
        self._move("accept", "accepting")

    def action_reject(self) -> None:
        self._move("reject", "rejecting")

    def action_apply(self) -> None:
        self._move("apply", "applying")

    def action_revert(self) -> None:
        self._move("revert", "reverting")

    def _move(self, verb: str, doing: str) -> None:
        proposal = self._highlighted_proposal()
        if proposal is None:
            self.notify(f"Put the cursor on a proposal to {verb} it.", severity="warning")
            return
        self._moving(proposal, verb, doing)

    @work(group="upgrades-change", exit_on_error=False)
    async def _moving(self, proposal: ProposalRecord, verb: str, doing: str) -> None:
        from pai_tui.upgrade.proposals import ProposalError

        self._busy(f"{doing} proposal {proposal.id}…")
        try:
            done = await getattr(self.cockpit.upgrades, verb)(proposal.id)
        except ProposalError as error:
            self.notify(str(error), severity="error", markup=False, timeout=12)
            return
        finally:
            self._busy("")
        failed = done.state == "failed"
        self.notify(f"Proposal {done.id}: {done.state}"
                    + (f": {printable(done.failure or '')}" if failed else ""),
                    severity="error" if failed else "information", markup=False,
                    timeout=12 if failed else 5)
        self.reload()

    def _busy(self, said: str) -> None:
        self.progress = said
        self._show()


def proposal_line(proposal: ProposalRecord, now: datetime) -> Text:
    """A proposal: its number, state, age and title; a failed one says why under it."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"⚑ {proposal.id:>3} ", style="bold")
    text.append(f"{proposal.state:<9}", style=STATE_STYLES.get(proposal.state, ""))
    text.append(f"{ago(proposal.updated_at, now):>10}  ", style="dim")
    text.append(printable(proposal.title) or "(untitled)")
    if proposal.state == "failed" and proposal.failure:
        text.append(f"\n             why: {printable(proposal.failure)}", style="dim")
    return text


def line(record: FeedItemRecord, now: datetime) -> Text:
    """One item: unread mark, score, age, source and title; under it, why (goal ids and the
    words that matched)."""
    item = record.item
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("• " if not record.read else "  ", style="bold")
    text.append(f"{record.score:5.2f} ", style="dim")
    text.append(f"{ago(item.published or record.found_at, now):>10}  ", style="dim")
    text.append(f"{printable(record.source)}: ", style="italic")
    text.append(printable(item.title) or "(untitled)", style="bold" if not record.read else "")
    if record.why:  # on a line of its own: a narrow pane keeps both in view
        text.append(f"\n             why: {printable(record.why)}", style="dim")
    return text


class ItemScreen(Screen[None]):
    """One item in full: title, source, date, score and why, the link printed whole, and its
    text, all literal."""

    BINDINGS = bindings_for("upgrade-item")

    def __init__(self, record: FeedItemRecord):
        super().__init__(id="upgrade-item")
        self.record = record

    def compose(self) -> ComposeResult:
        record, item = self.record, self.record.item
        when = item.published.strftime("%Y-%m-%d %H:%M UTC") if item.published else "no date"
        head = Text(printable(item.title) or "(untitled)", style="bold")
        head.append(f"\n{printable(record.source)} · {when} · score {record.score:.3f}",
                    style="dim")
        if record.why:
            head.append(f"\nwhy: {printable(record.why)}")
        if item.url:
            head.append(f"\n{printable(item.url)}", style="underline")
        with VerticalScroll():
            yield Static(head, id="item-head")
            yield Static(Text(printable(item.summary) or "(no text)"), id="item-text")
            yield Static(Text("esc or q closes; in the list, p drafts a proposal from it",
                              style="dim"), id="item-hint")

    def action_close(self) -> None:
        self.dismiss()


class ProposalScreen(Screen[None]):
    """One proposal in full: title, state, what drafted it and what that cost, the rationale,
    its check, the diff and each change of state, all literal."""

    BINDINGS = bindings_for("upgrade-proposal")

    def __init__(self, proposal: ProposalRecord):
        super().__init__(id="upgrade-proposal")
        self.proposal = proposal

    def compose(self) -> ComposeResult:
        proposal, draft = self.proposal, self.proposal.draft
        cost = "cost unknown" if draft.cost is None else f"cost ${draft.cost:.4f}"
        head = Text(f"Proposal {proposal.id}: ", style="bold")
        head.append(printable(draft.title) or "(untitled)", style="bold")
        head.append(f"\n{proposal.state} · drafted by {printable(draft.drafted_by)} · {cost}",
                    style=STATE_STYLES.get(proposal.state, "dim"))
        if proposal.failure:
            head.append(f"\nwhy it failed: {printable(proposal.failure)}", style="red")
        head.append(f"\n\n{printable(draft.rationale)}")
        if draft.check:
            head.append(f"\ncheck: {printable(' '.join(draft.check))}", style="dim")
        history = Text("\n".join(
            f"{e.at:%Y-%m-%d %H:%M} UTC  {e.from_state or '—'} → {e.to_state}: "
            f"{printable(e.cause)}" for e in proposal.events), style="dim")
        with VerticalScroll():
            yield Static(head, id="proposal-head")
            yield Static(diff_text(draft.diff), id="proposal-diff")
            yield Static(history, id="proposal-history")
            yield Static(Text("esc or q closes; in the list: a accepts, r rejects, g applies, "
                              "u reverts", style="dim"), id="proposal-hint")

    def action_close(self) -> None:
        self.dismiss()


def diff_text(diff: str) -> Text:
    """The diff, literal, its added and removed lines coloured."""
    text = Text()
    for row in printable(diff).splitlines():
        style = "green" if row.startswith("+") and not row.startswith("+++") else \
            "red" if row.startswith("-") and not row.startswith("---") else \
            "bold" if row.startswith(("diff ", "+++", "---", "@@")) else ""
        text.append(row + "\n", style=style)
    return text
