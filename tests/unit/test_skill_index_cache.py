"""The skill index's cache: a warm index is the cold one (same skills, same findings), whatever
changed on disk in between is seen, and a cache that is damaged, from another pai or unwritable
is never the user's problem. Real files in the test's own PAI_HOME; the skills are aged past the
cache's racy window (as installed skills are), except where that window is the point."""

from __future__ import annotations

import logging
import marshal
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.skills.index import SkillIndex, load_index, load_roots
from pai_tui.skills.index_cache import cache_file
from tests.unit.test_skill_loading import skill_text, write

HOUR_NS = 3600 * 10**9
TABLE = ("## Workflow Routing\n\n| Workflow | Trigger | File |\n|---|---|---|\n"
         "| **Plan** | \"plan this\" | `Workflows/Plan.md` |\n")


def age(*paths: Path) -> None:
    """Make files an hour old, as installed skills are (not "just changed")."""
    then = time.time_ns() - HOUR_NS
    for path in paths:
        os.utime(path, ns=(then, then))


def view(index: SkillIndex) -> tuple[object, ...]:
    """All a user can see of an index: its skills (every field), findings and roots."""
    return list(index), index.findings(), index.roots


def files_seen(index: SkillIndex) -> int:
    """The SKILL.md files an index went through: loaded, shadowed or rejected."""
    return len(index) + len(index.rejected) + sum("shadowed" in f.message for f in index.warnings)


@pytest.fixture
def skills(home: HomePaths, tmp_path: Path) -> Path:
    """Skills in PAI_HOME/skills and in a second root: a routing table, warnings, a rejected
    file, a nested skill, and one shadowed by the first root."""
    extra = tmp_path / "extra"
    write(home.root, "config.toml", f'[skills]\nroots = ["{extra}"]\n')
    age(write(home.skills, "notes/SKILL.md", skill_text("notes", "Keeps notes. USE WHEN notes.")),
        write(home.skills, "planner/SKILL.md", skill_text("planner", "Plans.", body=TABLE)),
        write(home.skills, "Odd/SKILL.md", "---\nname: Odd\ndescription: Odd.\nextra: x\n"
                                            "metadata:\n  tags:\n    - a\n---\nBody.\n"),
        write(home.skills, "broken/SKILL.md", "no frontmatter here\n"),
        write(home.skills, "group/SKILL.md", skill_text("group", "A category.")),
        write(home.skills, "group/inner/SKILL.md", skill_text("inner", "Nested.")),
        write(extra, "notes/SKILL.md", skill_text("notes", "Shadowed by the first root.")),
        write(extra, "other/SKILL.md", skill_text("other", "From the second root.")))
    return home.skills


def index(home: HomePaths) -> SkillIndex:
    """The index as pai loads it (the cockpit, `pai skill list`, doctor): `load_index`."""
    return load_index(load_config(home))


def test_a_warm_index_is_the_cold_one_and_reads_no_file(home: HomePaths, skills: Path) -> None:
    cold = index(home)
    warm = index(home)
    assert (cold.reused, warm.reused) == (0, files_seen(cold))
    assert view(warm) == view(cold) == view(load_roots(cold.roots))  # and without a cache
    findings = [f.message for f in warm.findings()]
    assert any(m.startswith("not loaded: no frontmatter") for m in findings)
    assert any("shadowed" in m for m in findings)
    assert any("'extra' is not in the Agent Skills spec" in m for m in findings)
    assert warm.get("planner").routes[0].workflow == "Plan"  # type: ignore[union-attr]
    assert warm.get("odd").fields["metadata"] == {}  # type: ignore[union-attr]


def test_an_edited_skill_is_read_again_and_only_it(home: HomePaths, skills: Path) -> None:
    cold = index(home)
    write(skills, "notes/SKILL.md", skill_text("notes", "Edited. USE WHEN notes."))
    edited = index(home)
    assert edited.get("notes").description == "Edited. USE WHEN notes."  # type: ignore[union-attr]
    assert edited.reused == files_seen(cold) - 1
    assert view(edited) == view(load_roots(edited.roots))


