"""Agents' built-in tools for real: files in a temporary working folder, real subprocesses.
What a user would notice: each tool does its job, nothing outside the working folder is read
or written (`..`, absolute paths, symlinks that leave it), edits are exact or refused with the
file unchanged, outputs are capped and say so, and bash is bounded and never sees a secret."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pai_tui.agents import tools
from pai_tui.agents.names import BUILTIN_TOOLS
from pai_tui.agents.tools import (
    ToolOutcome,
    ToolRefused,
    Workspace,
    default_policy,
    run_tool,
    tool_specs,
)
from tests.builders import wait_gone


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The run's working folder, with an outside neighbour holding a secret file."""
    folder = tmp_path / "work"
    folder.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("outside secret\n")
    return folder


@pytest.fixture
def ws(root: Path) -> Workspace:
    return Workspace(root)


async def call(ws: Workspace, name: str, **arguments: Any) -> ToolOutcome:
    return await run_tool(ws, name, arguments)


# --- what the model is offered ---------------------------------------------------------------

def test_specs_offer_every_built_in_tool_with_an_object_schema() -> None:
    specs = tool_specs(BUILTIN_TOOLS)
    assert [spec.name for spec in specs] == list(BUILTIN_TOOLS)
    for spec in specs:
        assert spec.parameters["type"] == "object" and spec.description
        assert set(spec.parameters["required"]) <= set(spec.parameters["properties"])
    assert [s.name for s in tool_specs(["grep", "read"])] == ["grep", "read"]
    with pytest.raises(ValueError, match="no built-in tool called 'webfetch'"):
        tool_specs(["webfetch"])


def test_read_only_tools_default_to_allow_and_the_rest_ask() -> None:
    assert {name: default_policy(name) for name in BUILTIN_TOOLS} == {
        "read": "allow", "list": "allow", "glob": "allow", "grep": "allow",
        "write": "ask", "edit": "ask", "bash": "ask"}


async def test_arguments_are_checked_with_messages_a_model_can_act_on(ws: Workspace) -> None:
    cases = [
        ("read", {}, "read: 'path' is required"),
        ("read", {"path": 3}, "read: 'path' must be a string, not an integer"),
        ("read", {"path": "a", "start_line": True}, "'start_line' must be an integer"),
        ("read", {"path": "a", "lines": 3}, "unknown argument 'lines' (read takes path, "),
        ("bash", {}, "give either 'command'"),
        ("bash", {"command": "true", "argv": ["true"]}, "not both or neither"),
        ("bash", {"argv": ["echo", 1]}, "'argv' must be a list of strings"),
        ("bash", {"command": "true", "timeout": 601}, "at most 600 seconds"),
        ("frobnicate", {}, "no built-in tool called 'frobnicate'"),
    ]
    for name, arguments, message in cases:
        outcome = await run_tool(ws, name, arguments)
        assert outcome.is_error and message in outcome.content, (name, outcome.content)


# --- confinement -----------------------------------------------------------------------------

def escapes(root: Path) -> list[str]:
    """`..`, an absolute path elsewhere, and a symlink inside the root that leads out."""
    (root / "link").symlink_to(root.parent / "outside")
    (root / "file-link").symlink_to(root.parent / "outside" / "secret.txt")
    return ["../outside/secret.txt", "/etc/passwd", "link/secret.txt", "file-link"]


@pytest.mark.parametrize("name, arguments", [
    ("read", {}), ("list", {}), ("grep", {"pattern": "secret"}),
    ("write", {"content": "pwned"}), ("edit", {"old": "outside", "new": "pwned"})])
async def test_paths_outside_the_working_folder_are_refused(
        ws: Workspace, root: Path, name: str, arguments: dict[str, Any]) -> None:
    for path in escapes(root):
        outcome = await run_tool(ws, name, {**arguments, "path": path})
        assert outcome.is_error, (path, outcome.content)
        assert f"{name}: {path!r}" in outcome.content and "refused" in outcome.content
        assert "outside secret" not in outcome.content
    assert (root.parent / "outside" / "secret.txt").read_text() == "outside secret\n"


async def test_glob_never_leaves_the_working_folder(ws: Workspace, root: Path) -> None:
    escapes(root)
    for pattern in ("../outside/*", "/etc/*", "src/../../*"):
        outcome = await call(ws, "glob", pattern=pattern)
        assert outcome.is_error and "refused" in outcome.content, outcome.content
    outcome = await call(ws, "glob", pattern="link/*")
    assert outcome.is_error and "through a symlink: refused" in outcome.content
    everything = await call(ws, "glob", pattern="**/*")  # the symlinks' targets are not walked
    assert "secret.txt" not in everything.content and "outside" not in everything.content


