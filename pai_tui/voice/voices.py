"""Who speaks in which voice.

For an agent, in order: `[voice.agents]` in config.toml, then the agent file's `voice` field
(pai's `{id, rate, pitch, volume}` or a plain id), else a voice derived from its name: PAI's
ElevenLabs `voiceId` means nothing offline. Ids are checked against the engine's voices (pyttsx3
ignores an unknown id without a word; pai does not): an unknown id is a warning naming the file,
and the agent speaks in its derived voice. The derivation is a hash of the name, so an agent
keeps its voice from one run to the next and agents seldom share one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pai_tui.agents.definition import AgentDefinition, agent_key
from pai_tui.config import VoiceSettings, VoiceSpec
from pai_tui.voice.model import PITCH, RATE, Voice, VoiceInfo

# What derived voices are made of: English voices espeak-ng ships, and its variants.
BASES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan",
         "en-gb-x-gbcwmd", "en-us-nyc")
DEFAULT_MAIN = Voice("en-us+f5")  # the main assistant's, unless [voice] main says another
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")


def derived_voice(name: str) -> Voice:
    """A voice from the name alone: the same name always gets the same voice."""
    digest = hashlib.sha256(agent_key(name).encode()).digest()
    return Voice(f"{BASES[digest[0] % len(BASES)]}+{VARIANTS[digest[1] % len(VARIANTS)]}",
                 rate=150 + digest[2] % 46, pitch=30 + digest[3] % 41, volume=0.9)


@dataclass(frozen=True)
class KnownVoices:
    """The ids an engine accepts; `None` lists: the engine cannot say (nothing is checked)."""

    bases: frozenset[str] | None = None
    variants: frozenset[str] | None = None

    @classmethod
    def of(cls, listed: list[VoiceInfo]) -> KnownVoices:
        if not listed:
            return cls()
        return cls(frozenset(v.id.lower() for v in listed if v.kind == "voice"),
                   frozenset(v.id.lower() for v in listed if v.kind == "variant"))

    def problem(self, voice_id: str) -> str | None:
        """Why the engine would not speak `voice_id`, or None."""
        if not voice_id.strip():
            return "the voice id is empty"
        voice = Voice(voice_id)
        if self.bases is not None and voice.base.lower() not in self.bases:
            return f"'{voice.base}' is not a voice of the engine (pai voice list shows them)"
        if voice.variant is not None and self.variants is not None and \
                voice.variant.lower() not in self.variants:
            return f"'+{voice.variant}' is not a variant of the engine (pai voice list shows them)"
        return None


@dataclass
class VoiceBook:
    """The voice of the main assistant and of each agent, with what was wrong on the way."""

    main: Voice
    agents: dict[str, Voice] = field(default_factory=dict)  # by agent key
    sources: dict[str, str] = field(default_factory=dict)  # by key: where the voice came from
    warnings: list[str] = field(default_factory=list)

    def voice_for(self, agent: str | None) -> Voice:
        if agent is None:
            return self.main
        return self.agents.get(agent_key(agent)) or derived_voice(agent)


def build_book(settings: VoiceSettings, agents: Iterable[AgentDefinition], known: KnownVoices,
               config_path: Path) -> VoiceBook:
    warnings: list[str] = []
    main = _checked(_from_spec(settings.main), known, f"{config_path}: [voice] main", warnings,
                    instead=f"the default {DEFAULT_MAIN.id} is used")
    book = VoiceBook(main or DEFAULT_MAIN, warnings=warnings)
    configured = {agent_key(name): spec for name, spec in settings.agents.items()}
    for agent in agents:
        key = agent.key
        voice: Voice | None = None
        if key in configured:
            where = f"{config_path}: [voice.agents] {key}"
            voice = _checked(_from_spec(configured.pop(key)), known, where, warnings)
            source = "config.toml"
        else:
            where = f"{agent.path}:{_line_of(agent.path, 'voice')}"
            voice = _checked(_from_field(agent.voice, where, warnings), known, where, warnings)
            source = "agent file"
        if voice is None:
            voice, source = derived_voice(agent.name), "derived from the name"
        book.agents[key], book.sources[key] = voice, source
    for key, spec in configured.items():  # a voice for an agent not loaded: still checked
        voice = _checked(_from_spec(spec), known, f"{config_path}: [voice.agents] {key}",
                         warnings)
        if voice is not None:
            book.agents[key], book.sources[key] = voice, "config.toml"
    return book


def _from_spec(spec: str | VoiceSpec) -> Voice:
    if isinstance(spec, str):
        return Voice(spec.strip())
    return Voice(spec.id.strip(), spec.rate, spec.pitch, spec.volume)


def _from_field(value: Any, where: str, warnings: list[str]) -> Voice | None:
    """An agent file's `voice`: pai's mapping or an id; None for PAI's ElevenLabs settings
    (no `id`: they mean nothing offline) and for nothing."""
    if value is None:
        return None
    if isinstance(value, str):
        return Voice(value.strip())
    if not isinstance(value, dict) or "id" not in value:
        return None
    voice = Voice(str(value["id"]).strip())
    numbers = {}
    for name, low, high in (("rate", *RATE), ("pitch", *PITCH), ("volume", 0, 1)):
        if name not in value:
            continue
        number = value[name]
        if isinstance(number, bool) or not isinstance(number, int | float) or \
                not low <= number <= high:
            warnings.append(f"{where}: voice {name} must be a number from {low} to {high}, "
                            f"not {number!r}: the default is used")
            continue
        numbers[name] = number
    return Voice(voice.id, int(numbers.get("rate", voice.rate)),
                 int(numbers.get("pitch", voice.pitch)),
                 float(numbers.get("volume", voice.volume)))


def _checked(voice: Voice | None, known: KnownVoices, where: str, warnings: list[str],
             instead: str = "a voice derived from the name is used") -> Voice | None:
    if voice is None:
        return None
    problem = known.problem(voice.id)
    if problem:
        warnings.append(f"{where}: unknown voice '{voice.id}': {problem}; {instead}")
        return None
    return voice


def _line_of(path: Path, key: str) -> int:
    """The line of `key:` in a file's frontmatter (1 when it cannot be read)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return 1
    return next((number for number, line in enumerate(lines, start=1)
                 if line.startswith(f"{key}:")), 1)