def test_a_change_that_keeps_the_modification_time_is_seen(
        home: HomePaths, skills: Path) -> None:
    """As when it changes twice within one clock tick: its size (and change time) differ."""
    path = skills / "notes" / "SKILL.md"
    index(home)
    before = path.stat()
    path.write_text(skill_text("notes", "Rewritten within the same clock tick."))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert index(home).get("notes").description == (  # type: ignore[union-attr]
        "Rewritten within the same clock tick.")


def test_a_deleted_skill_disappears_and_a_new_one_appears(home: HomePaths,
                                                          skills: Path) -> None:
    cold = index(home)
    shutil.rmtree(skills / "planner")
    age(write(skills, "fresh/SKILL.md", skill_text("fresh", "New.")))
    warm = index(home)
    assert "planner" not in warm and warm.get("fresh").description == "New."  # type: ignore
    assert warm.reused == files_seen(cold) - 1
    assert view(index(home)) == view(warm) == view(load_roots(warm.roots))


def test_a_file_changed_in_the_last_seconds_is_read_again_next_time(home: HomePaths,
                                                                    skills: Path) -> None:
    """Its modification time may not change if it changes again within the same clock tick
    (a second or two on some file systems): it is not remembered until it is older."""
    cold = index(home)
    write(skills, "notes/SKILL.md", skill_text("notes", "Just changed."))
    assert index(home).reused == files_seen(cold) - 1
    assert index(home).reused == files_seen(cold) - 1  # still not trusted


@pytest.mark.parametrize("damage", [
    b"", b"not marshal at all", b"\xff" * 64, "truncated",
    marshal.dumps(("another pai", {})), marshal.dumps([1, 2, 3]),
])
def test_a_damaged_cache_is_ignored_logged_and_rebuilt(home: HomePaths, skills: Path,
                                                       damage: bytes | str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    cold = index(home)
    file = cache_file(home)
    data = file.read_bytes()
    file.write_bytes(data[:len(data) // 2] if damage == "truncated" else damage)
    with caplog.at_level(logging.INFO, logger="pai_tui.skills.index_cache"):
        rebuilt = index(home)
    assert view(rebuilt) == view(cold) and rebuilt.reused == 0
    assert any("ignored, rebuilt" in r.getMessage() for r in caplog.records)
    assert index(home).reused == files_seen(cold)


def test_a_damaged_entry_means_reading_that_file(home: HomePaths, skills: Path) -> None:
    cold = index(home)
    file = cache_file(home)
    key, entries = marshal.loads(file.read_bytes())
    name = str(skills / "notes" / "SKILL.md")
    entries[name] = (entries[name][0], ("skill", "too short"))
    file.write_bytes(marshal.dumps((key, entries)))
    warm = index(home)
    assert view(warm) == view(cold) and warm.reused == files_seen(cold) - 1


def test_the_cache_is_the_users_only(home: HomePaths, skills: Path) -> None:
    old = os.umask(0o022)
    try:
        index(home)
    finally:
        os.umask(old)
    file = cache_file(home)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert [p.name for p in file.parent.iterdir()] == [file.name]  # no temporary file left


def test_a_cache_that_cannot_be_written_is_no_error(home: HomePaths, skills: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    cache_file(home).mkdir(parents=True)  # a folder where the file should go
    with caplog.at_level(logging.INFO, logger="pai_tui.skills.index_cache"):
        first = index(home)
    assert view(first) == view(load_roots(first.roots))
    assert any("not written" in r.getMessage() for r in caplog.records)
    assert [p.name for p in cache_file(home).parent.iterdir()] == [cache_file(home).name]


def test_a_value_the_cache_cannot_hold_leaves_that_file_uncached(home: HomePaths,
                                                                skills: Path) -> None:
    """A YAML date is kept as a date; marshal cannot store one: that file is read each time."""
    age(write(skills, "dated/SKILL.md", "---\nname: dated\ndescription: Dated.\n"
                                        "metadata:\n  since: 2024-01-01\n---\n"))
    cold = index(home)
    warm = index(home)
    assert view(warm) == view(cold)
    assert warm.reused == files_seen(cold) - 1


def test_no_cache_is_written_without_a_pai_home(home: HomePaths, tmp_path: Path) -> None:
    root = tmp_path / "skills"
    age(write(root, "notes/SKILL.md", skill_text("notes")))
    assert len(load_roots([root], cache=cache_file(home))) == 1
    assert not home.root.exists()
