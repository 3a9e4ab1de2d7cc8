"""Running an argument vector safely: the one place pai spawns processes.

A program runs from an argument vector (never a shell) in its own process group, so that one that
hangs is killed *with its children* (SIGTERM, then SIGKILL after a grace); with a timeout, stdin
passed through (or closed, so it never waits on the terminal), stdout and stderr read
concurrently and capped while reading (memory stays bounded whatever it prints), and, when the
caller builds it with `scrubbed_environment`, an environment without the user's secrets.

Skill tools, hooks, the voice player and applying upgrades all run programs this way; this
module knows nothing about any of them (`skills/tools.py` decides what a skill's tool may see).

What a program leaves behind is killed: when it exits, anything still in its process group, and
the descendants that left the group (`setsid`) but kept the marker variable PAI_RUN_ID that every
run gets (found in /proc; Linux). Output pipes still held open by such a descendant are read for
at most EXIT_GRACE after the program exits, then closed: the run reports the program's own exit
code. The limit, said honestly: a descendant that both leaves the group and clears its
environment (`setsid env -i ...`) is not found; it is only cut off from pai's pipes.

Secrets: `scrubbed_environment` (in `scrub.py`, re-exported here) builds an environment without
the user's secrets; `redact` replaces known secret values in what the program prints, before
it is kept or passed to a callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pai_tui.scrub import Redactor, is_secret_name, scrubbed_environment

__all__ = ["ProcessRun", "is_secret_name", "run", "run_blocking", "scrubbed_environment"]

CHUNK = 64 * 1024  # bytes read from a pipe at a time
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL

EXIT_GRACE = 0.5  # seconds pipes are read after the program exited (a child may hold them)
MARKER = "PAI_RUN_ID"  # in every run's environment: how its escaped descendants are found

OutputCallback = Callable[[bytes], object]


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
              start_error: Callable[[OSError], str] | None = None,
              redact: Mapping[str, str] | None = None) -> ProcessRun:
    """Run `argv` in its own process group and wait for it (at most `timeout` s).

    `on_stdout` / `on_stderr` get every chunk as it arrives, uncapped (for piping and progress);
    `output_cap` bytes of each stream are what the returned ProcessRun keeps. `redact` maps
    secret values to what replaces them in both streams, before either sees a byte. Cancelling
    the coroutine kills the program and its children (SIGTERM, then SIGKILL after `grace` s)
    and re-raises. A program that cannot start is a ProcessRun with `error`, worded by
    `start_error` (default: `start_problem` naming argv[0])."""
    argv = list(argv)
    started = time.monotonic()
    marker = f"{os.getpid()}-{next(_RUNS)}-{os.urandom(6).hex()}"
    spawning = asyncio.ensure_future(_spawn(argv, stdin, cwd, {**env, MARKER: marker}))
    try:
        process, exited = await asyncio.shield(spawning)
    except asyncio.CancelledError:
        await _abandon(spawning, marker)
        raise
    except OSError as error:
        problem = (start_error(error) if start_error is not None
                   else start_problem(error, cwd, name=argv[0]))
        return ProcessRun(argv, None, error=problem, timeout=timeout)
    out = _Sink(_Capture(output_cap), on_stdout, redact)
    err = _Sink(_Capture(output_cap), on_stderr, redact)
    task = asyncio.ensure_future(_communicate(process, exited, stdin, out, err, marker))
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    timed_out = False
    try:
        exit_code: int | None = await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        timed_out, exit_code = True, None
        await _stop(process, task, grace, marker)
    except BaseException:  # cancelled, or a callback failed: the program must not outlive us
        await _stop(process, task, grace, marker)
        raise
    return ProcessRun(argv, exit_code, out.capture.text(), err.capture.text(),
                      time.monotonic() - started, timed_out, max(out.capture.cut, 0),
                      max(err.capture.cut, 0), timeout=timeout)


def run_blocking(argv: Sequence[str], **options: Any) -> ProcessRun:
    """`run` for a caller that blocks (a worker thread): the same runner, caps and timeout.
    On a thread that runs an event loop it runs on a helper thread (a loop cannot nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run(argv, **options))
    with ThreadPoolExecutor(1, thread_name_prefix="pai-run") as pool:
        return pool.submit(lambda: asyncio.run(run(argv, **options))).result()


_RUNS = itertools.count(1)


