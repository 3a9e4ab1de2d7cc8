"""Nothing from outside reaches the terminal raw: every escape family, through every output path
of every command, arrives as visible text. Each command runs as a user runs it, its stdout a
real terminal (a PTY) and its stderr a pipe (stderr is filtered wherever it goes)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pai_tui.paths import HomePaths
from pai_tui.safe_text import printable
from tests.conftest import KEYS, REPO, point_providers_at, write_config
from tests.fakes.llm_server import FakeLLMServer, Reply

FAMILIES = {
    "csi": "<\x1b[2J\x1b[H>",  # clear the screen, cursor home
    "osc-title": "<\x1b]0;pwned\x07>",  # the window's title
    "osc52": "<\x1b]52;c;cm0gLXJmIH4=\x1b\\>",  # a clipboard write, ended by ST
    "c1": "<\x9b2J\x9d0;pwned\x9c\x85>",  # 8-bit CSI, OSC, ST and NEL
    "bidi": "<\u202etxt.exe\u202c\u2066x\u2069>",  # overrides and isolates
}
# What may never reach the terminal: C0 controls but tab and newline, DEL, C1, bidi marks.
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
OWN_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # pai's own colours (doctor's table) are fine


@dataclass
class Run:
    args: tuple[str, ...]
    stream: str  # "out" or "err": where the outside text is written
    shown: Callable[[str], str] = printable  # how it must look there
    input: bytes | None = None
    env: dict[str, str] | None = None


def _skill(home: HomePaths, payload: str, tool: str = "") -> None:
    folder = home.skills / "probe"
    (folder / "tools").mkdir(parents=True)
    (folder / "SKILL.md").write_text(f"---\nname: probe\ndescription: {json.dumps(payload)}\n"
                                     "---\nProbe.\n")
    if tool:
        (folder / "tools" / "emit.py").write_text(
            "import sys\nif '--help' in sys.argv: print('emit: print'); sys.exit()\n" + tool)


def ask_error(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    server.queue(Reply(status=400, error_message=payload))
    return Run(("ask", "hi"), "err")


def ask_retry(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    server.queue(Reply(status=529, retry_after=0, error_message=payload), Reply(text="ok"))
    return Run(("ask", "hi"), "err")


def ask_broken_stream(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    server.queue(Reply(n_tokens=3, error_after=2, error_message=payload))
    return Run(("ask", "hi"), "err")


def ask_answer(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    server.queue(Reply(tokens=[payload]))
    return Run(("ask", "hi"), "out")


def ask_json(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    server.queue(Reply(tokens=[payload]))
    return Run(("ask", "--json", "hi"), "out", shown=lambda p: "")


def skill_run_error(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    server.queue(Reply(status=400, error_message=payload))
    return Run(("skill", "run", "summarize", "some text"), "err")


def route_finding(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    (home.root / "routing.toml").write_text(
        f"[[rule]]\nkeywords = [\"x\"]\nskill = {json.dumps(payload)}\n")
    return Run(("route", "hello"), "err")


def skill_list(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    _skill(home, payload)  # a description's whitespace (NEL is whitespace) is collapsed
    return Run(("skill", "list"), "out", shown=lambda p: printable(" ".join(p.split())))


def skill_list_json(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    _skill(home, payload)
    return Run(("skill", "list", "--json"), "out", shown=lambda p: "")


def tool_stdout(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    _skill(home, "probe", tool=f"sys.stdout.write({payload!r})\n")
    return Run(("skill", "run", "probe", "--tool", "emit"), "out")


def tool_stderr(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    _skill(home, "probe", tool=f"sys.stderr.write({payload!r})\n")
    return Run(("skill", "run", "probe", "--tool", "emit"), "err")


def doctor(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    server.ollama_models = [payload]  # a local model's name, as Ollama lists it
    return Run(("doctor",), "out", env={"OLLAMA_HOST": f"127.0.0.1:{server.port}"})


def config_error(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    write_config(home, f"[chat]\nprovider = {json.dumps(payload)}\n")
    return Run(("ask", "hi"), "err", shown=lambda p: repr(p)[1:-1])


def config_path(home: HomePaths, server: FakeLLMServer, payload: str) -> Run:
    return Run(("config", "path", "--home"), "out",
               env={"PAI_HOME": str(home.root.parent / payload)})


PATHS = [ask_error, ask_retry, ask_broken_stream, ask_answer, ask_json, skill_run_error,
         route_finding, skill_list, skill_list_json, tool_stdout, tool_stderr, doctor,
         config_error, config_path]


def run_in_terminal(run: Run) -> tuple[str, str]:
    """The command with its stdout a 500-column terminal: what it showed there, and its stderr."""
    import pty

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 500, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "pai_tui", *run.args],
                               stdin=subprocess.PIPE, stdout=slave, stderr=subprocess.PIPE,
                               cwd=REPO, env={**os.environ, **KEYS, "COLUMNS": "500",
                                              **(run.env or {})})
    os.close(slave)
    _, err = process.communicate(run.input or b"", timeout=60)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return shown.decode(errors="replace").replace("\r\n", "\n"), err.decode(errors="replace")


def strings(value: object) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in strings(item)] if isinstance(value, list) else []


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.__name__)
def test_outside_text_reaches_the_terminal_only_as_visible_text(
        home: HomePaths, llm_server: FakeLLMServer, path: Callable[..., Run],
        family: str) -> None:
    point_providers_at(home, llm_server)
    payload = FAMILIES[family]
    run = path(home, llm_server, payload)
    out, err = run_in_terminal(run)
    written = out if run.stream == "out" else err
    assert not RAW.findall(OWN_STYLE.sub("", out)), out
    assert not RAW.findall(err), err
    if run.shown(payload):
        assert run.shown(payload) in written, (out, err)
    else:  # JSON: the same text, its unsafe characters escaped
        assert payload in strings(json.loads(out))


def test_a_pipe_still_gets_the_answer_and_a_tool_output_unchanged(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    point_providers_at(home, llm_server)
    payload = "".join(FAMILIES.values())
    llm_server.queue(Reply(tokens=[payload]))
    answer = subprocess.run([sys.executable, "-m", "pai_tui", "ask", "hi"], capture_output=True,
                            cwd=REPO, env={**os.environ, **KEYS}, stdin=subprocess.DEVNULL)
    assert answer.stdout.decode() == payload + "\n"
    tool_stdout(home, llm_server, payload)
    tool = subprocess.run([sys.executable, "-m", "pai_tui", "skill", "run", "probe", "--tool",
                           "emit"], capture_output=True, cwd=REPO, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PAI_HOME": str(Path(home.root))})
    assert tool.stdout.decode() == payload