def test_resolve_names_the_path_and_why(root: Path) -> None:
    ws = Workspace(root)
    escapes(root)
    with pytest.raises(ToolRefused, match=r"'\.\./x' is outside the working folder"):
        ws.resolve("../x")
    with pytest.raises(ToolRefused, match=r"'link/secret\.txt' leads outside .* symlink"):
        ws.resolve("link/secret.txt")
    with pytest.raises(ToolRefused, match="NUL byte"):
        ws.resolve("a\0b")
    assert ws.resolve(str(root / "a" / ".." / "b.txt")) == root.resolve() / "b.txt"
    assert ws.resolve("sub/../b.txt") == root.resolve() / "b.txt"


async def test_a_symlink_that_stays_inside_is_followed(ws: Workspace, root: Path) -> None:
    (root / "real.txt").write_text("inside\n")
    (root / "alias.txt").symlink_to("real.txt")
    outcome = await call(ws, "read", path="alias.txt")
    assert not outcome.is_error and "inside" in outcome.content


# --- read ------------------------------------------------------------------------------------

async def test_read_numbers_lines_and_takes_a_range(ws: Workspace, root: Path) -> None:
    (root / "notes.md").write_text("".join(f"line {n}\n" for n in range(1, 11)))
    whole = await call(ws, "read", path="notes.md")
    assert whole.content.splitlines()[0] == "     1\tline 1" and not whole.is_error
    assert len(whole.content.splitlines()) == 10
    part = await call(ws, "read", path="notes.md", start_line=3, end_line=4)
    assert part.content == "     3\tline 3\n     4\tline 4"
    past = await call(ws, "read", path="notes.md", start_line=50)
    assert past.is_error and "start_line 50 is past the end of notes.md (10 lines)" in past.content


async def test_read_refuses_binary_folders_and_missing_files(ws: Workspace, root: Path) -> None:
    (root / "image.png").write_bytes(b"\x89PNG\0\0\0")
    (root / "sub").mkdir()
    assert "image.png looks binary" in (await call(ws, "read", path="image.png")).content
    assert "sub is a folder" in (await call(ws, "read", path="sub")).content
    assert "no such file: nope.txt" in (await call(ws, "read", path="nope.txt")).content


async def test_read_output_is_capped_and_says_where_to_go_on(ws: Workspace, root: Path) -> None:
    (root / "big.txt").write_text("x" * 99 + "\n" + ("y" * 99 + "\n") * 5000)
    outcome = await call(ws, "read", path="big.txt")
    assert len(outcome.content) < tools.READ_CAP + 200
    last = outcome.content.splitlines()[-1]
    assert last.startswith(f"… cut at {tools.READ_CAP} bytes: read on with start_line=")


async def test_read_refuses_a_fifo_rather_than_hanging(ws: Workspace, root: Path) -> None:
    os.mkfifo(root / "pipe")
    outcome = await asyncio.wait_for(call(ws, "read", path="pipe"), 5)
    assert outcome.is_error and "pipe is not a regular file" in outcome.content


async def test_file_work_runs_off_the_event_loop(
        ws: Workspace, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "a.txt").write_text("a\n")
    seen: list[threading.Thread] = []
    original = tools._FILE_TOOLS["read"]

    def spy(workspace: Workspace, arguments: dict[str, Any]) -> str:
        seen.append(threading.current_thread())
        return original(workspace, arguments)

    monkeypatch.setitem(tools._FILE_TOOLS, "read", spy)
    await call(ws, "read", path="a.txt")
    assert seen and seen[0] is not threading.main_thread()


# --- list and glob ---------------------------------------------------------------------------

async def test_list_marks_folders_and_symlinks_sorted(ws: Workspace, root: Path) -> None:
    (root / "b.txt").write_text("")
    (root / "a").mkdir()
    (root / "c").symlink_to(root.parent / "outside")
    outcome = await call(ws, "list")
    assert outcome.content == "a/\nb.txt\nc@"
    assert (await call(ws, "list", path="a")).content == "(a is empty)"
    assert "b.txt is a file; use read" in (await call(ws, "list", path="b.txt")).content


