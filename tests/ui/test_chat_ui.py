"""Chat in the cockpit with real SDKs against the loopback server: streaming, following the
bottom, literal output, failure markers, costs, badges, details, long sessions, model switch,
session dialogs, and the Ollama offer."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from textual.command import CommandPalette

from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.messages import AnswerView, EarlierMarker, NoteView, UserView
from pai_tui.ui.status import StatusBar
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import (
    MESSAGE_VIEWS,
    eventually,
    frame_of,
    press,
    running,
    settle,
    shown,
    text_of,
)


def answers(app) -> list[AnswerView]:  # type: ignore[no-untyped-def]
    return list(app.main.query(AnswerView))


def status_text(app) -> str:  # type: ignore[no-untyped-def]
    return text_of(app, app.main.query_one(StatusBar))


async def send(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await press(pilot, "alt+1", *text, "enter")


async def test_the_answer_streams_onto_the_screen(llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=120, delay=0.02))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "stream please")
        assert await eventually(pilot, lambda: bool(answers(app)) and
                                "w10 " in answers(app)[0].body)
        view = answers(app)[0]
        assert view.status == "streaming" and "w119" not in view.body
        assert "writing…" in text_of(app, view)
        await settle(pilot)
        assert view.status == "complete" and view.body.endswith("w119 ")
        assert "w119" in text_of(app, view)


async def test_the_view_follows_the_bottom_until_the_user_scrolls_up(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tokens=[f"line {i}\n\n" for i in range(150)], delay=0.01))
    async with running(size=(100, 30), server=llm_server) as (app, pilot):
        messages = app.main.query_one(ChatPane).messages
        await send(pilot, "many lines")
        assert await eventually(pilot, lambda: messages.max_scroll_y > 20)
        assert await eventually(pilot, lambda: messages.scroll_y == messages.max_scroll_y)
        messages.scroll_to(y=0, animate=False)  # the user scrolls up to read
        await pilot.pause(0.3)
        assert messages.scroll_y == 0 and messages.max_scroll_y > 20
        await settle(pilot)
        assert messages.scroll_y == 0  # still where the user left it


async def test_model_output_is_shown_literally(llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(tokens=["[bold red]not bold[/] ", "\x1b[31mred\x1b[0m ",
                                   "[@click=app.quit]quit[/]"]))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "hi")
        await settle(pilot)
        text = text_of(app, answers(app)[0])
        assert "[bold red]not bold[/]" in text and "␛[31mred␛[0m" in text
        assert "[@click=app.quit]quit[/]" in text
        assert app.is_running


async def test_a_cut_answer_is_marked_incomplete_with_the_reason_and_retry(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=10, cut_after=4))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "hi")
        await settle(pilot)
        [view] = answers(app)
        text = text_of(app, view)
        assert view.status == "incomplete" and "incomplete" in text
        assert "ctrl+r retries" in text and "w3" in text
        await press(pilot, "ctrl+r")
        await settle(pilot)
        # The retry takes the old answer's place; the old one stays a key away.
        [retried] = answers(app)
        assert (retried.status, retried.alternative) == ("complete", (2, 2))
        assert "answer 2 of 2" in text_of(app, retried)
        await press(pilot, "alt+a")
        await settle(pilot)
        [first] = answers(app)
        assert (first.status, first.alternative) == ("incomplete", (1, 2))
        assert "w3" in text_of(app, first)


async def test_a_refused_key_is_shown_with_what_to_fix(llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(status=401))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "hi")
        await settle(pilot)
        [view] = answers(app)
        assert view.status == "error"
        assert "fix ANTHROPIC_API_KEY" in text_of(app, view)
        assert len(llm_server.requests) == 1


async def test_offline_badge_comes_and_goes() -> None:
    down = FakeLLMServer().start()
    async with running(server=down) as (app, pilot):
        down.stop()  # the network goes away
        await send(pilot, "hi")
        await settle(pilot)
        assert "⚠ offline" in status_text(app)
        assert answers(app)[-1].status == "error"
        with FakeLLMServer() as back:  # and comes back
            app.cockpit.config.providers["anthropic"].base_url = back.anthropic_url
            await app.cockpit.providers.aclose()
            await press(pilot, "ctrl+r")
            await settle(pilot)
            assert answers(app)[-1].status == "complete"
            assert "⚠ offline" not in status_text(app)


async def test_cost_today_and_this_month_in_the_status_bar(home: HomePaths,
                                                           llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=2000, input_tokens=10000))  # $0.03 + $0.03 at 3/15
    async with running(server=llm_server) as (app, pilot):
        assert "$0.00 today · $0.00 month" in status_text(app)
        await send(pilot, "hi")
        await settle(pilot)
        assert await eventually(pilot, lambda: "$0.06 today · $0.06 month" in status_text(app))


async def test_details_show_model_tokens_and_cost_on_demand(llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=3, input_tokens=1000))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "hi")
        await settle(pilot)
        [view] = answers(app)
        footer = view.query_one(".answer-footer")
        assert not footer.display or footer.region.area == 0
        await press(pilot, "alt+i")
        assert footer.region.area > 0
        text = text_of(app, footer)
        assert "claude-sonnet-4-6" in text and "1,000 in / 3 out" in text and "$0.0030" in text


async def test_a_long_session_opens_on_its_newest_messages(llm_server: FakeLLMServer) -> None:
    async with running(server=llm_server) as (app, pilot):
        store = app.cockpit.history.open()
        session, _ = store.begin_session("big", "question 0")
        for number in range(1, 2000):
            role = "user" if number % 2 == 0 else "assistant"
            store.add_message(session.id, role, f"{role} message {number}")
        app.main.query_one(ChatPane).open_session(session.id, "big")
        await settle(pilot)
        assert len(shown(app)) == 24
        assert shown(app)[-1][2] == "assistant message 1999"
        marker = app.main.query_one(EarlierMarker)
        assert marker.hidden == 1976 and "1976 earlier messages" in text_of(app, marker)
        await press(pilot, "alt+u")
        await settle(pilot)
        assert len(shown(app)) == 48 and marker.hidden == 1952
        assert shown(app)[0][2] == "user message 1952"


async def test_a_session_opens_on_its_last_answer_at_once_and_the_rest_fills_in_above(
        llm_server: FakeLLMServer) -> None:
    """The answers on screen are rendered first; those above it come a frame later, and the
    screen does not move when they do."""
    long_answer = "\n\n".join(f"Paragraph {n}: " + "words " * 40 for n in range(30))
    async with running(server=llm_server) as (app, pilot):
        store = app.cockpit.history.open()
        session, _ = store.begin_session("long answers", "question 0")
        for number in range(1, 24):
            role = "user" if number % 2 == 0 else "assistant"
            store.add_message(session.id, role,
                              long_answer if role == "assistant" else f"question {number}")
        chat = app.main.query_one(ChatPane)
        messages = chat.messages
        first: dict[str, object] = {}

        def first_frame() -> None:  # what the first frame after opening showed
            first.update(count=len(shown(app)), at_end=messages.scroll_y == messages.max_scroll_y,
                         last=answers(app)[-1].region, top=messages.region.y,
                         foot=messages.region.bottom)

        await chat.open_session(session.id, "long answers").wait()
        chat.call_after_refresh(first_frame)
        await settle(pilot)
        assert 1 <= first["count"] < 24  # type: ignore[operator]  # the last answer, here
        last, top, foot = first["last"], first["top"], first["foot"]
        assert first["at_end"] and last.y <= top and last.bottom >= foot - 1  # type: ignore[attr-defined]
        assert len(shown(app)) == 24 and shown(app)[0][2] == "question 0"
        assert [m[2] for m in shown(app)[1:3]] == [long_answer, "question 2"]
        assert messages.scroll_y == messages.max_scroll_y
        # The screen did not move (what is above it may have been laid out again).
        assert answers(app)[-1].region.bottom == first["last"].bottom  # type: ignore[attr-defined]


async def test_switching_model_from_the_palette_applies_to_the_session_and_is_saved(
        home: HomePaths, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-test-key-1111bbbb")
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "first")
        await settle(pilot)
        assert llm_server.requests[-1].path == "/v1/messages"
        await press(pilot, "alt+m")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *"gpt-4o-mini")
        await pilot.pause(0.5)
        await press(pilot, "enter")
        await settle(pilot)
        assert "openai · gpt-4o-mini" in status_text(app)
        await send(pilot, "second")
        await settle(pilot)
        assert llm_server.requests[-1].path == "/v1/chat/completions"
        assert llm_server.requests[-1].body["model"] == "gpt-4o-mini"
    config = load_config(home)
    assert (config.chat.provider, config.chat.model) == ("openai", "gpt-4o-mini")


async def test_context_left_out_is_said_in_the_chat(home: HomePaths,
                                                   llm_server: FakeLLMServer) -> None:
    async with running(server=llm_server) as (app, pilot):
        info = app.cockpit.providers.settings("anthropic")
        from pai_tui.config import ModelSettings

        info.models["claude-sonnet-4-6"] = ModelSettings(context_window=400)  # type: ignore[union-attr]
        app.cockpit.config.chat.max_output_tokens = 100
        app.main.query_one(ChatPane).query_one("ChatInput").text = "old " * 250  # type: ignore[attr-defined]
        await press(pilot, "enter")
        await settle(pilot)
        await send(pilot, "new")
        await settle(pilot)
        notes = [" ".join(text_of(app, n).split()) for n in app.main.query(NoteView)]
        assert any("left out to fit the model's 400-token context window" in n for n in notes)


async def test_retries_are_said_in_the_answer_while_waiting(llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(status=529, retry_after=0.2), Reply(status=529, retry_after=0.2),
                     Reply(text="ok"))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "hi")
        assert await eventually(pilot, lambda: bool(answers(app)) and
                                "retrying" in text_of(app, answers(app)[0]))
        await settle(pilot)
        assert answers(app)[0].status == "complete"


async def test_rename_and_delete_through_their_dialogs(llm_server: FakeLLMServer) -> None:
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "first topic")
        await settle(pilot)
        await press(pilot, "alt+r")
        assert await eventually(pilot, lambda: type(app.screen).__name__ == "InputDialog")
        app.screen.query_one("Input").value = ""  # type: ignore[attr-defined]
        await press(pilot, *"Renamed [b]x[/b]", "enter")
        await settle(pilot)
        [session] = await app.cockpit.history.sessions()
        assert session.title == "Renamed [b]x[/b]"
        assert "Renamed [b]x[/b]" in frame_of(app.main.query_one(ChatPane))[-1]

        await press(pilot, "alt+3", "d")  # from History: the entry under the cursor
        assert await eventually(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await press(pilot, "escape")  # esc closes the dialog: nothing deleted
        await settle(pilot)
        assert len(await app.cockpit.history.sessions()) == 1
        await press(pilot, "d")
        assert await eventually(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        await press(pilot, "y")
        await settle(pilot)
        assert await app.cockpit.history.sessions() == []
        assert shown(app) == [] and app.main.query_one(ChatPane).session_id is None


async def test_a_local_ollama_is_offered_and_used_on_request(
        home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLMServer(ollama_models=["llama3.2"]) as ollama:
        monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{ollama.port}")
        async with running() as (app, pilot):  # no key: offline, so pai looks for Ollama
            assert await eventually(pilot, lambda: "Ollama found" in status_text(app))
            assert app.cockpit.providers.default().provider == "offline"  # offered, not used
            await app.run_palette_action(
                next(s for s in __import__("pai_tui.actions").actions.ACTIONS
                     if s.id == "ollama.use"))
            await settle(pilot)
            assert "ollama · llama3.2" in status_text(app)
            await send(pilot, "hello local model")
            await settle(pilot)
            assert ollama.requests[-1].path == "/v1/chat/completions"
            assert answers(app)[-1].status == "complete"
        config = load_config(home)
        assert config.providers["ollama"].base_url == f"http://127.0.0.1:{ollama.port}/v1"
        assert config.chat.provider == "ollama"


async def test_answer_text_can_be_selected_and_copied(llm_server: FakeLLMServer) -> None:
    from textual.selection import Selection

    from pai_tui.ui.markdown_body import Segment

    llm_server.queue(Reply(tokens=["Copy this line.\n\n", "```python\nprint('hi')\n```\n"]))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "hi")
        await settle(pilot)
        segment = app.main.query(Segment).first()
        app.main.selections = {segment: Selection(None, None)}
        await pilot.pause()
        assert "Copy this line." in text_of(app, segment)
        await press(pilot, "alt+2", "ctrl+c")  # from a pane that does not copy by itself
        assert await eventually(pilot, lambda: "Copy this line." in (app.clipboard or ""))
        assert "print('hi')" in app.clipboard


async def test_answers_take_the_new_theme_colours(llm_server: FakeLLMServer) -> None:
    from pai_tui.ui.markdown_body import Segment

    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "hi")
        await settle(pilot)
        segment = app.main.query(Segment).first()
        before = segment.render_line(0)
        app.theme = "pai-light"
        await settle(pilot)
        after = segment.render_line(0)
        assert before.text == after.text
        assert [s.style for s in before] != [s.style for s in after]


async def test_messages_typed_while_an_answer_streams_are_queued_and_sent_in_order(
        llm_server: FakeLLMServer) -> None:
    """A burst of four lines typed with enter while the first answer streams: none is lost,
    none overwrites another, each is answered in order, and what is typed next stays typed."""
    llm_server.queue(Reply(n_tokens=100, delay=0.1))  # ten seconds: the burst lands meanwhile
    async with running(server=llm_server) as (app, pilot):
        keys = [key for line in ("alpha-one", "beta-two", "gamma-three", "delta-four")
                for key in (*line, "enter")]
        await press(pilot, "alt+1", *keys, *"half typed")
        queued = [v.queued for v in app.main.query(UserView)]
        assert queued == [False, True, True, True]
        assert await eventually(pilot, lambda: len(llm_server.requests) == 4 and all(
            a.status == "complete" for a in answers(app)), timeout=30)
        await settle(pilot)
        asked = [r.body["messages"][-1]["content"] for r in llm_server.requests]
        assert asked == ["alpha-one", "beta-two", "gamma-three", "delta-four"]
        assert [v.body for v in app.main.query(UserView)] == [
            "alpha-one", "beta-two", "gamma-three", "delta-four"]
        order = [type(v).__name__ for v in app.main.query("UserView, AnswerView")]
        assert order == ["UserView", "AnswerView"] * 4  # each answer under its question
        assert app.main.query_one(ChatInput).text == "half typed"


def test_a_little_money_is_never_shown_as_nothing() -> None:
    from pai_tui.ui.status import money

    assert [money(x) for x in (0, 0.0004, 0.0049, 0.006, 1.234)] == [
        "$0.00", "<$0.01", "<$0.01", "$0.01", "$1.23"]


async def test_a_model_whose_provider_has_no_key_is_refused_with_what_to_set(
        home: HomePaths) -> None:
    from pai_tui.llm.providers import ModelChoice

    async with running() as (app, pilot):
        app.choose_model(ModelChoice("openai", "gpt-5-mini"))  # what the picker calls
        await settle(pilot)
        told = [str(n.message) for n in app._notifications]
        assert any("openai needs a key: set OPENAI_API_KEY" in m for m in told)
        assert app.cockpit.providers.default().provider == "offline"
        assert not home.config.exists() or "gpt-5-mini" not in home.config.read_text()


async def test_new_text_below_is_said_while_the_user_reads_further_up(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=600, delay=0.01))
    async with running(size=(100, 24), server=llm_server) as (app, pilot):
        marker = app.main.query_one("#new-below")
        await send(pilot, "a long story please")
        messages = app.main.query_one("#messages")
        assert await eventually(pilot, lambda: messages.max_scroll_y > 10)
        assert not marker.display  # following the bottom: nothing to say
        await press(pilot, "pageup")
        assert await eventually(pilot, lambda: marker.display)
        assert "new text below" in text_of(app, marker)
        await settle(pilot)
        for _ in range(40):
            await press(pilot, "pagedown")
            if not messages.behind:  # type: ignore[attr-defined]
                break
        assert await eventually(pilot, lambda: not marker.display)


@contextmanager
def database_busy(app):  # type: ignore[no-untyped-def]
    """Another writer holds pai's database (a second pai, a backup): pai's saves wait for it."""
    other = sqlite3.connect(app.cockpit.config.home.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_the_answer_has_its_place_under_the_message_while_the_message_is_saved(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(text="here it is"))
    async with running(server=llm_server) as (app, pilot):
        with database_busy(app):
            await send(pilot, "a question")
            await pilot.pause(0.3)
            chat = app.main.query_one(ChatPane)
            views = list(chat.query(MESSAGE_VIEWS))
            assert [type(v) for v in views] == [UserView, AnswerView]
            assert text_of(app, views[1].query_one(".answer-header")).strip() == "sending…"
            assert llm_server.requests == []  # nothing is sent before the message is saved
        await settle(pilot)
        [answer] = answers(app)
        assert answer is views[1] and answer.status == "complete"
        header = text_of(app, answer.query_one(".answer-header"))
        assert "claude" in header and "sending" not in header
        assert "here it is" in text_of(app, answer)


async def test_the_end_of_an_answer_is_drawn_when_its_text_ends_not_when_it_is_saved(
        llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches of streamed text an hour apart: only the text's end can bring it to the screen.
    monkeypatch.setattr("pai_tui.ui.bus.FLUSH_S", 3600)
    llm_server.queue(Reply(n_tokens=60, delay=0.02))
    async with running(server=llm_server) as (app, pilot):
        await send(pilot, "stream please")
        assert await eventually(pilot, lambda: bool(answers(app)) and
                                answers(app)[0].status == "streaming")
        view = answers(app)[0]
        with database_busy(app):  # the answer's final save waits: its text does not
            assert await eventually(pilot, lambda: "w59" in text_of(app, view), timeout=4)
            assert view.status == "streaming"  # not saved yet, so not finished
        await settle(pilot)
        assert view.status == "complete" and "writing" not in text_of(app, view)


async def test_a_notice_too_long_for_the_header_line_wraps_and_is_read_whole(
        llm_server: FakeLLMServer) -> None:
    llm_server.queue(Reply(n_tokens=100, delay=0.02))
    async with running(size=(80, 30), server=llm_server) as (app, pilot):
        await send(pilot, "stream please")
        assert await eventually(pilot, lambda: bool(answers(app)) and
                                answers(app)[0].status == "streaming")
        view = answers(app)[0]
        header = view.query_one(".answer-header")
        await pilot.pause(0.1)
        assert header.size.height == 1
        view.show_notice("the provider is overloaded; trying again in 2 s with the second key")
        await pilot.pause(0.1)
        assert header.size.height > 1
        assert "with the second key" in " ".join(text_of(app, header).split())
        await settle(pilot)
        assert header.size.height == 1  # the notice goes with the end
