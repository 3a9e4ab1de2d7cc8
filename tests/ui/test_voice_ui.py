"""Voice in the cockpit: the status bar says off / on / speaking / unavailable (why), alt+v
mutes and unmutes, alt+h stops the clip, and speech never holds up typing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pai_tui.ui.agents_pane import AgentsPane
from pai_tui.ui.app import PaiApp
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.status import StatusBar
from pai_tui.voice.model import Utterance, Voice
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import eventually, press, running

pytestmark = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs espeak-ng")

FOLDER = '[voice]\nenabled = true\noutput = "folder"\nengine = "espeak-ng"\n'


def slow_voice(seconds: float) -> str:
    """config.toml for a user's voice command (a real program) taking `seconds` per clip."""
    return ('[voice]\nenabled = true\noutput = "folder"\nengine = "command"\n'
            f'command = ["sh", "-c", "sleep {seconds}; espeak-ng -v \\"$1\\" -w \\"$0\\" '
            '--stdin", "{out}", "{voice}"]\n')


def voice_of(app: PaiApp) -> str:
    return app.main.query_one(StatusBar).voice


async def test_enabled_voice_starts_says_on_speaks_and_mutes(llm_server: FakeLLMServer) -> None:
    async with running(server=llm_server, config=FOLDER) as (app, pilot):
        assert await eventually(pilot, lambda: voice_of(app) == "on")
        voice = app.cockpit.voice
        seen: list[str] = []
        bar = app.main.query_one(StatusBar)
        bar.watch(bar, "voice", lambda value: seen.append(value), init=False)
        voice.say(Utterance("The status bar says I am speaking.", Voice("en-us+f3")))
        assert await eventually(pilot, lambda: "speaking" in seen and voice_of(app) == "on")
        assert len(list((app.cockpit.config.home.root / "voice").glob("*.wav"))) == 1
        await press(pilot, "alt+v")
        assert voice_of(app) == "off" and voice.muted
        await press(pilot, "alt+v")
        assert voice_of(app) == "on" and not voice.muted


async def test_an_unavailable_voice_says_why_in_the_status_bar(
        llm_server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    only_espeak = tmp_path / "bin"
    only_espeak.mkdir()
    (only_espeak / "espeak-ng").symlink_to(shutil.which("espeak-ng"))  # type: ignore[arg-type]
    monkeypatch.setenv("PATH", str(only_espeak))
    config = '[voice]\nenabled = true\nengine = "espeak-ng"\n'  # a player, and none is found
    async with running(server=llm_server, config=config) as (app, pilot):
        assert await eventually(pilot, lambda: voice_of(app).startswith("unavailable"))
        assert "no audio player found" in voice_of(app)

        def told() -> int:
            return sum("Voice unavailable: no audio player found" in str(n.message)
                       for n in app._notifications)

        assert told() == 1
        await press(pilot, "alt+v")  # looks again (a player may have been installed): still none
        assert await eventually(pilot, lambda: told() == 2)


async def test_keys_echo_while_fifty_utterances_are_said(llm_server: FakeLLMServer) -> None:
    """Speech runs on its own thread: typing goes on, every key in order, while fifty clips are
    made; alt+h then empties the queue. (How fast keys echo meanwhile is a benchmark's to say,
    not a timed assertion here.)"""
    async with running(server=llm_server, config=slow_voice(0.2) + "max_queue = 100\n"
                       ) as (app, pilot):
        assert await eventually(pilot, lambda: voice_of(app) == "on")
        speaker = app.cockpit.voice.speaker
        assert speaker is not None
        for n in range(50):
            app.cockpit.voice.say(Utterance(f"Utterance number {n} of fifty.", Voice("en-us")))
        entry = app.main.query_one(ChatInput)
        entry.focus()
        typed = "speech never blocks"
        for character in typed:
            await press(pilot, character if character != " " else "space")
        assert entry.text == typed
        assert speaker.busy() and speaker.dropped == 0  # still speaking: typing did not wait
        await press(pilot, "alt+h")
        assert await eventually(pilot, lambda: not speaker.busy())
        assert speaker.spoken < 50 and any("waiting forgotten" in str(n.message)
                                           for n in app._notifications)


async def test_the_agent_speaking_is_marked_in_the_agents_pane(
        llm_server: FakeLLMServer) -> None:
    """A user's voice command (a real program) that takes a second per clip: while the
    researcher's start and finish are said, its row carries ♪; after, it does not."""
    async with running(server=llm_server, config=slow_voice(1)) as (app, pilot):
        assert await eventually(pilot, lambda: voice_of(app) == "on")
        llm_server.queue(Reply(text="🗣️ The research is done."))
        app.start_agent("researcher", "find the sources")
        pane = app.main.query_one(AgentsPane)

        def marked() -> bool:
            return any(row.speaking and "♪" in row.text(0).plain for row in pane.rows.values())

        assert await eventually(pilot, marked, timeout=10)
        assert await eventually(pilot, lambda: pane.rows and not marked()
                                and not app.cockpit.voice.speaker.busy(), timeout=15)
        said = sorted(p.stem.split("-", 3)[3]
                      for p in (app.cockpit.config.home.root / "voice").glob("*.wav"))
        assert said == ["researcher-finish", "researcher-start"]
