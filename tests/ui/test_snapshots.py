"""Snapshots (pytest-textual-snapshot): the four-pane layout at 80x24 and 160x48 in two themes, the
help screen and the command palette. `pytest --snapshot-update` accepts an intended change."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.ui.app import PaiApp
from tests.conftest import TEST_KEYS, point_providers_at, write_config
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import settle


def make_app(home: HomePaths, theme: str = "pai", layout: str = "columns") -> PaiApp:
    write_config(home, f'[ui]\ntheme = "{theme}"\nlayout = "{layout}"\n')
    config = load_config(home)
    config.home.ensure()
    return PaiApp(Cockpit(config))


async def ready(pilot: Pilot) -> None:
    """Workers done and every answer's final render on screen."""
    from pai_tui.ui.messages import AnswerView

    await pilot.app.workers.wait_for_complete()
    for _ in range(250):
        await pilot.pause(0.02)
        if all(view.status != "streaming" for view in pilot.app.query(AnswerView)):
            break
    await settle(pilot)  # and the History pane's reload after the answer was saved
    await steady(pilot)


async def steady(pilot: Pilot) -> None:
    """No blinking cursor on screen: a snapshot taken mid-blink would differ by chance."""
    for widget in pilot.app.screen.query("TextArea, Input"):
        widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


@pytest.mark.parametrize("theme", ["pai", "pai-light"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_four_panes(snap_compare, home: HomePaths, theme: str, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(home, theme), terminal_size=size, run_before=ready)


def test_grid_layout(snap_compare, home: HomePaths) -> None:
    assert snap_compare(make_app(home, layout="grid"), terminal_size=(120, 36), run_before=ready)


def test_help_screen(snap_compare, home: HomePaths) -> None:
    async def open_help(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("f1")
        await steady(pilot)

    assert snap_compare(make_app(home), terminal_size=(120, 40), run_before=open_help)


def test_command_palette(snap_compare, home: HomePaths) -> None:
    async def open_palette(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)  # the palette gathers its commands in a worker
        await pilot.app.workers.wait_for_complete()
        await steady(pilot)

    assert snap_compare(make_app(home), terminal_size=(120, 40), run_before=open_palette)


def test_a_short_conversation(snap_compare, home: HomePaths) -> None:
    async def chat(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press(*"hello pai", "enter")
        await ready(pilot)

    assert snap_compare(make_app(home), terminal_size=(100, 30), run_before=chat)


ANSWER = """Here is the plan, with a helper and a table.

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

| Step | Owner | Done |
|------|-------|------|
| Spec | architect | yes |
| Code | engineer | no |

Literal, not markup: [bold red]plain[/] and \x1b[31m stays text."""


def snap_chat(snap_compare, home: HomePaths, monkeypatch: pytest.MonkeyPatch,
              replies: list[Reply], message: str, size: tuple[int, int]) -> bool:
    """The app answered by the loopback server, after `message` is typed and answered."""
    with FakeLLMServer(default=replies[0]) as server:
        server.queue(*replies)
        point_providers_at(home, server)
        monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])
        config = load_config(home)
        config.home.ensure()
        app = PaiApp(Cockpit(config))

        async def chat(pilot: Pilot) -> None:
            await ready(pilot)
            await pilot.press(*message, "enter")
            await ready(pilot)

        return snap_compare(app, terminal_size=size, run_before=chat)


def test_a_finished_conversation_with_code_and_a_table(snap_compare, home: HomePaths,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert snap_chat(snap_compare, home, monkeypatch, [Reply(tokens=[ANSWER])], "plan it",
                     (110, 40))


def test_a_skill_answer_with_its_tool_run(snap_compare, home: HomePaths,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    replies = [Reply(tool_calls=[("summarize__wordcount",
                                  {"args": ["--json"], "stdin": "one two three"})]),
               Reply(text="**Three words**, under a minute to read.")]
    assert snap_chat(snap_compare, home, monkeypatch, replies, "/summarize one two three",
                     (110, 30))
