"""The loopback LLM server in a process of its own, so that it shares no GIL with the code
being measured nor with the benchmark's terminal reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class ServerProcess:
    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.llm_server", *args], cwd=REPO,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)