class _Protocol(asyncio.subprocess.SubprocessStreamProtocol):
    """asyncio's own protocol, plus `exited`: done when the program itself exits. (Its
    `Process.wait()` also waits for the pipes to close, which a descendant can put off.)"""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(limit=CHUNK, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


async def _spawn(argv: list[str], stdin: bytes | None, cwd: str | os.PathLike[str] | None,
                 env: Mapping[str, str]) -> tuple[asyncio.subprocess.Process,
                                                  asyncio.Future[None]]:
    """Start `argv` as asyncio.create_subprocess_exec would, in a session of its own (its
    own process group: killed with its children); also return the future of its exit."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        lambda: _Protocol(loop), *argv,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
        start_new_session=True)
    return asyncio.subprocess.Process(transport, protocol, loop), protocol.exited


class _Sink:
    """Where one stream's bytes go: through the redactor, into the capture and the callback."""

    def __init__(self, capture: _Capture, callback: OutputCallback | None,
                 redact: Mapping[str, str] | None):
        self.capture, self.callback = capture, callback
        # Asked to redact: known values, and whatever is shaped like a key.
        self.redactor = Redactor(redact, shapes=True) if redact is not None else None

    def put(self, chunk: bytes, *, last: bool = False) -> None:
        if self.redactor is not None:
            chunk = self.redactor.feed(chunk) + (self.redactor.flush() if last else b"")
        if chunk:
            self.capture.add(chunk)
            if self.callback is not None:
                self.callback(chunk)


async def _communicate(process: asyncio.subprocess.Process, exited: asyncio.Future[None],
                       stdin: bytes | None, out: _Sink, err: _Sink, marker: str) -> int:
    """Feed stdin and drain both pipes at once (no deadlock on big outputs) until the program
    exits; then read what is left for at most EXIT_GRACE, kill what it left behind, and
    return its exit code."""

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

    async def pump(reader: asyncio.StreamReader | None, sink: _Sink) -> None:
        assert reader is not None
        while chunk := await reader.read(CHUNK):
            sink.put(chunk)
        sink.put(b"", last=True)

    parts = [asyncio.ensure_future(part) for part in
             (feed(), pump(process.stdout, out), pump(process.stderr, err))]
    io = asyncio.gather(*parts)
    try:
        await asyncio.wait({io, exited}, return_when=asyncio.FIRST_COMPLETED)
        if io.done():
            io.result()  # a callback failed: raised (and the caller kills the program)
        await exited  # the pipes may close first: it is about to exit, or closed them early
        await asyncio.wait({io}, timeout=EXIT_GRACE)
        await asyncio.to_thread(kill_leftovers, process.pid, marker)
        await _finish_reading(process, io)
    finally:  # a part still waiting on a pipe (or one that failed) leaves no reader behind
        for part in parts:
            part.cancel()
    if io.done() and not io.cancelled() and io.exception() is not None:
        io.result()  # a callback failed on the last bytes: raised
    code = process.returncode
    assert code is not None
    return code


async def _finish_reading(process: asyncio.subprocess.Process, io: asyncio.Future[Any]) -> None:
    """Read what the killed leftovers wrote last; pipes still open after a second belong to
    something we could not find, and are closed."""
    await asyncio.wait({io}, timeout=1.0)
    if not io.done():
        io.cancel()
        transport = getattr(process, "_transport", None)  # asyncio has no public close
        if transport is not None:
            transport.close()


async def _abandon(spawning: asyncio.Future[tuple[asyncio.subprocess.Process, Any]],
                   marker: str) -> None:
    """Cancelled while the program was starting: let it start, then kill it with its group.
    (asyncio's own clean-up of a cancelled start waits for the program to end by itself.)"""
    try:
        process, _ = await spawning
    except OSError:
        return
    signal_group(process.pid, signal.SIGKILL)
    kill_leftovers(process.pid, marker)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), KILL_GRACE)


async def _stop(process: asyncio.subprocess.Process, task: asyncio.Future[int],
                grace: float, marker: str) -> None:
    """SIGTERM to the process group, SIGKILL after `grace` s (or at once if we are cancelled
    while waiting) to it and to the descendants that left it, then stop reading pipes that
    something we could not find still holds."""
    signal_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait({task}, timeout=grace)
    finally:
        kill_leftovers(process.pid, marker)
    await _finish_reading(process, task)


def kill_leftovers(group: int, marker: str) -> None:
    """SIGKILL the process group `group` and every process whose environment carries
    `marker` (descendants that left the group), until none is found (they may fork)."""
    signal_group(group, signal.SIGKILL)
    for _ in range(5):
        found = marked_processes(marker)
        if not found:
            return
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def marked_processes(marker: str) -> list[int]:
    """The live processes of this user whose environment has MARKER=`marker` (from /proc; none
    where there is no /proc)."""
    wanted = f"{MARKER}={marker}".encode()
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:  # gone, or another user's
            continue
        if wanted in environ.split(b"\0"):
            found.append(int(entry))
    return found
