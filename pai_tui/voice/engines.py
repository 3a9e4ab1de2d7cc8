"""Engines: text and a Voice in, a WAV file out, behind one small interface.

    pyttsx3     espeak-ng through its library (the default); not thread-safe: the speech thread
                owns it (speaker.py), nothing else calls it once that thread runs
    espeak-ng   the `espeak-ng` command, one process per clip
    command     any program reading the text on stdin, writing the WAV named by {out} (Piper,
                macOS `say -o`, a cloud TTS) or playing it itself when {out} is not in it

A missing engine is never silent: `problem()` says why and what to install.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
from pathlib import Path
from typing import Any, Protocol

from pai_tui import process
from pai_tui.config import VoiceSettings
from pai_tui.voice.model import Voice, VoiceError, VoiceInfo

log = logging.getLogger(__name__)

SYNTH_TIMEOUT = 60.0  # seconds one clip may take to make
LIST_TIMEOUT = 10.0
ESPEAK_INSTALL = "install espeak-ng (Debian/Ubuntu: sudo apt-get install espeak-ng; " \
                 "Fedora: sudo dnf install espeak-ng; macOS: brew install espeak-ng)"


class Engine(Protocol):
    name: str

    def problem(self) -> str | None:
        """Why this engine cannot speak here (and what to install), or None."""

    def voices(self) -> list[VoiceInfo]:
        """The voices and variants it offers; [] when it cannot say (then ids are not
        checked)."""

    async def synthesize(self, text: str, voice: Voice, out: Path) -> bool:
        """Say `text` into the WAV file `out`: True when written, False when the engine played
        it itself. VoiceError when it cannot."""


def make_engine(settings: VoiceSettings) -> Engine:
    if settings.engine == "espeak-ng":
        return EspeakCommand()
    if settings.engine == "command":
        return CommandEngine(settings.command)
    return Pyttsx3Engine()


def _environment() -> dict[str, str]:
    return process.scrubbed_environment(os.environ)


def _espeak() -> str | None:
    return shutil.which("espeak-ng")


def espeak_voices() -> list[VoiceInfo]:
    """espeak-ng's voices (by language id, the form `-v` takes) and variants, from its own
    list. MBROLA voices are left out: they need MBROLA, seldom installed."""
    program = _espeak()
    if program is None:
        return []
    found: list[VoiceInfo] = []
    seen: set[str] = set()
    for argv, kind in (([program, "--voices"], "voice"),
                       ([program, "--voices=variant"], "variant")):
        run = process.run_blocking(argv, timeout=LIST_TIMEOUT, output_cap=1_000_000,
                                   env=_environment())
        for line in run.stdout.splitlines()[1:]:
            parts = line.split()
            if len(parts) < 5 or parts[4].startswith("mb/"):
                continue
            ident = parts[4].removeprefix("!v/") if kind == "variant" else parts[1]
            if ident.lower() in seen:
                continue
            seen.add(ident.lower())
            gender = parts[2].rsplit("/", 1)[-1].strip("-")
            found.append(VoiceInfo(ident, parts[3].replace("_", " "), gender, kind))
    return found


class EspeakCommand:
    """The `espeak-ng` command: one process per clip, killed with its group if stopped."""

    name = "espeak-ng"

    def problem(self) -> str | None:
        return None if _espeak() else f"espeak-ng is not installed: {ESPEAK_INSTALL}"

    def voices(self) -> list[VoiceInfo]:
        return espeak_voices()

    async def synthesize(self, text: str, voice: Voice, out: Path) -> bool:
        program = _espeak()
        if program is None:
            raise VoiceError(self.problem())
        voice = voice.clamped()
        argv = [program, "-v", voice.id, "-s", str(voice.rate), "-p", str(voice.pitch),
                "-a", str(round(voice.volume * 100)), "-w", str(out), "--stdin"]
        run = await process.run(argv, timeout=SYNTH_TIMEOUT, output_cap=4096,
                                env=_environment(), stdin=text.encode())
        if not run.ok or not out.exists() or out.stat().st_size <= 44:
            raise VoiceError(f"espeak-ng failed: {run.status()} {run.stderr.strip()[:200]}")
        return True


class Pyttsx3Engine:
    """pyttsx3 over espeak-ng's library (on macOS and Windows, the system's own voices).

    Not thread-safe: one thread creates and uses it (the speech thread). pyttsx3 ignores an
    unknown voice id without a word; voices.py checks ids before they reach it."""

    name = "pyttsx3"

    def __init__(self) -> None:
        self._engine: Any = None

    def _driver(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3
            except ImportError:
                raise VoiceError("pyttsx3 is not installed: pip install pyttsx3 (or set "
                                 "[voice] engine = \"espeak-ng\")") from None
            try:
                driver = "espeak" if platform.system() == "Linux" else None
                self._engine = pyttsx3.init(driver)
            except Exception as error:  # the library loads libespeak-ng: it may be absent
                raise VoiceError(f"pyttsx3 cannot start espeak-ng ({error}): "
                                 f"{ESPEAK_INSTALL}") from None
            _quiet_driver()
        return self._engine

    def problem(self) -> str | None:
        if self._engine is not None:
            return None
        import importlib.util

        if importlib.util.find_spec("pyttsx3") is None:
            return "pyttsx3 is not installed: pip install pyttsx3 (or set [voice] engine = " \
                   "\"espeak-ng\")"
        # Linux: espeak-ng's library speaks, its command lists the voices ids are checked
        # against; one package brings both.
        if platform.system() == "Linux" and not (_espeak_library() and _espeak()):
            return f"espeak-ng is not installed: {ESPEAK_INSTALL}"
        return None

    def voices(self) -> list[VoiceInfo]:
        listed = espeak_voices()
        if listed or platform.system() == "Linux":
            return listed
        return [VoiceInfo(str(v.id), str(v.name)) for v in self._driver().getProperty("voices")]

    async def synthesize(self, text: str, voice: Voice, out: Path) -> bool:
        engine = self._driver()
        voice = voice.clamped()
        engine.setProperty("voice", voice.id)
        engine.setProperty("rate", voice.rate)
        engine.setProperty("volume", voice.volume)
        if platform.system() == "Linux":
            engine.setProperty("pitch", voice.pitch)
        # pyttsx3 2.99's espeak driver once returned without writing under load (seen once in
        # ~40 tries, not reproduced): tried once more before it counts as a failure.
        for _attempt in range(2):
            engine.save_to_file(text, str(out))
            engine.runAndWait()
            if out.exists() and out.stat().st_size > 44:
                return True
            log.info("voice: pyttsx3 wrote no audio for %s; trying once more", voice.id)
        raise VoiceError(f"pyttsx3 wrote no audio (voice {voice.id})")


def _quiet_driver() -> None:
    """pyttsx3's espeak driver prints "Audio saved to …" on stdout, which would draw over the
    cockpit's screen: its module's `print` goes to the log instead (that module only)."""
    import sys

    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is not None:
        driver.print = lambda *args, **kwargs: log.debug(" ".join(map(str, args)))  # type: ignore[attr-defined]


def _espeak_library() -> bool:
    import ctypes.util

    return any(ctypes.util.find_library(name) for name in ("espeak-ng", "espeak"))


class CommandEngine:
    """A program of the user's: the text on stdin; {out} {voice} {rate} {pitch} {volume} in
    its arguments are filled in."""

    name = "command"

    def __init__(self, argv: list[str]):
        self.argv = list(argv)

    def problem(self) -> str | None:
        if not self.argv:
            return 'engine = "command" needs [voice] command = ["program", "arg", …]'
        if shutil.which(self.argv[0]) is None:
            return f"the voice command {self.argv[0]!r} is not found (not on PATH, or not " \
                   f"executable)"
        return None

    def voices(self) -> list[VoiceInfo]:
        return []

    async def synthesize(self, text: str, voice: Voice, out: Path) -> bool:
        problem = self.problem()
        if problem:
            raise VoiceError(problem)
        voice = voice.clamped()
        values = {"out": str(out), "voice": voice.id, "rate": str(voice.rate),
                  "pitch": str(voice.pitch), "volume": f"{voice.volume:g}"}
        writes = any("{out}" in arg for arg in self.argv)
        argv = [arg.format_map(values) if "{" in arg else arg for arg in self.argv]
        run = await process.run(argv, timeout=SYNTH_TIMEOUT + len(text) / 5, output_cap=4096,
                                env=_environment(), stdin=text.encode())
        if not run.ok:
            raise VoiceError(f"the voice command failed: {run.status()} "
                             f"{run.stderr.strip()[:200]}")
        if writes and not (out.exists() and out.stat().st_size > 44):
            raise VoiceError(f"the voice command wrote nothing to {out}")
        return writes
