"""Startup benchmark: time from process start until pai's four panes are painted and the chat input
has focus, against a bare Textual app painting one Static, measured in the same run.

Each run is a fresh process in a real pseudo-terminal (so the real driver writes real frames); runs
of the two alternate so that machine noise hits both. Prints the medians and their ratio.

    python benchmarks/startup.py [--runs 9] [--size 120x40]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from _setup import cached_bytecode

PROBE = Path(__file__).with_name("_ready_probe.py")
TARGET_RATIO = 1.6


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def time_to_ready(mode: str, size: tuple[int, int], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawning the process to its first painted frame, and the focused widget."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    reader = threading.Thread(target=_drain, args=(master,), daemon=True)
    reader.start()
    with tempfile.NamedTemporaryFile("r", suffix=".ready") as marker:
        start = time.time()
        process = subprocess.Popen([sys.executable, str(PROBE), marker.name, mode],
                                   stdin=slave, stdout=slave, stderr=slave, env=env,
                                   start_new_session=True)
        os.close(slave)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
            os.close(master)
        reader.join(timeout=5)
        text = Path(marker.name).read_text().split()
    if len(text) != 2:
        raise RuntimeError(f"{mode}: the app exited without painting (exit {process.returncode})")
    return float(text[0]) - start, text[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--size", default="120x40", help="terminal size, COLSxROWS")
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    home = tempfile.mkdtemp(prefix="pai-bench-")
    env = cached_bytecode({**os.environ, "PAI_HOME": home, "TERM": "xterm-256color"}, Path(home))
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "PAI_DATABASE_URL"):
        env.pop(name, None)

    time_to_ready("pai", size, env)  # warm-up: bytecode caches, first database
    time_to_ready("bare", size, env)
    bare, pai = [], []
    for _ in range(args.runs):
        bare.append(time_to_ready("bare", size, env)[0])
        seconds, focused = time_to_ready("pai", size, env)
        if focused != "chat-input":
            raise SystemExit(f"pai painted with the focus on {focused!r}, not the chat input")
        pai.append(seconds)

    b, p = statistics.median(bare), statistics.median(pai)
    print(f"startup to first painted frame, {args.size}, median of {args.runs} runs")
    print(f"  bare Textual app (one Static): {b * 1000:7.1f} ms")
    print(f"  pai (four panes, input focused): {p * 1000:5.1f} ms")
    print(f"  ratio pai / bare: {p / b:.2f}  (target <= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
