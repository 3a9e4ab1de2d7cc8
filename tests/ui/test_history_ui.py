"""Searching from the History pane as a user does: `/`, type, the results narrow as you type
(an unfinished word counts) with the matches marked, enter opens a message in its session
scrolled to and marked, an upgrade item opens in full, esc goes back to the sessions; text
from the history shown literally."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import OptionList, TextArea

from pai_tui.history.records import FeedItem
from pai_tui.ui.app import PaiApp
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.dialogs import InputDialog, TextDialog
from pai_tui.ui.messages import AnswerView, UserView
from pai_tui.ui.notes_preview import NotePicker
from pai_tui.ui.upgrades_pane import ItemScreen
from tests.fakes.llm_server import FakeLLMServer
from tests.pilot import eventually, press, running, settle, text_of

LONG = 60  # messages in the long session: the found one is far above the bottom


async def fill(app: PaiApp) -> int:
    """A long session whose early message is the one to find, another session, an item."""
    def work(store):  # type: ignore[no-untyped-def]
        long = store.create_session("long session")
        found = store.add_message(long.id, "user", "where did the [bold]quokka[/] \x1b[31mgo?")
        for n in range(LONG):
            store.add_message(long.id, "user" if n % 2 else "assistant", f"filler {n}")
        other = store.create_session("other")
        store.add_message(other.id, "user", "nothing to see")
        store.add_feed_items("news", [FeedItem("k", None, "Quokkas on camera", None,
                                               "A quokka smiles.", None)])
        return found.id

    return await app.cockpit.history.run(work)


def results(app: PaiApp) -> OptionList:
    return app.main.query_one("#history-results", OptionList)


def lines(app: PaiApp) -> list[str]:
    listing = results(app)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_search_as_you_type_opens_the_message_where_it_is() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        found_id = await fill(app)
        await press(pilot, "alt+3")
        await settle(pilot)
        await press(pilot, "slash", *"quok")  # the word is not finished
        pane = app.pane("history")
        assert await eventually(pilot, lambda: len(lines(app)) == 2)
        said = lines(app)
        assert any(line.startswith("chat") and "long session · you" in line
                   and "[bold]quokka[/] ␛[31mgo?" in line for line in said)
        assert any(line.startswith("upgrade") and "Quokkas on camera" in line for line in said)
        assert str(pane.border_subtitle) == "2 found"
        chat_hit = next(i for i, line in enumerate(said) if line.startswith("chat"))
        await press(pilot, "enter")  # from the box to the results
        assert app.focused is results(app)
        results(app).highlighted = chat_hit
        await press(pilot, "enter")
        chat = app.main.query_one(ChatPane)
        assert await eventually(pilot, lambda: any(
            v.has_class("-found") for v in app.main.query(UserView)))
        marked = next(v for v in app.main.query(UserView) if v.has_class("-found"))
        assert marked.message_id == found_id
        await settle(pilot)
        assert chat.messages.scroll_y < chat.messages.max_scroll_y  # not at the bottom
        assert marked.region.y >= chat.messages.region.y  # on screen
        assert marked.region.y < chat.messages.region.bottom


async def test_an_item_opens_in_full_and_esc_goes_back_to_the_sessions() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        await fill(app)
        await press(pilot, "alt+3")
        await settle(pilot)
        await press(pilot, "slash", *"camera")
        assert await eventually(pilot, lambda: len(lines(app)) == 1), lines(app)
        await press(pilot, "enter", "enter")
        assert await eventually(pilot, lambda: isinstance(app.screen, ItemScreen))
        assert "A quokka smiles." in text_of(app, app.screen)
        await press(pilot, "escape")
        assert await eventually(pilot, lambda: app.screen is app.main)
        assert app.focused is results(app)
        await press(pilot, "escape")  # from the results, as from the box
        listing = app.main.query_one("#history-list", OptionList)
        assert await eventually(pilot, lambda: listing.display and app.focused is listing)
        assert not results(app).display and listing.option_count == 2


async def test_searching_from_the_notes_view_shows_the_results_in_the_notes_place() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        await fill(app)
        await press(pilot, "alt+3")
        await settle(pilot)
        await press(pilot, "v")  # the notes
        notes = app.main.query_one("#history-notes", OptionList)
        assert await eventually(pilot, lambda: notes.display)
        await press(pilot, "slash", *"quok")
        assert await eventually(pilot, lambda: len(lines(app)) == 2)
        assert results(app).display and not notes.display
        await press(pilot, "escape")  # back to the notes, not the sessions
        assert await eventually(pilot, lambda: notes.display and not results(app).display)


async def test_nothing_found_is_said_and_raw_text_never_fails() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        await fill(app)
        await press(pilot, "alt+3")
        await settle(pilot)
        await press(pilot, "slash", *'"wombat AND (', )
        pane = app.pane("history")
        assert await eventually(pilot, lambda: str(pane.border_subtitle) == "nothing found")
        assert lines(app) == []


async def test_learn_and_decide_in_the_chat_keep_notes_without_asking_the_model() -> None:
    async with running(size=(160, 40)) as (app, pilot):
        await press(pilot, *"/lea", "tab")
        chat_input = app.main.query_one(ChatInput)
        assert chat_input.text == "/learn "
        await press(pilot, *"Retry 529s with backoff", "enter")
        await press(pilot, *"/decide Ship on Fridays", "enter")
        assert await eventually(pilot, lambda: sum(
            "Kept" in str(n.message) for n in app._notifications) == 2)
        notes = await app.cockpit.history.run(lambda store: store.notes())
        assert [(n.kind, n.title) for n in notes] == [("decision", "Ship on Fridays"),
                                                      ("learning", "Retry 529s with backoff")]
        assert list(app.main.query(AnswerView)) == []  # nothing was asked
        await press(pilot, *"/learn", "enter")  # what to keep?
        assert await eventually(pilot, lambda: chat_input.text == "/learn ")
        assert any("/learn what?" in str(n.message) for n in app._notifications)


async def answered(app: PaiApp, pilot: Pilot) -> AnswerView:
    """The answer to "hi", complete."""
    await press(pilot, *"hi", "enter")
    answer = app.chat.last_answer()
    assert await eventually(pilot, lambda: answer is not None and answer.status == "complete")
    return answer  # type: ignore[return-value]


async def test_a_low_rating_asks_what_went_wrong_and_keeps_it_as_a_learning(
        llm_server: FakeLLMServer) -> None:
    async with running(size=(160, 40), server=llm_server) as (app, pilot):
        answer = await answered(app, pilot)
        await press(pilot, "alt+y")
        assert await eventually(pilot, lambda: isinstance(app.screen, InputDialog))
        await press(pilot, *"3", "enter")
        assert await eventually(pilot, lambda: isinstance(app.screen, TextDialog))
        app.screen.query_one(TextArea).text = "Too chatty for a greeting\n\nKeep it short."
        await press(pilot, "ctrl+o")
        assert await eventually(pilot, lambda: app.screen is app.main)
        assert await eventually(pilot, lambda: "rated 3/10" in text_of(app, answer))
        notes = await app.cockpit.history.run(lambda store: store.notes())
        assert [(n.kind, n.title, n.draft.message_id) for n in notes] == [
            ("learning", "Too chatty for a greeting", answer.message_id)]
        stored = await app.cockpit.history.run(
            lambda store: store.get_message(answer.message_id))
        assert stored is not None and stored.rating == 3


async def test_an_answer_is_kept_as_a_learning_from_an_editable_draft(
        llm_server: FakeLLMServer) -> None:
    async with running(size=(160, 40), server=llm_server) as (app, pilot):
        await answered(app, pilot)
        await press(pilot, "alt+b")
        assert await eventually(pilot, lambda: isinstance(app.screen, TextDialog))
        area = app.screen.query_one(TextArea)
        assert area.text == "Hello from the fake model."  # the draft: the answer's start
        area.text = "Greet back in one line"
        await press(pilot, "ctrl+o")
        assert await eventually(pilot, lambda: app.screen is app.main)
        notes = await app.cockpit.history.run(lambda store: store.notes())
        assert [(n.kind, n.title) for n in notes] == [("learning", "Greet back in one line")]


async def test_a_note_left_out_before_sending_is_not_given_to_that_message_only(
        llm_server: FakeLLMServer) -> None:
    from pai_tui.history.records import NoteDraft

    async with running(size=(160, 40), server=llm_server) as (app, pilot):
        await app.cockpit.history.run(lambda store: [store.add_note(NoteDraft(
            "learning", "Greetings are short")), store.add_note(NoteDraft(
                "decision", "Greetings in English"))])
        await press(pilot, *"write greetings", "alt+p")
        assert await eventually(pilot, lambda: isinstance(app.screen, NotePicker))
        shown = app.screen.query_one("#notes-choice")
        first = shown.get_option_at_index(0).prompt  # type: ignore[attr-defined]
        await press(pilot, "space", "enter")  # the first one stays out
        assert await eventually(pilot, lambda: app.screen is app.main)
        await press(pilot, "enter")
        assert await eventually(pilot, lambda: len(llm_server.requests) == 1)
        system = str(llm_server.requests[0].body.get("system"))
        left_out = str(first).split(": ", 1)[1]
        assert left_out not in system and "Greetings" in system
        assert await eventually(pilot, lambda: not app.chat.busy)
        await press(pilot, *"more greetings", "enter")  # the next message: both again
        assert await eventually(pilot, lambda: len(llm_server.requests) == 2)
        assert str(llm_server.requests[1].body.get("system")).count("Greetings") == 2


async def test_learnings_proposed_from_a_session_are_kept_only_when_ticked(
        llm_server: FakeLLMServer) -> None:
    import json

    from tests.fakes.llm_server import Reply

    async with running(size=(160, 40), server=llm_server) as (app, pilot):
        await press(pilot, *"how do I retry 529s?", "enter")
        assert await eventually(pilot, lambda: not app.chat.busy)
        session = app.chat.session_id
        llm_server.queue(Reply(text="```json\n" + json.dumps([
            {"kind": "learning", "title": "Retry 529s with backoff", "body": "Three tries."},
            {"kind": "gossip", "title": "not a kind", "body": "dropped"},
            {"kind": "decision", "title": "Keep answers short", "body": ""}]) + "\n```"))
        await press(pilot, "alt+f")
        assert await eventually(pilot, lambda: isinstance(app.screen, NotePicker))
        picker = app.screen.query_one("#notes-choice")
        assert picker.option_count == 2 and picker.selected == []  # type: ignore[attr-defined]
        transcript = str(llm_server.requests[-1].messages[0]["content"])
        assert "User: how do I retry 529s?" in transcript
        await press(pilot, "space", "enter")  # the first one only
        assert await eventually(pilot, lambda: app.screen is app.main)
        assert await eventually(pilot, lambda: any(
            "Kept 1 of 2" in str(n.message) for n in app._notifications))
        notes = await app.cockpit.history.run(lambda store: store.notes())
        assert [(n.kind, n.title, n.draft.session_id) for n in notes] == [
            ("learning", "Retry 529s with backoff", session)]
