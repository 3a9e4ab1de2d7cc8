"""A skill's deterministic tools, and running one safely: code before prompts.

A tool is a file in one of the skill's tool folders. It runs from an argument vector (never a
shell) in its own process group, so that a tool that hangs is killed *with its children*; with a
timeout, stdin passed through (or closed, so it never waits on the terminal), stdout and stderr
read concurrently and capped while reading (memory stays bounded whatever it prints), and an
environment without the user's keys unless the skill declares it needs one.

The environment rule (`tool_environment`): the tool gets pai's environment minus
  - the built-in provider key variables (ANTHROPIC_API_KEY, OPENAI_API_KEY),
  - every `key_env` variable of the configured providers,
  - every name in pai's secrets file,
  - PAI_DATABASE_URL (it may hold a database password),
  - any variable whose last `_`-separated word is KEY, APIKEY, TOKEN, SECRET, PASSWORD, PASSWD,
    CREDENTIAL or CREDENTIALS (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, HF_TOKEN, ...);
except the names the skill declares in `metadata.needs-keys`, which are passed from the
environment, else from the secrets file. PAI_SKILL_DIR, PAI_HOME and PAI_PYTHON are set.

Timeouts: `metadata.tool-timeout` is seconds for every tool of the skill ("120"), per tool
("image=180 mermaid=5"), or both ("30 image=180"); else `config.skills.tool_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.llm.keys import KEY_VARIABLES
from pai_tui.paths import pai_home
from pai_tui.skills.model import Skill, skill_key

if TYPE_CHECKING:
    from pai_tui.config import Config

CHUNK = 64 * 1024  # bytes read from a pipe at a time
HELP_TIMEOUT = 5.0  # seconds for `TOOL --help`
HELP_CAP = 16 * 1024  # bytes of --help output kept
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL

# Files in a tools folder that are data or documentation, not tools (unless executable).
NOT_TOOLS = frozenset({".md", ".txt", ".rst", ".json", ".yaml", ".yml", ".toml", ".lock",
                       ".cfg", ".ini", ".csv", ".pyc"})
SECRET_WORDS = frozenset({"KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD",
                          "CREDENTIAL", "CREDENTIALS"})
ALWAYS_HIDDEN = ("PAI_DATABASE_URL",)

OutputCallback = Callable[[bytes], object]


@dataclass(frozen=True)
class Tool:
    """One tool of one skill, with what the runner needs from the skill's metadata."""

    skill: str  # the skill's name
    name: str  # the file name without its suffix
    path: Path
    folder: Path  # the skill's folder (PAI_SKILL_DIR)
    safe: bool = False  # listed in the skill's `metadata.safe-tools`
    needs_keys: tuple[str, ...] = ()  # variables the skill declares in `metadata.needs-keys`
    timeout: float | None = None  # from `metadata.tool-timeout`; None: the configured default

    @property
    def qualified(self) -> str:
        """`skill/tool`, as permissions in config.toml name it."""
        return f"{skill_key(self.skill)}/{self.name}"

    @property
    def command(self) -> list[str] | None:
        """How to run it: `.py` with pai's own interpreter (whatever its mode), an executable
        directly; None for any other file."""
        if self.path.suffix.lower() == ".py":
            return [sys.executable, str(self.path.absolute())]
        if os.access(self.path, os.X_OK):
            return [str(self.path.absolute())]
        return None

    @property
    def runnable(self) -> bool:
        return self.command is not None

    @property
    def problem(self) -> str | None:
        """Why it cannot run, or None."""
        if self.runnable:
            return None
        return (f"{self.path} cannot run: it is neither executable nor a .py file "
                f"(make it executable with `chmod +x {self.path}` and start it with a #! line)")


def _is_tool_file(path: Path) -> bool:
    if path.name.startswith("_"):  # helper modules such as _common.py or __init__.py
        return False
    return path.suffix.lower() not in NOT_TOOLS or os.access(path, os.X_OK)


def parse_tool_timeouts(text: str) -> tuple[float | None, dict[str, float], list[str]]:
    """`metadata.tool-timeout` read: (seconds for every tool, seconds per tool key, problems).

    Problems name the bad word, for the validator; bad words are otherwise ignored."""
    default: float | None = None
    per_tool: dict[str, float] = {}
    problems: list[str] = []
    for word in re.split(r"[\s,]+", text.strip()):
        if not word:
            continue
        name, _, raw = word.rpartition("=")
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0) or (name == "" and "=" in word):
            problems.append(f"tool-timeout: {word!r} is not seconds (write \"120\" for every "
                            "tool, or \"name=seconds\" pairs)")
        elif name:
            per_tool[skill_key(name)] = seconds
        else:
            default = seconds
    return default, per_tool, problems