async def test_list_is_capped(ws: Workspace, root: Path) -> None:
    for n in range(tools.LIST_CAP + 5):
        (root / f"f{n:05}").write_text("")
    lines = (await call(ws, "list")).content.splitlines()
    assert len(lines) == tools.LIST_CAP + 1 and lines[-1] == "… and 5 more entries"


async def test_glob_matches_relative_to_the_root(ws: Workspace, root: Path) -> None:
    for name in ("src/a.py", "src/pkg/b.py", "src/pkg/deep/c.py", "src/d.txt", "top.py",
                 ".git/hooks/x.py", "src/.hidden/e.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    found = (await call(ws, "glob", pattern="src/**/*.py")).content
    assert found.splitlines() == ["src/a.py", "src/pkg/b.py", "src/pkg/deep/c.py"]
    assert (await call(ws, "glob", pattern="*.py")).content == "top.py"
    assert (await call(ws, "glob", pattern="src/*")).content == "src/a.py\nsrc/d.txt\nsrc/pkg/"
    assert (await call(ws, "glob", pattern=".git/**/*.py")).content == ".git/hooks/x.py"
    assert (await call(ws, "glob", pattern="src/p?g/[ab].py")).content == "src/pkg/b.py"
    assert (await call(ws, "glob", pattern="*.rs")).content == "no paths match '*.rs'"


# --- grep ------------------------------------------------------------------------------------

async def test_grep_is_literal_unless_asked_for_a_regex(ws: Workspace, root: Path) -> None:
    (root / "a.txt").write_text("abc\na.c\nABC\n")
    literal = await call(ws, "grep", pattern="a.c")
    assert literal.content == "a.txt:2: a.c"
    regex = await call(ws, "grep", pattern="a.c", regex=True)
    assert regex.content == "a.txt:1: abc\na.txt:2: a.c"
    folded = await call(ws, "grep", pattern="abc", ignore_case=True)
    assert folded.content == "a.txt:1: abc\na.txt:3: ABC"
    bad = await call(ws, "grep", pattern="(", regex=True)
    assert bad.is_error and "grep: bad regex '(':" in bad.content
    none = await call(ws, "grep", pattern="zzz")
    assert not none.is_error and none.content == "no matches for 'zzz' in 1 files"


async def test_grep_skips_binary_files_and_hidden_folders(ws: Workspace, root: Path) -> None:
    (root / "text.py").write_text("needle = 1\n")
    (root / "blob.bin").write_bytes(b"needle\0\0\0")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("needle\n")
    outcome = await call(ws, "grep", pattern="needle")
    assert outcome.content == "text.py:1: needle = 1\n(1 binary files skipped)"
    only = await call(ws, "grep", pattern="needle", include="*.txt")
    assert only.content.startswith("no matches")


async def test_grep_output_is_capped_and_says_how_many_more(ws: Workspace, root: Path) -> None:
    (root / "many.txt").write_text("hit " + "x" * 1000 + "\n" + "hit\n" * (tools.GREP_CAP + 9))
    lines = (await call(ws, "grep", pattern="hit")).content.splitlines()
    assert len(lines) == tools.GREP_CAP + 1
    assert lines[0].endswith("…") and len(lines[0]) < tools.GREP_LINE + 20
    assert lines[-1].startswith("… and 10 more matching lines")


# --- write and edit --------------------------------------------------------------------------

async def test_write_creates_folders_and_says_what_it_wrote(ws: Workspace, root: Path) -> None:
    outcome = await call(ws, "write", path="a/b/c.txt", content="héllo\n")
    assert outcome.content == "wrote 7 bytes to a/b/c.txt (new file)" and not outcome.is_error
    assert (root / "a/b/c.txt").read_text() == "héllo\n"
    again = await call(ws, "write", path="a/b/c.txt", content="bye\n")
    assert again.content == "wrote 4 bytes to a/b/c.txt (replaced)"


async def test_write_replaces_atomically_keeping_the_mode(ws: Workspace, root: Path) -> None:
    script = root / "run.sh"
    script.write_text("old\n")
    script.chmod(0o755)
    os.link(script, root / "hardlink")  # still the old file if the write swapped, not scribbled
    await call(ws, "write", path="run.sh", content="new\n")
    assert script.read_text() == "new\n" and (root / "hardlink").read_text() == "old\n"
    assert script.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in root.iterdir()) == ["hardlink", "run.sh"]  # no temp left


