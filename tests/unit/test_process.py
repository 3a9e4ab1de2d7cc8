"""Running a program for real: argument vectors (never a shell), timeouts and cancellation that
kill the program *and its children*, bounded output, stdin, exit codes, and an environment
scrubbed of secrets. Skill tools run this way (their own tests are in test_skill_tools.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from pai_tui import process
from pai_tui.process import ProcessRun, scrubbed_environment
from tests.builders import HANG_WITH_CHILD, running, wait_gone


def program(source: str) -> list[str]:
    """The argument vector that runs Python `source`; arguments may follow it."""
    return [sys.executable, "-c", textwrap.dedent(source).lstrip("\n")]


async def run(argv: list[str], **options: Any) -> ProcessRun:
    """`process.run` with the defaults a skill's tool gets (60 s, 1 MB, pai's environment)."""
    options = {"timeout": 60.0, "output_cap": 1_000_000, "env": dict(os.environ), **options}
    return await process.run(argv, **options)


# --- running -------------------------------------------------------------------------------

async def test_arguments_are_a_vector_never_a_shell(tmp_path: Path) -> None:
    victim = tmp_path / "x"
    victim.mkdir()
    echo = program("import json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    hostile = ["; rm -rf x", "$(touch pwned)", "`touch pwned2`", "*", "a b", "|cat", ""]
    result = await run([*echo, *hostile], cwd=tmp_path)
    assert result.ok and json.loads(result.stdout) == hostile
    assert victim.is_dir()
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


async def test_stdin_is_passed_through_and_closed_when_there_is_none() -> None:
    upper = program("import sys\nsys.stdout.write(sys.stdin.read().upper())\n")
    result = await run(upper, stdin="héllo\nworld".encode())
    assert result.stdout == "HÉLLO\nWORLD"
    result = await run(upper, timeout=10)  # no stdin: reads end of file, never the terminal
    assert result.ok and result.stdout == "" and not result.timed_out


async def test_a_big_stdin_and_big_outputs_do_not_deadlock() -> None:
    both = program("""
        import sys
        data = sys.stdin.buffer.read()
        sys.stderr.buffer.write(data)
        sys.stdout.buffer.write(data)
    """)
    data = os.urandom(3_000_000).hex().encode()  # 6 MB through each pipe
    result = await run(both, stdin=data, output_cap=20_000_000, timeout=30)
    assert result.ok and result.stdout.encode() == data and result.stderr.encode() == data


async def test_exit_code_and_stderr_are_kept() -> None:
    failing = program("""
        import sys
        print("partial result")
        print("bad input: line 3 has no '='", file=sys.stderr)
        sys.exit(3)
    """)
    result = await run(failing)
    assert (result.exit_code, result.ok, result.timed_out) == (3, False, False)
    assert result.stdout == "partial result\n"
    assert result.stderr == "bad input: line 3 has no '='\n"
    assert result.status().startswith("exit 3 after") and result.exit_status == 3
    text = result.as_text()
    assert "stdout:\npartial result" in text and "stderr:\nbad input" in text


async def test_a_program_killed_by_a_signal_says_which() -> None:
    crash = program("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    result = await run(crash)
    assert result.exit_code == -11 and not result.timed_out
    assert result.status().startswith("killed by SIGSEGV after") and result.exit_status == 139


async def test_timeout_kills_the_program_and_its_children() -> None:
    hang = program(HANG_WITH_CHILD)
    started = time.monotonic()
    result = await run(hang, timeout=1.0, grace=1.0)
    assert time.monotonic() - started < 10
    assert result.timed_out and result.exit_code is None and not result.ok
    assert result.status() == "timed out after 1 s: killed with its child processes"
    assert result.exit_status == 124  # as timeout(1) reports it
    child = int(result.stdout.split()[0])
    assert wait_gone(child), f"the program's child {child} outlived the timeout"


async def test_a_program_ignoring_sigterm_is_killed_after_the_grace() -> None:
    stubborn = program(HANG_WITH_CHILD)
    started = time.monotonic()
    result = await run([*stubborn, "--ignore-term"], timeout=0.5, grace=0.5)
    assert result.timed_out and time.monotonic() - started < 10
    assert wait_gone(int(result.stdout.split()[0]))


async def test_a_child_that_left_the_group_does_not_hold_the_run_open() -> None:
    escaper = program("""
        import subprocess, sys, time
        child = subprocess.Popen(["sleep", "300"], start_new_session=True)  # keeps our pipes
        print(child.pid, flush=True)
        sys.exit(3)
    """)
    started = time.monotonic()
    result = await run(escaper, timeout=30.0, grace=0.5)
    escaped = int(result.stdout.split()[0])
    try:
        # The program's own exit, soon after it exits; not "timed out" (124) at the limit.
        assert time.monotonic() - started < 5
        assert (result.exit_code, result.timed_out, result.exit_status) == (3, False, 3)
        assert wait_gone(escaped), "a child that left the group (setsid) outlived the run"
    finally:
        if running(escaped):
            os.kill(escaped, 9)


async def test_children_left_behind_are_killed_when_the_program_exits() -> None:
    # One stays in the group, one starts a session of its own; neither holds the pipes.
    leaver = program("""
        import subprocess
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        stays = subprocess.Popen(["sleep", "300"], **quiet)
        escapes = subprocess.Popen(["setsid", "sleep", "300"], **quiet)
        print(stays.pid, escapes.pid, flush=True)
    """)
    result = await run(leaver, timeout=30.0)
    pids = [int(pid) for pid in result.stdout.split()]
    try:
        assert result.ok and not result.timed_out
        for pid in pids:
            assert wait_gone(pid), f"{pid} outlived the program that started it"
    finally:
        for pid in pids:
            if running(pid):
                os.kill(pid, 9)


async def test_a_timeout_kills_children_that_left_the_group() -> None:
    escaper = program("""
        import subprocess, time
        child = subprocess.Popen(["setsid", "sleep", "300"])
        print(child.pid, flush=True)
        time.sleep(300)
    """)
    result = await run(escaper, timeout=1.0, grace=0.5)
    escaped = int(result.stdout.split()[0])
    try:
        assert result.timed_out and wait_gone(escaped)
    finally:
        if running(escaped):
            os.kill(escaped, 9)


def test_the_blocking_twin_runs_with_the_same_bounds_from_any_thread() -> None:
    flood = program("""
        import sys
        for _ in range(50):
            sys.stdout.buffer.write(b"x" * 1_000_000)
    """)
    result = process.run_blocking(flood, timeout=30.0, output_cap=1000, env=dict(os.environ))
    assert result.ok and result.stdout_cut == 50_000_000 - 1000

    async def inside_a_loop() -> ProcessRun:  # a caller on an event loop's thread
        return process.run_blocking(program("print('hi')"), timeout=30.0, output_cap=100,
                                    env=dict(os.environ))

    assert asyncio.run(inside_a_loop()).stdout == "hi\n"


async def test_secret_values_are_redacted_across_chunks() -> None:
    pieces = program("""
        import sys, time
        for piece in ("one: sk-se", "cret-va", "lue-1; two: pass", "word-two; no: pass."):
            sys.stdout.write(piece)
            sys.stdout.flush()
            time.sleep(0.05)
        sys.stderr.write("sk-secret-value-1")
    """)
    chunks: list[bytes] = []
    result = await run(pieces, on_stdout=chunks.append,
                       redact={"sk-secret-value-1": "[one]", "password-two": "[two]"})
    assert result.stdout == "one: [one]; two: [two]; no: pass." == b"".join(chunks).decode()
    assert result.stderr == "[one]"


async def test_cancelling_the_run_kills_the_program_and_its_children() -> None:
    hang = program(HANG_WITH_CHILD.replace(
        "print(child.pid, flush=True)", "import os\nprint(os.getpid(), child.pid, flush=True)"))
    printed = bytearray()
    line = asyncio.Event()

    def got(chunk: bytes) -> None:  # a line may come in pieces
        printed.extend(chunk)
        if b"\n" in printed:
            line.set()

    task = asyncio.create_task(run(hang, timeout=60, grace=0.5, on_stdout=got))
    await asyncio.wait_for(line.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    program_pid, child_pid = map(int, printed.split())
    assert wait_gone(program_pid) and wait_gone(child_pid)


async def test_output_is_capped_while_reading_with_a_visible_mark() -> None:
    flood = program("""
        import sys
        out = sys.stdout.buffer
        out.write(b"START")
        block = b"x" * 1_000_000
        for _ in range(60):
            out.write(block)
        out.write(b"END")
    """)
    tracemalloc.start()
    try:
        result = await run(flood, output_cap=1000, timeout=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    total = 60_000_000 + len("STARTEND")
    assert result.ok and result.truncated and result.stdout_cut == total - 1000
    assert result.stdout.startswith("START") and result.stdout.endswith("xxEND")
    assert f"\n… {total - 1000} bytes cut …\n" in result.stdout
    assert len(result.stdout) < 1100
    assert peak < 8_000_000, f"reading 60 MB held {peak} bytes at the peak"


async def test_a_program_that_cannot_start_is_a_run_with_the_reason(tmp_path: Path) -> None:
    result = await run([str(tmp_path / "missing")])
    assert result.exit_code is None and not result.ok and result.exit_status == 126
    assert result.status() == f"not run: cannot start {tmp_path / 'missing'}: " \
                              f"No such file or directory"
    result = await run(program("print(1)"), cwd=tmp_path / "nowhere")
    assert f"working folder {tmp_path / 'nowhere'}" in (result.error or "")


# --- the environment -------------------------------------------------------------------------

def test_the_scrubbed_environment_has_no_secrets_unless_kept() -> None:
    base = {"PATH": "/bin", "GITHUB_TOKEN": "ghp", "AWS_SECRET_ACCESS_KEY": "aws",
            "PAI_DATABASE_URL": "postgresql://u:pw@h/db", "MY_SERVICE": "s3cret",
            "TOKENIZERS_PARALLELISM": "false", "KEYBOARD_LAYOUT": "us", "HF_TOKEN": "hf"}
    env = scrubbed_environment(base, hide=["MY_SERVICE"], keep=["HF_TOKEN"])
    assert env == {"PATH": "/bin", "TOKENIZERS_PARALLELISM": "false", "KEYBOARD_LAYOUT": "us",
                   "HF_TOKEN": "hf"}


def test_names_like_a_credential_anywhere_are_scrubbed_with_a_short_allow_list() -> None:
    secret = ["ANTHROPIC_API_KEY_2", "OPENAI_API_KEY_OLD", "PGPASSWORD", "MYSQL_PWD", "GH_PAT",
              "SLACK_WEBHOOK_URL", "AWS_SESSION_TOKEN", "SMTP_PASS", "DB_PW", "SSH_AUTH_SOCK",
              "SESSION_COOKIE", "COOKIES", "MYTOKEN", "APIKEY", "GOOGLE_OAUTH_CLIENT_ID",
              "DB_CREDS", "SENTRY_DSN", "SESSION_MANAGER", "GPG_PASSPHRASE", "X_SECRETS"]
    harmless = ["PWD", "OLDPWD", "PATH", "HOME", "XDG_SESSION_TYPE", "XDG_SESSION_ID",
                "XDG_SESSION_CLASS", "XDG_SESSION_DESKTOP", "DESKTOP_SESSION",
                "DBUS_SESSION_BUS_ADDRESS", "TOKENIZERS_PARALLELISM", "KEYBOARD_LAYOUT",
                "GIT_AUTHOR_NAME", "XAUTHORITY", "PATHEXT", "MONKEY_MODE"]
    assert [n for n in secret if not process.is_secret_name(n)] == []
    assert [n for n in harmless if process.is_secret_name(n)] == []
    env = scrubbed_environment({n: "v" for n in secret + harmless})
    assert sorted(env) == sorted(harmless)


def test_urls_keep_their_place_without_credentials() -> None:
    base = {"DATABASE_URL": "postgres://u:pw@host/db",
            "HTTP_PROXY": "http://user:pw@proxy:3128", "https_proxy": "user:pw@proxy:8080",
            "MIRRORS": "https://a:b@one.example/x https://two.example/y?key=k1&page=2",
            "EMAIL": "ada@example.com", "NOTE": "see http://example.com/a@b"}
    assert scrubbed_environment(base) == {
        "DATABASE_URL": "postgres://host/db", "HTTP_PROXY": "http://proxy:3128",
        "https_proxy": "proxy:8080",
        "MIRRORS": "https://one.example/x https://two.example/y?key=REDACTED&page=2",
        "EMAIL": "ada@example.com", "NOTE": "see http://example.com/a@b"}


async def test_a_failing_callback_is_raised_and_the_program_does_not_outlive_it() -> None:
    hang = program(HANG_WITH_CHILD)
    pids: list[int] = []

    def broken(chunk: bytes) -> None:
        pids.append(int(chunk.split()[0]))
        raise BrokenPipeError("the terminal went away")

    with pytest.raises(BrokenPipeError, match="terminal went away"):
        await run(hang, on_stdout=broken, grace=0.5)
    assert pids and wait_gone(pids[0])


@pytest.mark.parametrize("turns", [0, 1, 2])
async def test_cancelled_while_starting_the_program_is_killed_at_once(turns: int,
                                                                     tmp_path: Path) -> None:
    """A cancel that lands while the program is being started (the voice's stop key, pressed
    as a clip begins) kills it; asyncio's own clean-up would wait for it to end by itself."""
    pid_file = tmp_path / "pid"
    task = asyncio.ensure_future(process.run(
        ["sh", "-c", f'echo $$ > "{pid_file}"; exec sleep 300'], timeout=600, output_cap=100,
        env=dict(os.environ), stdin=b"text"))
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)
    assert time.monotonic() - started < 5
    if pid_file.exists() and pid_file.read_text().strip():
        assert wait_gone(int(pid_file.read_text()))
