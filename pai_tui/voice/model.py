"""The small vocabulary of speech: a voice, what to say, and why speech cannot happen."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

UtteranceKind = Literal["answer", "start", "finish", "permission", "upgrade", "test"]

RATE = (80, 450)  # words per minute an engine accepts
PITCH = (0, 99)


class VoiceError(Exception):
    """Speech cannot happen; `str()` says why and what to install, for the status bar and
    `pai doctor`."""


@dataclass(frozen=True)
class Voice:
    """An engine voice id (espeak-ng's: `en-gb-x-rp`, with a variant `+m3`), speed in words per
    minute, pitch 0..99 and volume 0..1."""

    id: str
    rate: int = 175
    pitch: int = 50
    volume: float = 0.9

    @property
    def base(self) -> str:
        """The language voice without its variant: `en-us` of `en-us+f3`."""
        return self.id.split("+", 1)[0]

    @property
    def variant(self) -> str | None:
        return self.id.split("+", 1)[1] if "+" in self.id else None

    def clamped(self) -> Voice:
        """Within what engines accept (an engine silently clamps or fails otherwise)."""
        return Voice(self.id, min(max(int(self.rate), RATE[0]), RATE[1]),
                     min(max(int(self.pitch), PITCH[0]), PITCH[1]),
                     min(max(float(self.volume), 0.0), 1.0))


@dataclass(frozen=True)
class VoiceInfo:
    """A voice an engine offers (`pai voice list`)."""

    id: str
    name: str
    gender: str = ""  # "M", "F" or ""
    kind: Literal["voice", "variant"] = "voice"


@dataclass(frozen=True)
class Utterance:
    """Something to say, by whom, and where it belongs in the timeline."""

    text: str
    voice: Voice
    kind: UtteranceKind = "answer"
    agent: str | None = None  # None: the main assistant
    priority: bool = False  # said before what waits (a question for the user)
    turn_id: int | None = None
    session_id: int | None = None
    trace_id: str | None = None  # of the turn it tells about (its span hangs there)
    parent_span_id: str | None = None
    queued_at: float = field(default_factory=time.monotonic)
