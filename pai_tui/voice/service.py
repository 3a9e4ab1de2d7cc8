"""What the cockpit holds for voice: started on demand (in a worker thread: listing voices
and loading the agents read files and run espeak-ng), muted and unmuted, stopped, and its state
in words for the status bar and `pai doctor`.

Nothing of it runs until voice is enabled in `[voice]` or turned on with the mute key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from pai_tui import events
from pai_tui.config import Config, VoiceSettings
from pai_tui.voice import players
from pai_tui.voice.engines import Engine, make_engine
from pai_tui.voice.model import Utterance
from pai_tui.voice.narrator import Narrator
from pai_tui.voice.speaker import Speaker
from pai_tui.voice.voices import KnownVoices, VoiceBook, build_book

log = logging.getLogger(__name__)


def output_for(settings: VoiceSettings, home_root: Path) -> list[str] | Path | str:
    """Where clips go: a player's argv, the folder, or why neither (a str)."""
    if settings.output == "folder":
        return Path(settings.folder).expanduser() if settings.folder else home_root / "voice"
    player = players.find_player()
    return player if player is not None else (players.player_problem() or "no player")


def problem_of(settings: VoiceSettings, engine: Engine, home_root: Path) -> str | None:
    """Why voice cannot work here, or None (the engine first, then the player)."""
    problem = engine.problem()
    if problem:
        return problem
    output = output_for(settings, home_root)
    return output if isinstance(output, str) else None


def load_book(config: Config, engine: Engine) -> VoiceBook:
    """The voices of the main assistant and every agent found, checked against the engine's."""
    from pai_tui.agents.catalog import load_catalog

    book = build_book(config.voice, list(load_catalog(config)), KnownVoices.of(engine.voices()),
                      config.home.config)
    for warning in book.warnings:
        log.warning("voice: %s", warning)
    return book


class VoiceService:
    def __init__(self, config: Config, bus: events.Bus,
                 task_of: Callable[[int], str | None] = lambda turn_id: None):
        self.config, self.bus, self._task_of = config, bus, task_of
        self.engine: Engine = make_engine(config.voice)
        self.speaker: Speaker | None = None
        self.narrator: Narrator | None = None
        self.book: VoiceBook | None = None
        self.problem: str | None = None  # why voice is unavailable
        self._starting = threading.Lock()

    @property
    def running(self) -> bool:
        return self.speaker is not None

    def start(self) -> str | None:
        """Start speaking what happens (blocking: run it off the UI loop). Returns why voice
        is unavailable, or None; asked again, it looks again (a player installed meanwhile)."""
        with self._starting:
            if self.speaker is not None:
                return None
            settings = self.config.voice
            self.problem = problem_of(settings, self.engine, self.config.home.root)
            if self.problem is not None:
                log.warning("voice unavailable: %s", self.problem)
                return self.problem
            output = output_for(settings, self.config.home.root)
            assert not isinstance(output, str)
            self.book = load_book(self.config, self.engine)
            self.speaker = Speaker(self.engine, output, self.bus, max_queue=settings.max_queue,
                                   max_age=settings.max_age)
            self.narrator = Narrator(settings, self.bus, self.book, self.speaker.say,
                                     self._task_of)
            return None

    def say(self, utterance: Utterance) -> None:
        if self.speaker is not None:
            self.speaker.say(utterance)

    @property
    def muted(self) -> bool:
        return self.narrator is None or self.narrator.muted

    def set_muted(self, muted: bool) -> None:
        if self.narrator is not None:
            self.narrator.muted = muted
        if muted:
            self.stop()

    def stop(self) -> int:
        """Stop the clip being said and clear the queue."""
        return self.speaker.stop() if self.speaker is not None else 0

    def state(self) -> str:
        """off / on / speaking / unavailable (why): the status bar's words."""
        if self.problem:
            return f"unavailable ({self.problem})"
        if self.speaker is None or self.muted:
            return "off"
        return "speaking" if self.speaker.speaking else "on"

    def finish(self, timeout: float) -> bool:
        """Wait until what is queued has been said (a command about to exit)."""
        return self.speaker.wait(timeout) if self.speaker is not None else True

    def close(self) -> None:
        if self.narrator is not None:
            self.narrator.close()
        if self.speaker is not None:
            self.speaker.close()
