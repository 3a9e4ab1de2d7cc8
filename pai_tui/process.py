"""Running an argument vector safely: the one place pai spawns processes.

A program runs from an argument vector (never a shell) in its own process group, so that one that
hangs is killed *with its children* (SIGTERM, then SIGKILL after a grace); with a timeout, stdin
passed through (or closed, so it never waits on the terminal), stdout and stderr read
concurrently and capped while reading (memory stays bounded whatever it prints), and, when the
caller builds it with `scrubbed_environment`, an environment without the user's secrets.

Skill tools, hooks, the voice player and applying upgrades all run programs this way; this
module knows nothing about any of them (`skills/tools.py` decides what a skill's tool may see).

The scrubbing rule (`scrubbed_environment`): the base environment minus
  - the names the caller hides (provider key variables, the secrets file's names, ...),
  - PAI_DATABASE_URL (it may hold a database password),
  - any variable whose last `_`-separated word is KEY, APIKEY, TOKEN, SECRET, PASSWORD, PASSWD,
    CREDENTIAL or CREDENTIALS (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, HF_TOKEN, ...);
except the names the caller keeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

CHUNK = 64 * 1024  # bytes read from a pipe at a time
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL

SECRET_WORDS = frozenset({"KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD",
                          "CREDENTIAL", "CREDENTIALS"})
ALWAYS_HIDDEN = ("PAI_DATABASE_URL",)

OutputCallback = Callable[[bytes], object]


# --- the environment ---------------------------------------------------------------------------

def is_secret_name(name: str) -> bool:
    """A variable named like a credential: its last `_`-separated word says so."""
    return name.upper().rsplit("_", 1)[-1] in SECRET_WORDS


def scrubbed_environment(base: Mapping[str, str], *, hide: Iterable[str] = (),
                         keep: Iterable[str] = ()) -> dict[str, str]:
    """`base` without secrets: the names in `hide`, ALWAYS_HIDDEN and every name that
    `is_secret_name`, except the names in `keep` (passed as they are in `base`)."""
    kept = set(keep)
    hidden = {*hide, *ALWAYS_HIDDEN}
    return {name: value for name, value in base.items()
            if name in kept or (name not in hidden and not is_secret_name(name))}


# --- running -----------------------------------------------------------------------------------

class _Capture:
    """The first and last halves of `cap` bytes of a stream, and a count of the rest: memory
    stays bounded whatever the program prints, and both its start and its end (where errors
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
class ProcessRun:
    """What a run did. Output is text to show literally (never as markup)."""

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
        program's own, 124 when it timed out, 126 when it could not start, 128+N for signal N."""
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


def signal_group(pid: int, sig: int) -> None:
    """Send `sig` to the process group that `pid` leads (one already gone: nothing to do)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def start_problem(error: OSError, cwd: str | os.PathLike[str] | None, *, name: str,
                  path: str | None = None) -> str:
    """Why a program could not start: its working folder `cwd` (the program called `name`),
    else the program itself (`path`, default `name`; a script may lack its #! line)."""
    if cwd is not None and error.filename is not None and str(error.filename) == str(cwd):
        return f"cannot start {name}: working folder {cwd}: {error.strerror}"
    hint = " (a script needs a #! line)" if error.errno == errno.ENOEXEC else ""
    return f"cannot start {path or name}: {error.strerror}{hint}"


async def run(argv: Sequence[str], *, timeout: float, output_cap: int, env: Mapping[str, str],
              stdin: bytes | None = None, cwd: str | os.PathLike[str] | None = None,
              on_stdout: OutputCallback | None = None,
              on_stderr: OutputCallback | None = None, grace: float = KILL_GRACE,
              start_error: Callable[[OSError], str] | None = None) -> ProcessRun:
    """Run `argv` in its own process group and wait for it (at most `timeout` s).

    `on_stdout` / `on_stderr` get every chunk as it arrives, uncapped (for piping and progress);
    `output_cap` bytes of each stream are what the returned ProcessRun keeps. Cancelling the
    coroutine kills the program and its children (SIGTERM, then SIGKILL after `grace` s) and
    re-raises. A program that cannot start is a ProcessRun with `error`, worded by `start_error`
    (default: `start_problem` naming argv[0])."""
    argv = list(argv)
    started = time.monotonic()
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
            start_new_session=True)  # its own process group: killed with its children
    except OSError as error:
        problem = (start_error(error) if start_error is not None
                   else start_problem(error, cwd, name=argv[0]))
        return ProcessRun(argv, None, error=problem, timeout=timeout)
    out, err = _Capture(output_cap), _Capture(output_cap)
    task = asyncio.ensure_future(_communicate(process, stdin, out, on_stdout, err, on_stderr))
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    timed_out = False
    try:
        exit_code: int | None = await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        timed_out, exit_code = True, None
        await _stop(process, task, grace)
    except BaseException:  # cancelled, or a callback failed: the program must not outlive us
        await _stop(process, task, grace)
        raise
    return ProcessRun(argv, exit_code, out.text(), err.text(), time.monotonic() - started,
                      timed_out, max(out.cut, 0), max(err.cut, 0), timeout=timeout)


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
            pass  # it did not read all of its input: not a failure of ours
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
    """SIGTERM to the process group, SIGKILL after `grace` s (or at once if we are cancelled
    while waiting), then stop reading pipes that something outside the group still holds."""
    signal_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait({task}, timeout=grace)
    finally:
        signal_group(process.pid, signal.SIGKILL)
    await asyncio.wait({task}, timeout=1.0)
    if not task.done():  # a process that left the group (setsid) still holds a pipe
        task.cancel()
        transport = getattr(process, "_transport", None)  # asyncio has no public close
        if transport is not None:
            transport.close()