def tools_of(skill: Skill) -> list[Tool]:
    """The skill's tools, read from disk now (progressive disclosure). Two files with one name
    (`x.py`, `x.sh`): the first in folder order (tools/, Tools/, scripts/), then name order."""
    if skill.kind != "skill":
        return []
    default, per_tool, _ = parse_tool_timeouts(skill.metadata.get("tool-timeout", ""))
    safe = {skill_key(name) for name in skill.safe_tools}
    found: dict[str, Tool] = {}
    for path in skill.tool_files():
        if not _is_tool_file(path):
            continue
        key = skill_key(path.stem)
        if key in found:
            continue
        found[key] = Tool(
            skill=skill.name, name=path.stem, path=path, folder=skill.folder,
            safe=key in safe or skill_key(path.name) in safe, needs_keys=skill.needs_keys,
            timeout=per_tool.get(key, default))
    return list(found.values())


def find_tool(skill: Skill, name: str) -> Tool | None:
    """The tool called `name`, with or without its suffix, in any case and `_`/`-` spelling."""
    wanted = skill_key(name)
    for tool in tools_of(skill):
        if wanted in (skill_key(tool.name), skill_key(tool.path.name)):
            return tool
    return None


def is_secret_name(name: str) -> bool:
    """A variable named like a credential: its last `_`-separated word says so."""
    return name.upper().rsplit("_", 1)[-1] in SECRET_WORDS


def tool_environment(tool: Tool, *, home: Path | None = None,
                     base: Mapping[str, str] | None = None,
                     allowed_keys: Iterable[str] | None = None,
                     key_variables: Iterable[str] = (),
                     secrets: Mapping[str, str] | None = None,
                     unbuffered: bool = False) -> dict[str, str]:
    """The tool's environment: `base` (default os.environ) without keys, except those allowed
    (default: the skill's `needs-keys`), which come from `base`, else from `secrets`."""
    source = dict(os.environ if base is None else base)
    secrets = secrets or {}
    allowed = set(tool.needs_keys if allowed_keys is None else allowed_keys)
    hidden = {*KEY_VARIABLES, *key_variables, *secrets, *ALWAYS_HIDDEN}
    env = {name: value for name, value in source.items()
           if name in allowed or (name not in hidden and not is_secret_name(name))}
    for name in allowed:
        if not env.get(name) and secrets.get(name):
            env[name] = secrets[name]
    env["PAI_SKILL_DIR"] = str(tool.folder)
    env["PAI_HOME"] = str(home if home is not None else pai_home())
    env["PAI_PYTHON"] = sys.executable
    if unbuffered:  # a Python tool's output arrives as it is printed, not when it exits
        env["PYTHONUNBUFFERED"] = "1"
    return env


class _Capture:
    """The first and last halves of `cap` bytes of a stream, and a count of the rest: memory
    stays bounded whatever the tool prints, and both its start and its end (where errors
    usually are) stay visible."""

    def __init__(self, cap: int):
        cap = max(cap, 0)
        self.head_cap, self.tail_cap = cap - cap // 2, cap // 2
        self.head, self.tail = bytearray(), bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk and self.tail_cap:
            self.tail += chunk
            if len(self.tail) > 2 * self.tail_cap:  # trimmed now and then, not per chunk
                del self.tail[:-self.tail_cap]

    def _kept_tail(self) -> bytes:
        return bytes(self.tail[-self.tail_cap:]) if self.tail_cap else b""

    @property
    def cut(self) -> int:
        return self.total - len(self.head) - len(self._kept_tail())

    def text(self) -> str:
        tail = self._kept_tail()
        head = self.head.decode("utf-8", errors="replace")
        if self.cut <= 0:
            return (bytes(self.head) + tail).decode("utf-8", errors="replace")
        return (f"{head}\n… {self.cut} bytes cut …\n"
                f"{tail.decode('utf-8', errors='replace')}")


