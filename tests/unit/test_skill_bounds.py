"""Nothing a SKILL.md holds can hang pai or grow it without bound: YAML aliases that expand
to billions of values (a "billion laughs") are refused with the file and line, metadata values
that are not scalars are dropped with a warning, and a file over the size cap is rejected with
its path and the reason while the other skills still load.

The commands run in a subprocess with a deadline and a memory ceiling, so that the defect shows
as a failure (timeout or MemoryError), never as a hung or swapping test run."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from pai_tui.skills.index import load_roots, read_skill
from pai_tui.skills.model import MAX_SKILL_BYTES
from pai_tui.skills.validate import validate_file
from tests.conftest import REPO

DEADLINE = 30  # seconds; the fixed commands answer in about one
MEMORY = 1 << 31  # 2 GB of address space: a bomb expanding in memory fails fast instead

# Nine levels of ten aliases each: 10**9 "lol" once expanded.
BOMB = """---
name: bomb
description: Looks harmless.
metadata:
  author: me
  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
  a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
  a3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
  a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
  a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
  a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
  a7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
  a8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
---

Say hello.
"""
BOMB_LINE = 4  # the `metadata:` line: the field whose values explode


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def pai(*args: str, home: Path, input: str = "") -> subprocess.CompletedProcess[str]:
    """The real `pai` command line, bounded in time and memory."""
    return subprocess.run([sys.executable, "-m", "pai_tui", *args], capture_output=True,
                          text=True, input=input, timeout=DEADLINE, cwd=REPO,
                          preexec_fn=limited,
                          env={**os.environ, "PAI_HOME": str(home), "COLUMNS": "200"})


def write(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "SKILL.md"
    path.write_text(text, encoding="utf-8")
    return path


def good(root: Path) -> Path:
    return write(root, "hello", "---\nname: hello\ndescription: Greets.\n---\n\nSay hi.\n")


# --- a billion laughs ------------------------------------------------------------------------

def test_validate_refuses_a_yaml_bomb_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "skills", "bomb", BOMB)
    done = pai("skill", "validate", str(path), home=tmp_path / "home")
    assert done.returncode == 1, done.stderr
    assert f"{path}:{BOMB_LINE}: " in done.stdout
    assert "aliases" in done.stdout and "more than" in done.stdout


def test_the_bomb_is_not_loaded_and_the_other_skills_are(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bomb = write(home / "skills", "bomb", BOMB)
    good(home / "skills")
    listed = pai("skill", "list", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "hello" in listed.stdout and "bomb" not in listed.stdout.split("\n", 1)[0]
    warned = pai("skill", "list", "--warnings", home=home)
    assert f"{bomb}:{BOMB_LINE}: not loaded: " in warned.stdout
    ran = pai("skill", "run", "bomb", "--tool", "any", home=home, input="hi")
    assert ran.returncode == 2
    assert "no skill named 'bomb'" in ran.stderr


def test_the_bomb_in_chat_is_an_unknown_slash_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home / "skills", "bomb", BOMB)
    good(home / "skills")
    routed = pai("route", "/bomb go", home=home)
    assert routed.returncode == 0, routed.stderr
    assert "error: no skill named bomb" in routed.stdout


def test_a_looping_alias_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "loop", "---\nname: loop\ndescription: d\nmetadata:\n"
                                   "  me: &me [*me]\n---\n")
    [finding] = validate_file(path)
    assert (finding.line, finding.severity) == (4, "error")
    assert "refers to itself" in finding.message


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    path = write(tmp_path, "aliased", "---\nname: aliased\ndescription: &d Greets people.\n"
                                      "metadata:\n  summary: *d\n---\n")
    skill = read_skill(path, tmp_path)
    assert skill.description == "Greets people."
    assert skill.metadata == {"summary": "Greets people."}


# --- metadata values are scalars ----------------------------------------------------------------

def test_metadata_values_that_are_not_scalars_are_dropped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "meta", "---\nname: meta\ndescription: d\nmetadata:\n"
                                   "  author: me\n  version: 2\n  tags: [a, b]\n"
                                   "  nested:\n    x: y\n---\n")
    skill = read_skill(path, tmp_path)
    assert skill.metadata == {"author": "me", "version": "2"}
    assert "tags" not in skill.fields["metadata"] and "nested" not in skill.fields["metadata"]
    dropped = {w.line: w.message for w in skill.warnings if "ignored" in w.message}
    assert dropped == {
        7: "'metadata' value of 'tags' must be text, not a list (quote it); it is ignored",
        8: "'metadata' value of 'nested' must be text, not a map (quote it); it is ignored"}


# --- routing tables are searched in linear time -------------------------------------------------

def test_a_long_blank_line_under_a_table_line_costs_linear_time(tmp_path: Path) -> None:
    """The separator line's pattern had two runs of blanks around an optional '|': a line of
    blanks under a `| Workflow |` line cost time quadratic in its length (20 KB: 4 s)."""
    home = tmp_path / "home"
    good(home / "skills")
    write(home / "skills", "wide", "---\nname: wide\ndescription: Wide.\n---\n"
                                  "| Workflow | Trigger |\n" + " " * 900_000 + "x\n")
    listed = pai("skill", "list", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "wide" in listed.stdout and "hello" in listed.stdout


# --- the size read is capped ------------------------------------------------------------------

def test_a_skill_file_over_the_cap_is_rejected_and_the_others_load(tmp_path: Path) -> None:
    root = tmp_path / "skills"
    good(root)
    huge = write(root, "huge", "---\nname: huge\ndescription: Big.\n---\n")
    with open(huge, "ab") as file:
        file.truncate(MAX_SKILL_BYTES + 1)  # sparse: costs no disk
    index = load_roots([root])
    assert [skill.name for skill in index] == ["hello"]
    [rejected] = index.rejected
    assert rejected.path == huge
    assert rejected.message == (f"not loaded: the file is {MAX_SKILL_BYTES + 1:,} bytes; a "
                                f"SKILL.md may be at most {MAX_SKILL_BYTES:,} (1 MB): move "
                                f"long material to references/")


def test_listing_a_300_mb_skill_costs_little_memory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    good(home / "skills")
    huge = write(home / "skills", "huge", "---\nname: huge\ndescription: Big.\n---\n")
    with open(huge, "ab") as file:
        file.truncate(300 * 1024 * 1024)
    # The peak is read from /proc (VmHWM): getrusage's counts the forking test process too.
    probe = ("import re\n"
             "from pai_tui.skills.index import load_roots\n"
             "from pathlib import Path\n"
             f"index = load_roots([Path({str(home / 'skills')!r})])\n"
             "status = open('/proc/self/status').read()\n"
             "peak = int(re.search(r'VmHWM:\\s+(\\d+)', status)[1]) // 1024\n"
             "print(sorted(s.name for s in index), len(index.rejected), peak)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=DEADLINE, cwd=REPO, preexec_fn=limited)
    assert done.returncode == 0, done.stderr[-2000:]
    names, rejected, peak_mb = done.stdout.rsplit(" ", 2)
    assert (names, int(rejected)) == ("['hello']", 1)
    assert int(peak_mb) < 150  # the interpreter and pai's modules; not the file
