"""Running a probe script in a real pseudo-terminal, for the benchmarks."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Callable
from pathlib import Path


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def run_in_pty(script: Path, args: list[str], env: dict[str, str], size: tuple[int, int],
               while_running: Callable[[int, subprocess.Popen[bytes]], None] | None = None,
               timeout: float = 300) -> int:
    """Run `python script args...` with a pty as its terminal; `while_running(master, process)`
    may type into it. Returns the exit code."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    process = subprocess.Popen([sys.executable, str(script), *args], stdin=slave, stdout=slave,
                               stderr=slave, env={**env, "TERM": "xterm-256color"},
                               start_new_session=True)
    os.close(slave)
    reader = threading.Thread(target=_drain, args=(master,), daemon=True)
    reader.start()
    try:
        if while_running is not None:
            while_running(master, process)
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
        reader.join(timeout=5)
    return process.returncode