async def test_a_failed_write_leaves_the_file_and_no_temporary(
        ws: Workspace, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "keep.txt").write_text("original\n")

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    outcome = await call(ws, "write", path="keep.txt", content="new\n")
    assert outcome.is_error and "No space left on device" in outcome.content
    assert (root / "keep.txt").read_text() == "original\n"
    assert [p.name for p in root.iterdir()] == ["keep.txt"]


async def test_edit_replaces_text_that_occurs_exactly_once(ws: Workspace, root: Path) -> None:
    (root / "notes.md").write_text("one\ntwo\nthree\n")
    outcome = await call(ws, "edit", path="notes.md", old="two\n", new="2\n")
    assert outcome.content == "edited notes.md: replaced 1 occurrence at line 2"
    assert (root / "notes.md").read_text() == "one\n2\nthree\n"


@pytest.mark.parametrize("old, message", [
    ("four", "'old' was not found in notes.md"),
    ("two", "edit: 'old' occurs 3 times in notes.md; give more context so it occurs once"),
    ("", "'old' is empty")])
async def test_edit_is_refused_unless_old_occurs_once(
        ws: Workspace, root: Path, old: str, message: str) -> None:
    (root / "notes.md").write_text("one\ntwo\nthree\ntwo\ntwo\n")
    before = (root / "notes.md").read_bytes()
    outcome = await call(ws, "edit", path="notes.md", old=old, new="X")
    assert outcome.is_error and message in outcome.content, outcome.content
    assert (root / "notes.md").read_bytes() == before


# --- bash ------------------------------------------------------------------------------------

async def test_bash_runs_a_command_line_or_a_vector_in_the_root(ws: Workspace, root: Path) -> None:
    shell = await call(ws, "bash", command="pwd; echo oops >&2; exit 3")
    assert shell.is_error and shell.exit_code == 3
    assert shell.content.startswith("exit 3 after ")
    assert f"stdout:\n{root.resolve()}" in shell.content and "stderr:\noops" in shell.content
    vector = await call(ws, "bash", argv=["echo", "$HOME; rm -rf /"])  # no shell: literal
    assert vector.exit_code == 0 and not vector.is_error
    assert "$HOME; rm -rf /" in vector.content
    missing = await call(ws, "bash", argv=["no-such-program-xyz"])
    assert missing.is_error and missing.exit_code == 126 and "cannot start" in missing.content


async def test_bash_timeout_kills_the_children_too(ws: Workspace) -> None:
    started = time.monotonic()
    outcome = await call(ws, "bash", command="sleep 30 & echo $!; wait", timeout=1)
    assert time.monotonic() - started < 5
    assert outcome.is_error and outcome.exit_code == 124
    assert "timed out after 1 s" in outcome.content
    child = int(outcome.content.split("stdout:\n")[1].split()[0])
    assert wait_gone(child, 2.0), f"the background sleep {child} outlived the timeout"


async def test_bash_never_sees_a_secret(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-123")
    monkeypatch.setenv("GH_PAT", "x")
    monkeypatch.setenv("HARMLESS_SETTING", "visible")
    ws = Workspace(root)
    outcome = await call(ws, "bash", argv=["env"])
    assert "HARMLESS_SETTING=visible" in outcome.content
    assert "ANTHROPIC_API_KEY" not in outcome.content and "GH_PAT" not in outcome.content
    assert "sk-ant-test-123" not in outcome.content


async def test_known_secret_values_are_redacted_from_every_answer(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-123")
    (root / ".env").write_text("ANTHROPIC_API_KEY=sk-ant-test-123\n")
    ws = Workspace(root)
    for name, arguments in [("bash", {"command": "cat .env"}), ("read", {"path": ".env"}),
                            ("grep", {"pattern": "sk-ant", "path": ".env"})]:
        outcome = await run_tool(ws, name, arguments)
        assert "sk-ant-test-123" not in outcome.content, (name, outcome.content)
        assert "[redacted ANTHROPIC_API_KEY]" in outcome.content


async def test_bash_output_is_capped_and_says_so(ws: Workspace) -> None:
    outcome = await call(ws, "bash", command="head -c 300000 /dev/zero | tr '\\0' a")
    assert outcome.exit_code == 0 and len(outcome.content) < tools.BASH_CAP + 500
    assert f"… {300000 - tools.BASH_CAP} bytes cut …" in outcome.content