@dataclass(frozen=True)
class ToolRun:
    """What a tool run did. Output is text to show literally (never as markup)."""

    argv: list[str]
    exit_code: int | None  # None: it never started, or pai killed it (timeout)
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0  # seconds
    timed_out: bool = False
    stdout_cut: int = 0  # bytes left out of `stdout` (the cap)
    stderr_cut: int = 0
    error: str | None = None  # why it could not start
    timeout: float | None = None  # the limit it ran under

    @property
    def truncated(self) -> bool:
        return bool(self.stdout_cut or self.stderr_cut)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def exit_status(self) -> int:
        """The exit status for a command line, as shells and `timeout(1)` report it: the
        tool's own, 124 when it timed out, 126 when it could not start, 128+N for signal N."""
        if self.error:
            return 126
        if self.timed_out or self.exit_code is None:
            return 124
        return 128 - self.exit_code if self.exit_code < 0 else self.exit_code

    def status(self) -> str:
        """One line: how it ended."""
        if self.error:
            return f"not run: {self.error}"
        if self.timed_out:
            return (f"timed out after {self.timeout or self.duration:g} s: killed with its "
                    "child processes")
        assert self.exit_code is not None
        if self.exit_code < 0:
            try:
                name = signal.Signals(-self.exit_code).name
            except ValueError:
                name = f"signal {-self.exit_code}"
            return f"killed by {name} after {self.duration:.2f} s"
        return f"exit {self.exit_code} after {self.duration:.2f} s"

    def as_text(self) -> str:
        """The status, then stdout and stderr: what the model and a log are given."""
        parts = [self.status()]
        if self.stdout:
            parts.append(f"stdout:\n{self.stdout}")
        if self.stderr:
            parts.append(f"stderr:\n{self.stderr}")
        if not (self.stdout or self.stderr or self.error):
            parts.append("(no output)")
        return "\n\n".join(parts)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _start_problem(tool: Tool, error: OSError, cwd: str | os.PathLike[str] | None) -> str:
    if cwd is not None and error.filename is not None and str(error.filename) == str(cwd):
        return f"cannot start {tool.name}: working folder {cwd}: {error.strerror}"
    hint = " (a script needs a #! line)" if error.errno == errno.ENOEXEC else ""
    return f"cannot start {tool.path}: {error.strerror}{hint}"


async def run_tool(tool: Tool, args: Sequence[str] = (), *, stdin: bytes | None = None,
                   cwd: str | os.PathLike[str] | None = None, timeout: float | None = None,
                   output_cap: int = 1_000_000, env_base: Mapping[str, str] | None = None,
                   allowed_keys: Iterable[str] | None = None, key_variables: Iterable[str] = (),
                   secrets: Mapping[str, str] | None = None, home: Path | None = None,
                   on_stdout: OutputCallback | None = None,
                   on_stderr: OutputCallback | None = None,
                   grace: float = KILL_GRACE) -> ToolRun:
    """Run `tool` with `args` and wait for it (at most `timeout` s, default tool.timeout or 60).

    `on_stdout` / `on_stderr` get every chunk as it arrives, uncapped (for piping and progress);
    the cap applies to what the returned ToolRun keeps. Cancelling the coroutine kills the tool
    and its children (SIGTERM, then SIGKILL after `grace` s) and re-raises."""
    limit = timeout if timeout is not None else (tool.timeout or 60.0)
    command = tool.command
    argv = [*(command or [str(tool.path)]), *(str(a) for a in args)]
    if command is None:
        return ToolRun(argv, None, error=tool.problem, timeout=limit)
    env = tool_environment(tool, home=home, base=env_base, allowed_keys=allowed_keys,
                           key_variables=key_variables, secrets=secrets,
                           unbuffered=on_stdout is not None)
    started = time.monotonic()
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
            start_new_session=True)  # its own process group: killed with its children
    except OSError as error:
        return ToolRun(argv, None, error=_start_problem(tool, error, cwd), timeout=limit)
    out, err = _Capture(output_cap), _Capture(output_cap)
    task = asyncio.ensure_future(_communicate(process, stdin, out, on_stdout, err, on_stderr))
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    timed_out = False
    try:
        exit_code: int | None = await asyncio.wait_for(asyncio.shield(task), limit)
    except TimeoutError:
        timed_out, exit_code = True, None
        await _stop(process, task, grace)
    except BaseException:  # cancelled, or a callback failed: the tool must not outlive us
        await _stop(process, task, grace)
        raise
    return ToolRun(argv, exit_code, out.text(), err.text(), time.monotonic() - started,
                   timed_out, max(out.cut, 0), max(err.cut, 0), timeout=limit)


