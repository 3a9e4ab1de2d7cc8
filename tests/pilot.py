"""Driving the cockpit under `App.run_test()` the way a user does: shared by the UI tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual import events as textual_events
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths, pai_home
from pai_tui.ui.app import PaiApp
from pai_tui.ui.messages import AnswerView, UserView
from tests.conftest import TEST_KEYS, point_providers_at
from tests.fakes.llm_server import FakeLLMServer


@asynccontextmanager
async def running(size: tuple[int, int] = (120, 40), server: FakeLLMServer | None = None,
                  config: str = "") -> AsyncIterator[tuple[PaiApp, Pilot]]:
    """The app in a temporary PAI_HOME: offline, or answered by `server` (anthropic kind), with
    `config` added to its config.toml."""
    if server is not None:
        point_providers_at(HomePaths(pai_home()), server, extra=config)
        os.environ["ANTHROPIC_API_KEY"] = TEST_KEYS["anthropic"]  # undone by the home fixture
        os.environ["OLLAMA_HOST"] = f"127.0.0.1:{server.port}"
    config = load_config()
    config.home.ensure()
    cockpit = Cockpit(config)
    app = PaiApp(cockpit)
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            yield app, pilot
    finally:
        await cockpit.aclose()


async def settle(pilot: Pilot) -> None:
    """Workers done, and the redraws and reloads they asked for done too."""
    from pai_tui.ui.soon import pending

    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for _ in range(100):
        if not pending(pilot.app):
            break
        await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()


async def eventually(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10) -> bool:
    """Whether `condition` holds within `timeout` (for effects that wait on a worker or on a
    dialog, where waiting for every worker to finish would wait for the dialog to close)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        await pilot.pause(0.02)
    return condition()


# The characters real terminals attach to keys (seen from tmux and xterm): alt+z arrives as
# Key("alt+z", "z"), so a text input would type "z" unless the binding takes it first.
TERMINAL_CHARACTERS = {"enter": "\r", "ctrl+j": "\n", "tab": "\t", "escape": "\x1b",
                       "space": " ", "question_mark": "?", "ctrl+n": "\x0e", "ctrl+p": "\x10",
                       "ctrl+q": "\x11"}


def terminal_key(key: str) -> textual_events.Key:
    if len(key) == 1:
        return textual_events.Key(key, key)
    if key.startswith("alt+") and len(key) == 5:
        return textual_events.Key(key, key[-1])
    return textual_events.Key(key, TERMINAL_CHARACTERS.get(key))


async def press(pilot: Pilot, *keys: str) -> None:
    """Press keys one by one as a terminal reports them, waiting for each to be handled."""
    for key in keys:
        pilot.app.post_message(terminal_key(key))
        await pilot.pause()


MESSAGE_VIEWS = "UserView, AnswerView"


def shown(app: PaiApp) -> list[tuple[str, str, str]]:
    """(role, status, text) of each message on screen."""
    return [("user", "complete", v.body) if isinstance(v, UserView) else
            ("assistant", v.status, v.body)
            for v in app.main.query(MESSAGE_VIEWS) if isinstance(v, UserView | AnswerView)]


def pane_of_focus(app: PaiApp) -> str | None:
    pane = app.focused_pane()
    return pane.id if pane else None


def frame_of(widget: Widget) -> list[str]:
    """The lines a container draws itself: its border (with titles) around its children."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return [strip.text for strip in widget.render_lines(region)]


def text_of(app: PaiApp, widget: Widget) -> str:
    """What the widget and the widgets inside it draw, as text (its own lines first: a border
    with its titles; then each displayed child's, depth first)."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    own = "\n".join(strip.text for strip in widget.render_lines(region))
    inside = [text_of(app, child) for child in widget.children if child.display]
    return "\n".join([own, *inside])
