"""Stopping a run from another process (`pai agent stop`): a run is owned by the pai that runs it
(the cockpit, a `pai agent run`), so another pai asks it to stop by leaving a file named after
the run in `$PAI_HOME/stops/`; the owner's supervisor looks there while it has runs going, stops
the run (and its children) and takes the file away."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from pai_tui.paths import private_file, private_folder

LOOK_EVERY_S = 0.25


def stops_folder(home: Path) -> Path:
    return home / "stops"


def ask_to_stop(home: Path, run_id: int) -> Path:
    """Leave the request for run `run_id`'s owner; the file, to take away if nobody comes."""
    folder = stops_folder(home)
    private_folder(folder)
    path = folder / str(run_id)
    private_file(path)
    return path


def asked(home: Path) -> set[int]:
    """The runs someone asked to stop (blocking: a folder listing)."""
    try:
        names = os.listdir(stops_folder(home))
    except OSError:
        return set()
    return {int(name) for name in names if name.isdigit()}


def withdraw(home: Path, run_id: int) -> None:
    with contextlib.suppress(OSError):
        (stops_folder(home) / str(run_id)).unlink()


async def watch(home: Path, running: Callable[[], set[int]],
                stop: Callable[[int], bool]) -> None:
    """While `running()` has runs, stop those asked to stop. Ends when none is left."""
    while ids := running():
        for run_id in ids & await asyncio.to_thread(asked, home):
            stop(run_id)
            await asyncio.to_thread(withdraw, home, run_id)
        await asyncio.sleep(LOOK_EVERY_S)
