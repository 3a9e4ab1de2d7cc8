"""Where a clip goes: the first audio player found, one clip at a time, or a folder of clips
(`[voice] output = "folder"`: headless machines and tests).

A missing player is never silent: `player_problem()` names the players looked for and what to
install."""

from __future__ import annotations

import os
import platform
import shutil
import time
from pathlib import Path

from pai_tui import process

# The player's program and its arguments before the file, in the order they are tried.
PLAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pw-play", ()),
    ("paplay", ()),
    ("aplay", ("-q",)),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "quiet")),
)
MAC_PLAYERS = (("afplay", ()),)


def candidates() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return MAC_PLAYERS + PLAYERS if platform.system() == "Darwin" else PLAYERS


def find_player() -> list[str] | None:
    """The argv (without the file) of the first player on PATH, or None."""
    for program, args in candidates():
        path = shutil.which(program)
        if path:
            return [path, *args]
    return None


def player_problem() -> str | None:
    if find_player() is not None:
        return None
    names = ", ".join(program for program, _ in candidates())
    return (f"no audio player found (looked for {names} on PATH): install pipewire-bin, "
            "pulseaudio-utils or alsa-utils (or ffmpeg), or set [voice] output = \"folder\"")


async def play(argv: list[str], clip: Path, seconds: float) -> process.ProcessRun:
    """Play `clip` with `argv`, waiting for the end (cancelling stops it, with its group)."""
    return await process.run([*argv, str(clip)], timeout=seconds + 15, output_cap=4096,
                             env=process.scrubbed_environment(os.environ))


def keep_in_folder(clip: Path, folder: Path, label: str) -> Path:
    """Move `clip` into `folder` (made mode 700; the clip mode 600) under a name that sorts by
    time: `20261130-235501-000123-architect-start.wav`."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in label)[:60]
    target = folder / f"{stamp}-{int(now * 1_000_000) % 1_000_000:06d}-{safe}.wav"
    os.chmod(clip, 0o600)
    shutil.move(clip, target)
    return target


def wav_seconds(clip: Path) -> float:
    """How long a WAV file plays (0 when it cannot be read)."""
    import wave

    try:
        with wave.open(str(clip), "rb") as wav:
            return wav.getnframes() / float(wav.getframerate() or 1)
    except (OSError, EOFError, wave.Error):
        return 0.0