async def _communicate(process: asyncio.subprocess.Process, stdin: bytes | None,
                       out: _Capture, on_stdout: OutputCallback | None,
                       err: _Capture, on_stderr: OutputCallback | None) -> int:
    """Feed stdin and drain both pipes at once (no deadlock on big outputs), then reap."""

    async def feed() -> None:
        if process.stdin is None:
            return
        try:
            if stdin:
                process.stdin.write(stdin)
                await process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tool did not read all of its input: not a failure of ours
        finally:
            process.stdin.close()

    async def pump(reader: asyncio.StreamReader | None, capture: _Capture,
                   callback: OutputCallback | None) -> None:
        assert reader is not None
        while chunk := await reader.read(CHUNK):
            capture.add(chunk)
            if callback is not None:
                callback(chunk)

    await asyncio.gather(feed(), pump(process.stdout, out, on_stdout),
                         pump(process.stderr, err, on_stderr))
    return await process.wait()


async def _stop(process: asyncio.subprocess.Process, task: asyncio.Future[int],
                grace: float) -> None:
    """SIGTERM to the tool's group, SIGKILL after `grace` s (or at once if we are cancelled
    while waiting), then stop reading pipes that something outside the group still holds."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait({task}, timeout=grace)
    finally:
        _signal_group(process.pid, signal.SIGKILL)
    await asyncio.wait({task}, timeout=1.0)
    if not task.done():  # a process that left the group (setsid) still holds a pipe
        task.cancel()
        transport = getattr(process, "_transport", None)  # asyncio has no public close
        if transport is not None:
            transport.close()


async def run_skill_tool(config: Config, tool: Tool, args: Sequence[str] = (), *,
                         stdin: bytes | None = None, cwd: str | os.PathLike[str] | None = None,
                         on_stdout: OutputCallback | None = None,
                         on_stderr: OutputCallback | None = None) -> ToolRun:
    """`run_tool` with pai's settings: the timeout (the skill's, else `[skills] tool_timeout`),
    the output cap, PAI_HOME, the providers' key variables to hide and the secrets file."""
    from pai_tui.llm.keys import Secrets

    variables = [name for provider in config.providers.values()
                 for name in ([provider.key_env] if isinstance(provider.key_env, str)
                              else provider.key_env)]
    secrets = Secrets(config.home.root / "secrets.toml").values()
    return await run_tool(
        tool, args, stdin=stdin, cwd=cwd, timeout=tool.timeout or config.skills.tool_timeout,
        output_cap=config.skills.output_cap, key_variables=variables, secrets=secrets,
        home=config.home.root, on_stdout=on_stdout, on_stderr=on_stderr)


@dataclass(frozen=True)
class ToolHelp:
    text: str  # what `--help` printed (stdout, else stderr), capped
    problem: str | None = None  # why it does not describe the tool


_HELP_CACHE: dict[tuple[Path, int], ToolHelp] = {}


def tool_help(tool: Tool) -> ToolHelp:
    """`TOOL --help`, run once per file version (path and mtime). Blocking: call it off the UI
    loop (`asyncio.to_thread`)."""
    try:
        stamp = tool.path.stat().st_mtime_ns
    except OSError as error:
        return ToolHelp("", f"cannot read {tool.path}: {error.strerror}")
    key = (tool.path, stamp)
    if key not in _HELP_CACHE:
        _HELP_CACHE[key] = _run_help(tool)
    return _HELP_CACHE[key]


def help_text(tool: Tool) -> str:
    """What the tool says it does, or why it says nothing: shown to the model and in the UI."""
    described = tool_help(tool)
    return described.text if described.problem is None else f"({described.problem})"


def _run_help(tool: Tool) -> ToolHelp:
    command = tool.command
    if command is None:
        return ToolHelp("", tool.problem)
    env = tool_environment(tool, allowed_keys=())
    try:
        process = subprocess.Popen([*command, "--help"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                   cwd=tool.folder, start_new_session=True)
    except OSError as error:
        return ToolHelp("", _start_problem(tool, error, None))
    try:
        out, err = process.communicate(timeout=HELP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        process.communicate()
        return ToolHelp("", f"`{tool.name} --help` did not finish in {HELP_TIMEOUT:g} s")
    text = (out.strip() or err.strip())[:HELP_CAP].decode("utf-8", errors="replace")
    if process.returncode != 0:
        first = text.splitlines()[0] if text else "no output"
        return ToolHelp(text, f"`{tool.name} --help` exited {process.returncode}: {first}")
    if not text:
        return ToolHelp("", f"`{tool.name} --help` printed nothing")
    return ToolHelp(text)
