"""Loading skills: every oddity of real SKILL.md files loads with a warning that names the file
and line, what cannot be understood is skipped with the reason, and one bad file never stops the
others. Real files in temporary folders; `pai skill list` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pai_tui.cli.group import cli
from pai_tui.config import load_config
from pai_tui.paths import HomePaths, bundled
from pai_tui.skills.frontmatter import FrontmatterError, fast_fields, parse_frontmatter
from pai_tui.skills.index import (
    SkillIndex,
    load_index,
    load_roots,
    read_skill,
    workflow_routes,
)
from pai_tui.skills.model import Finding, WorkflowRoute
from tests.conftest import run_pai, write_config


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def skill_text(name: str, description: str = "Does a thing. USE WHEN thing.",
               body: str = "# Title\n\nDo it.\n") -> str:
    return f"---\nname: {name}\ndescription: {description}\n---\n{body}"


def messages(findings: list[Finding], path: Path | None = None) -> list[str]:
    return [f"{f.line}: {f.message}" for f in findings if path is None or f.path == path]


def only(index: SkillIndex, path: Path) -> list[str]:
    return messages(index.warnings + index.rejected, path)


# --- lenient loading ---------------------------------------------------------------------------

def test_clean_skill_loads_without_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "tidy/SKILL.md", skill_text("tidy", body="# Tidy\n\nSteps.\n"))
    index = load_roots([tmp_path])
    skill = index.get("tidy")
    assert skill is not None
    assert (skill.name, skill.description, skill.path, skill.root, skill.kind) == (
        "tidy", "Does a thing. USE WHEN thing.", path, tmp_path, "skill")
    assert skill.body_line == 5
    assert skill.body() == "# Tidy\n\nSteps."
    assert index.warnings == [] and index.rejected == []


def test_titlecase_name_loads_with_a_warning_and_any_spelling_finds_it(tmp_path: Path) -> None:
    path = write(tmp_path, "FirstPrinciples/SKILL.md", skill_text("FirstPrinciples"))
    index = load_roots([tmp_path])
    skill = index.get("firstprinciples")
    assert skill is not None and skill.name == "FirstPrinciples"
    assert index.get("FIRSTPRINCIPLES") is skill and "FirstPrinciples" in index
    assert only(index, path) == [
        "2: name 'FirstPrinciples' has capital letters; names are lowercase letters, digits and "
        "single hyphens"]


def test_lookup_accepts_case_underscores_hyphens_and_spaces(tmp_path: Path) -> None:
    write(tmp_path, "extract-wisdom/SKILL.md", skill_text("extract-wisdom"))
    index = load_roots([tmp_path])
    skill = index.get("extract-wisdom")
    assert skill is not None
    for spelling in ("Extract_Wisdom", "extract wisdom", "EXTRACT-WISDOM", " extract__wisdom "):
        assert index.get(spelling) is skill
    assert index.get("extract") is None


def test_extra_fields_are_kept_and_named_in_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "science/SKILL.md",
                 "---\nname: science\ndescription: Test ideas.\nimplements: Science\n"
                 "context: fork\n---\nbody\n")
    skill = load_roots([tmp_path]).get("science")
    assert skill is not None
    assert skill.fields == {"name": "science", "description": "Test ideas.",
                            "implements": "Science", "context": "fork"}
    assert [(f.line, f.message.split(" is not")[0]) for f in skill.warnings] == [
        (4, "field 'implements'"), (5, "field 'context'")]
    assert all(f.path == path and f.severity == "warning" for f in skill.warnings)


def test_name_differing_from_its_folder_loads_under_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, "video-downloader/SKILL.md", skill_text("youtube-downloader"))
    index = load_roots([tmp_path])
    assert index.get("youtube-downloader") is not None
    assert index.get("video-downloader") is None
    assert only(index, path) == [
        "2: name 'youtube-downloader' differs from its folder 'video-downloader'"]


def test_missing_name_uses_the_folder_name_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "nameless/SKILL.md", "---\ndescription: No name here.\n---\nbody\n")
    index = load_roots([tmp_path])
    skill = index.get("nameless")
    assert skill is not None and skill.description == "No name here."
    assert only(index, path) == ["1: no 'name' field (the folder name 'nameless' is used)"]


def test_name_that_is_not_text_uses_the_folder_name(tmp_path: Path) -> None:
    path = write(tmp_path, "listy/SKILL.md", "---\nname: [a, b]\ndescription: d\n---\n")
    index = load_roots([tmp_path])
    assert index.get("listy") is not None
    assert only(index, path) == ["2: 'name' must be text, not a list"]


@pytest.mark.parametrize("description", ["", '""'])
def test_missing_or_empty_description_loads_with_a_warning(tmp_path: Path,
                                                            description: str) -> None:
    text = "---\nname: quiet\n" + (f"description: {description}\n" if description else "")
    path = write(tmp_path, "quiet/SKILL.md", text + "---\nbody\n")
    index = load_roots([tmp_path])
    skill = index.get("quiet")
    assert skill is not None and skill.description == ""
    [warning] = only(index, path)
    assert "nothing tells the model or the router when to use this skill" in warning
    assert warning.startswith("3: ") if description else warning.startswith("1: ")


def test_unquoted_colon_in_description_is_read_as_text(tmp_path: Path) -> None:
    description = ("Research everything. USE WHEN user says 'research'. NOTE: For due "
                   "diligence, use OSINT instead.")
    path = write(tmp_path, "research/SKILL.md",
                 f"---\nname: research\ndescription: {description}\nimplements: Science\n---\n")
    index = load_roots([tmp_path])
    skill = index.get("research")
    assert skill is not None
    assert skill.description == description
    assert skill.fields["implements"] == "Science"
    warnings = only(index, path)
    assert warnings[0] == ("3: the value of 'description' is not valid YAML (a ': ' inside a "
                           "value that is not in quotes); it was read as quoted text: put it in "
                           "quotes to silence this")


def test_unquoted_colon_on_a_continued_line_keeps_later_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "multi/SKILL.md",
                 "---\nname: multi\ndescription: First line\n  second: with a colon\n"
                 "metadata:\n  author: me\n  version: 2\n---\nbody\n")
    index = load_roots([tmp_path])
    skill = index.get("multi")
    assert skill is not None
    assert skill.description == "First line second: with a colon"
    assert only(index, path)[0].startswith("3: the value of 'description' is not valid YAML")
    # The quoting kept the lines: the non-text metadata value is reported on its own line.
    assert "7: 'metadata' value of 'version' must be text, not a number (2) (quote it)" \
        in only(index, path)


def test_value_starting_with_a_reserved_character_is_read_as_text(tmp_path: Path) -> None:
    path = write(tmp_path, "tick/SKILL.md",
                 "---\nname: tick\ndescription: `pai` runs it: fast\n---\n")
    index = load_roots([tmp_path])
    assert index.get("tick").description == "`pai` runs it: fast"  # type: ignore[union-attr]
    assert only(index, path)[0].startswith(
        "3: the value of 'description' is not valid YAML (a value cannot start with '`' unless "
        "it is in quotes)")


def test_unquoted_colon_in_a_nested_metadata_value_is_read_as_text(tmp_path: Path) -> None:
    path = write(tmp_path, "nested/SKILL.md",
                 "---\nname: nested\ndescription: d\nmetadata:\n"
                 "  short-description: Notes: fast\n  calls: first-principles\n---\n")
    index = load_roots([tmp_path])
    skill = index.get("nested")
    assert skill is not None
    assert skill.metadata == {"short-description": "Notes: fast", "calls": "first-principles"}
    assert skill.calls == ("first-principles",)
    assert only(index, path)[0].startswith(
        "5: the value of 'short-description' is not valid YAML")


def test_blank_lines_before_the_frontmatter_load_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "spaced/SKILL.md", "\n\n" + skill_text("spaced"))
    index = load_roots([tmp_path])
    assert index.get("spaced").body() == "# Title\n\nDo it."  # type: ignore[union-attr]
    assert only(index, path) == [
        "3: the frontmatter starts on line 3, after blank lines; tools that expect '---' on "
        "line 1 will not see it"]


def test_crlf_file_loads_and_its_body_has_no_carriage_returns(tmp_path: Path) -> None:
    text = skill_text("crlf", body="# Title\n\nLine one.\nLine two.\n").replace("\n", "\r\n")
    write(tmp_path, "crlf/SKILL.md", text.encode())
    skill = load_roots([tmp_path]).get("crlf")
    assert skill is not None
    assert skill.description == "Does a thing. USE WHEN thing."
    assert skill.body() == "# Title\n\nLine one.\nLine two."


def test_non_ascii_text_is_kept_exactly(tmp_path: Path) -> None:
    description = "Résumé — analyse → 要約 😀, naïvely."
    write(tmp_path, "resume/SKILL.md", skill_text("resume", description, "# 要約\n\nÇa va.\n"))
    index = load_roots([tmp_path])
    skill = index.get("resume")
    assert skill is not None
    assert skill.description == description
    assert skill.body() == "# 要約\n\nÇa va."
    assert index.warnings == []


def test_non_ascii_name_loads_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "café/SKILL.md", skill_text("café"))
    index = load_roots([tmp_path])
    assert index.get("café") is not None
    assert only(index, path) == [
        "2: name 'café' has characters other than a-z, 0-9 and '-'; names are lowercase "
        "letters, digits and single hyphens"]


def test_html_comment_before_the_frontmatter(tmp_path: Path) -> None:
    path = write(tmp_path, "PAI/SKILL.md",
                 "<!-- PAI SKILL.md\n     core definition -->\n\n---\nname: PAI\n"
                 "description: The core.\n---\n# Intro\n")
    index = load_roots([tmp_path])
    skill = index.get("pai")
    assert skill is not None and skill.description == "The core."
    assert skill.body() == "# Intro"
    assert only(index, path)[0] == (
        "4: the frontmatter starts on line 4, after an HTML comment; tools that expect '---' "
        "on line 1 will not see it")


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "bom/SKILL.md", b"\xef\xbb\xbf" + skill_text("bom").encode())
    index = load_roots([tmp_path])
    skill = index.get("bom")
    assert skill is not None and skill.fields["name"] == "bom"
    assert skill.body() == "# Title\n\nDo it."
    assert index.warnings == []


def test_field_written_twice_warns_with_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "twice/SKILL.md",
                 "---\nname: twice\ndescription: first\ndescription: second\n---\n")
    index = load_roots([tmp_path])
    assert index.get("twice").description == "second"  # type: ignore[union-attr]
    assert only(index, path) == [
        "4: field 'description' is written twice (lines 3 and 4); the last one is used"]


def test_lowercase_skill_md_is_accepted_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "lower/skill.md", skill_text("lower"))
    index = load_roots([tmp_path])
    assert index.get("lower") is not None
    assert only(index, path) == [
        "1: the file is named 'skill.md'; the spec and Claude Code expect 'SKILL.md'"]


# --- rejections: a clear reason, and the others still load ---------------------------------

REJECTED = [
    ("# Just a title\n\nNo frontmatter.\n", 1, "no frontmatter: the file must start with a "
     "'---' line, then 'name:' and 'description:' lines, then another '---'"),
    ("---\nname: open\ndescription: never closed\n", 1,
     "the frontmatter is not closed: no '---' line after it"),
    ("---\nname: bad\ndescription: [unclosed, list\nlicense: MIT\n---\n", 4,
     "invalid YAML in the frontmatter: did not find expected ',' or ']' (in a flow sequence "
     "starting on line 3)"),
    ("---\nname: tabbed\nmetadata:\n\tauthor: me\n---\n", 4,
     "invalid YAML in the frontmatter: a tab where YAML expects spaces"),
    ("---\n- name\n- description\n---\n", 2,
     "the frontmatter is a list, not 'key: value' fields"),
    ("\n\n", 1, "no frontmatter: the file is empty"),
    ("---\nname: x\ndescription: one\nloose line\n---\n", 4,
     "invalid YAML in the frontmatter: a line that is neither 'key: value' nor an indented "
     "continuation of the value above it"),
    ("---\nname: x\ndescription: a\x01b\n---\n", 3,
     "invalid YAML in the frontmatter: a control character (#x0001) that YAML does not accept"),
    ("<!-- never closed\n---\nname: x\n---\n", 1,
     "an HTML comment ('<!--') is never closed with '-->'"),
]


@pytest.mark.parametrize(("text", "line", "reason"), REJECTED)
def test_file_that_cannot_be_understood_is_rejected_with_line_and_reason(
        tmp_path: Path, text: str, line: int, reason: str) -> None:
    bad = write(tmp_path, "bad/SKILL.md", text)
    write(tmp_path, "good/SKILL.md", skill_text("good"))
    index = load_roots([tmp_path])
    assert [s.name for s in index] == ["good"]
    [rejection] = index.rejected
    assert (rejection.path, rejection.line, rejection.severity) == (bad, line, "error")
    assert rejection.message == f"not loaded: {reason}"
    assert str(rejection) == f"{bad}:{line}: not loaded: {reason}"


def test_file_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    bad = write(tmp_path, "latin/SKILL.md", b"---\nname: latin\ndescription: caf\xe9\n---\n")
    index = load_roots([tmp_path])
    assert len(index) == 0
    assert messages(index.rejected, bad) == [
        "3: not loaded: not UTF-8 text (invalid continuation byte at byte 32)"]


def test_unreadable_file_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(FrontmatterError, match=r"cannot read the file \(No such file"):
        read_skill(tmp_path / "gone" / "SKILL.md", tmp_path)
    (tmp_path / "dir" / "SKILL.md").mkdir(parents=True)
    with pytest.raises(FrontmatterError, match=r"cannot read the file \(Is a directory\)"):
        read_skill(tmp_path / "dir" / "SKILL.md", tmp_path)


def test_broken_symlinks_are_rejected_with_their_target(tmp_path: Path) -> None:
    write(tmp_path, "good/SKILL.md", skill_text("good"))
    (tmp_path / "dangling").mkdir()
    (tmp_path / "dangling" / "SKILL.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "linked-skill").symlink_to(tmp_path / "moved-away")
    index = load_roots([tmp_path])
    assert [s.name for s in index] == ["good"]
    assert sorted(messages(index.rejected)) == [
        f"None: not loaded: broken symbolic link to {tmp_path / 'moved-away'} (No such file or "
        f"directory)",
        f"None: not loaded: broken symbolic link to {tmp_path / 'nowhere.md'} (No such file or "
        f"directory)"]


def test_symlinked_skill_folder_loads_and_a_link_cycle_ends(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, "linked/SKILL.md", skill_text("linked"))
    root = tmp_path / "root"
    root.mkdir()
    (root / "linked").symlink_to(elsewhere / "linked")
    (root / "loop").symlink_to(root)
    index = load_roots([root])
    assert [s.name for s in index] == ["linked"]
    assert index.warnings == []


# --- finding skills ------------------------------------------------------------------------

def test_nested_skills_are_found_but_not_inside_resource_folders(tmp_path: Path) -> None:
    write(tmp_path, "Thinking/SKILL.md", skill_text("Thinking"))
    write(tmp_path, "Thinking/Council/SKILL.md", skill_text("Council"))
    write(tmp_path, "Thinking/Council/Workflows/Debate.md", "# Debate\n")
    write(tmp_path, "Thinking/workflows/Odd/SKILL.md", skill_text("Odd"))
    write(tmp_path, "Utilities/Parser/SKILL.md", skill_text("Parser"))  # a plain folder above
    index = load_roots([tmp_path])
    assert [s.name for s in index] == ["Council", "Parser", "Thinking"]
    assert index.get("council").folder == tmp_path / "Thinking" / "Council"  # type: ignore[union-attr]


def test_git_node_modules_and_hidden_folders_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "real/SKILL.md", skill_text("real"))
    for folder in (".git", "node_modules", ".cache", "real/node_modules"):
        write(tmp_path, f"{folder}/decoy/SKILL.md", skill_text("decoy"))
    index = load_roots([tmp_path])
    assert [s.name for s in index] == ["real"]


def test_depth_bound_stops_the_search_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "a/b/c/SKILL.md", skill_text("c"))
    deep = write(tmp_path, "a/b/c/d/e/SKILL.md", skill_text("e"))
    index = load_roots([tmp_path], max_depth=3)
    assert [s.name for s in index] == ["c"]
    assert messages(index.warnings) == [
        f"None: not searched: deeper than 3 folders below {tmp_path}"]
    assert index.warnings[0].path == deep.parent.parent  # the first folder not searched


def test_count_bound_loads_the_first_skills_and_warns(tmp_path: Path) -> None:
    for n in range(5):
        write(tmp_path, f"s{n}/SKILL.md", skill_text(f"s{n}"))
    index = load_roots([tmp_path], max_skills=3)
    assert [s.name for s in index] == ["s0", "s1", "s2"]
    assert messages(index.warnings) == [
        "None: not loaded: the limit of 3 skills is reached (this and later ones)"]
    assert index.warnings[0].path == tmp_path / "s3" / "SKILL.md"


def test_iteration_order_is_by_name_whatever_the_disk_says(tmp_path: Path) -> None:
    for name in ("zeta", "Alpha", "mid_dle", "beta"):
        write(tmp_path, f"{name}/SKILL.md", skill_text(name))
    index = load_roots([tmp_path])
    assert [s.name for s in index] == ["Alpha", "beta", "mid_dle", "zeta"]
    assert len(index) == 4


def test_missing_configured_root_is_a_warning(tmp_path: Path) -> None:
    index = load_roots([tmp_path / "nope"])
    assert len(index) == 0
    assert messages(index.warnings) == ["None: skill folder not found (check config.toml)"]


# --- precedence and shadowing ----------------------------------------------------------------

def test_first_root_wins_and_the_warning_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "one/notes/SKILL.md", skill_text("notes", "From one."))
    second = write(tmp_path, "two/Notes/SKILL.md", skill_text("Notes", "From two."))
    index = load_roots([tmp_path / "one", tmp_path / "two"])
    assert index.get("notes").description == "From one."  # type: ignore[union-attr]
    assert messages(index.warnings, second) == [
        f"None: skill 'Notes' is not loaded: it is shadowed by {first}, found first"]
    # The shadowed file's own warnings (its capital letters) are not reported: it is not used.
    assert len(index.warnings) == 1


def test_config_precedence_home_then_roots_then_bundled_then_fabric(home: HomePaths,
                                                                     tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    patterns = tmp_path / "patterns"
    write_config(home, f'[skills]\nroots = ["{extra}"]\nfabric = ["{patterns}"]\n')
    home_summarize = write(home.skills, "summarize/SKILL.md", skill_text("summarize", "Home."))
    write(extra, "summarize/SKILL.md", skill_text("summarize", "Extra."))
    write(extra, "only-extra/SKILL.md", skill_text("only-extra", "Extra only."))
    write(patterns, "only-extra/system.md", "# IDENTITY and PURPOSE\n\nA pattern.\n")
    write(patterns, "extract_wisdom/system.md", "# IDENTITY and PURPOSE\n\nYou extract.\n")
    index = load_index(load_config(home))
    assert index.get("summarize").description == "Home."  # type: ignore[union-attr]
    assert index.get("only-extra").kind == "skill"  # type: ignore[union-attr]
    assert index.get("extract-wisdom").kind == "fabric"  # type: ignore[union-attr]
    shadowed = {str(f.path): f.message for f in index.warnings if "shadowed" in f.message}
    assert shadowed[str(extra / "summarize" / "SKILL.md")].endswith(
        f"shadowed by {home_summarize}, found first")
    assert shadowed[str(bundled("skills") / "summarize" / "SKILL.md")].endswith(
        f"shadowed by {home_summarize}, found first")
    assert shadowed[str(patterns / "only-extra" / "system.md")].endswith(
        f"shadowed by {extra / 'only-extra' / 'SKILL.md'}, found first")
    assert index.roots == [home.skills, extra, bundled("skills"), patterns]


def test_relative_and_tilde_roots(home: HomePaths, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    write(tmp_path / "user", "my-skills/tilde/SKILL.md", skill_text("tilde"))
    write(home.root, "local/relative/SKILL.md", skill_text("relative"))
    write_config(home, '[skills]\nroots = ["~/my-skills", "local"]\n')
    index = load_index(load_config(home))
    assert index.get("tilde") is not None and index.get("relative") is not None


# --- progressive disclosure and routing hints --------------------------------------------------

def test_body_is_read_when_used_not_kept_by_the_index(tmp_path: Path) -> None:
    path = write(tmp_path, "fresh/SKILL.md", skill_text("fresh", body="# Old\n\nOld steps.\n"))
    skill = load_roots([tmp_path]).get("fresh")
    assert skill is not None
    assert "Old steps" not in repr(skill)  # the index holds no body
    path.write_text(skill_text("fresh", body="# New\n\nNew steps.\n"), encoding="utf-8")
    assert skill.body() == "# New\n\nNew steps."


PAI_TABLES = """# Telos

## Workflow Routing

| Workflow | Trigger | File |
|----------|---------|------|
| **Update** | "add to TELOS", "update my goals" | `Workflows/Update.md` |
| **WriteReport** | "write report" | `Workflows/WriteReport.md` |

| Trigger | Workflow |
|---------|----------|
| "quick depth", "fast angles" | `Workflows/Explore.md` (Fast mode: 2 lenses) |

| Request Pattern | Route To |
|---|---|
| First principles, decompose | `FirstPrinciples/SKILL.md` |

| Investigation Type | Workflow | Context |
|---|---|---|
| People lookup | `Workflows/PeopleLookup.md` | `SOURCES.JSON` |

```markdown
| Trigger | Workflow |
|---------|----------|
| "trigger" | `Workflows/WorkflowName.md` |
```
"""


def test_pai_routing_tables_become_routes(tmp_path: Path) -> None:
    write(tmp_path, "Telos/SKILL.md", skill_text("Telos", body=PAI_TABLES))
    skill = load_roots([tmp_path]).get("telos")
    assert skill is not None
    assert skill.routes == [
        WorkflowRoute("Update", '"add to TELOS", "update my goals"', "Workflows/Update.md"),
        WorkflowRoute("WriteReport", '"write report"', "Workflows/WriteReport.md"),
        WorkflowRoute("Explore", '"quick depth", "fast angles"', "Workflows/Explore.md"),
        WorkflowRoute("FirstPrinciples", "First principles, decompose",
                      "FirstPrinciples/SKILL.md"),
    ]  # no trigger column in the Investigation table; the fenced example is not a table


def test_routes_are_read_from_the_body_only(tmp_path: Path) -> None:
    text = "| Workflow | Trigger |\n|---|---|\n| A | a |\n"
    assert workflow_routes(text, 1) == [WorkflowRoute("A", "a", None)]
    assert workflow_routes(text, 2) == []


# --- the fast path gives exactly what YAML gives -----------------------------------------------

FAST_PATH_CASES = [
    "a: plain text", "a: 3.3.0", "a: 1.0", "a: 12", "a: 2024-01-01", "a: 4-tier thing",
    "a: 0x1F", "a: 1e3", "a: 1_000", "a: 3 clause BSD", "a: 10:30", "a: 1:2 things", "a: 09",
    "a: 0o17", "a: 2001-12-14t21:59:43.10-05:00", "a: 2001-12-14 21:59:43.10 -5",
    "a: [rube]", "a: [a, b]", "a: []", "a: [yes]", "a: C#", "a: C #x", "a: x:y", "a: x: y",
    "a: x:", "a: 'it''s'", 'a: "q"', 'a: "a\\nb"', "a: 'a' b", 'a: ""', "a: .5", "a: -x",
    "a: yes", "a: No", "a: null", "a: ~", "a: ! x", "a: @x", "a: `x`", "a: %x", "a: x\ty",
    "a: café — 😀", "a: x\u2028y", "a: <b>", "a: =", "a: x=y", "a: x | y", "a: {x}",
    "a:\n  b: c\n  d: [e]", "a:\n  b: 1.0", "a:", "a:\nb: c", "a: b\na: c", "on: x", "y: x",
    "a: >-\n  one\n  two", "a: >\n  one\n  two", "a: >\n  one\n  two\nb: c",
    "a: |\n  one\n  two", "a: |-\n  one: x\n  # two", "a: |\n  one\n    two",
    "a: >\n  one\n\n  two", "a: >+\n  x", "a: >-\n  one \n  two", "a: one\n  two\n  three",
    "a:\n  one two\n  three", "a: one\n  two: x", "a: one\n  - two", "a:\n  yes",
    "a: one\n  #two", "a:\n  b: c\n    d: e", "a:\n  b: c\n\n  d: e", "a:\n- x", "a:  wide",
    "a:\n  - Read\n  - Grep", "a:\n  - yes\n  - 1.0", "a:\n  - x: y", "a:\n  - [x]",
    "a:\n  - one\n    - two", "a:\n  - one\n   - two", "a:\n  -  spaced", "a:\n  - 'q'",
    "a:\n  - one\n  two",
    # lists of maps, at the top and under a nested key (as in K-Dense's skill-contributors)
    "a:\n  - name: Ada\n    role: author", "a:\n  - name: Ada\n    role: author\n  - name: Bo",
    "a:\n  -   name: Ada\n      role: x", "a:\n  - name: Ada\n     role: x",
    "a:\n  - name: Ada\n      role: x", "a:\n  - name:\n    role: x",
    "a:\n  - name: A\n    name: B",
    "a:\n  - yes: x", "a:\n  - name: x: y", "a:\n  - tools: [a, b]", "a:\n  - Read\n  - name: x",
    "a:\n  - name: A\n    # c", "a:\n  - name: 'q''s'\n    n: \"d\"", "a:\n  - name: A\n  role: x",
    "m:\n  k: v\n  list:\n    - name: A\n      org: B, C / @d\n  after: z",
    "m:\n  mcp:\n    - rube",
    "m:\n  mcp: x\n    - rube", "m:\n  mcp:\n    b: c", "m:\n  mcp:\n  - rube",
    "m:\n  mcp:\n    - a: b\n      c: d\n    - e", "m:\n  mcp:\n    - [x]",
    # quoted and block text with characters YAML refuses, or that are merely not printable
    'a: "x\u00a0y"', "a: 'x\u200by'", 'a: "x\ty"', "a: 'x\u2028y'", "a: >\n  x\u00a0y",
    "a: |\n  x\ty", "a: >-\n  x\ufeffy",
]


def test_fast_path_agrees_with_yaml_on_tricky_values() -> None:
    taken = 0
    for text in FAST_PATH_CASES:
        fast = fast_fields(text.split("\n"))
        if fast is not None:  # else left to YAML
            taken += 1
            assert repr(fast) == repr(yaml.load(text, Loader=yaml.CSafeLoader)), text
            assert repr(fast) == repr(yaml.load(text, Loader=yaml.SafeLoader)), text
    assert taken >= 45  # the fast path is exercised, not always declined


def test_fast_path_takes_the_common_shapes() -> None:
    common = ["name: x\ndescription: Plain text, with commas.",
              'description: "Quoted: text"', "metadata:\n  author: me\n  version: \"1.0\"",
              "description: >-\n  Folded\n  text", "requires:\n  mcp: [rube]",
              "authors:\n  - name: Ada\n    role: author",
              "metadata:\n  contributors:\n    - name: Ada\n      org: Byte Works, LLC"]
    assert all(fast_fields(text.split("\n")) is not None for text in common)


def test_frontmatter_line_of_a_field_and_a_nested_field() -> None:
    fm = parse_frontmatter("\n---\nname: x\nmetadata:\n  author: me\n  calls: y\n---\n",
                           Path("SKILL.md"))
    assert (fm.start_line, fm.body_line) == (2, 8)
    assert fm.line_of("name") == 3
    assert fm.line_of("metadata", "calls") == 6
    assert fm.line_of("description") == 2  # absent: the opening line


# --- pai skill list -------------------------------------------------------------------------

def test_skill_list_json_lists_every_skill(home: HomePaths, tmp_path: Path) -> None:
    path = write(home.skills, "notes/SKILL.md", skill_text("notes", "Keeps notes."))
    write(tmp_path, "fab/write_essay/system.md", "# IDENTITY\n\nYou write essays.\n")
    write_config(home, f'[skills]\nfabric = ["{tmp_path / "fab"}"]\n')
    result = CliRunner().invoke(cli, ["skill", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["notes"] == {"name": "notes", "description": "Keeps notes.",
                               "path": str(path), "kind": "skill", "root": str(home.skills)}
    assert listed["write_essay"]["kind"] == "fabric"
    assert listed["write_essay"]["description"] == "You write essays."
    assert listed["write_essay"]["path"] == str(tmp_path / "fab" / "write_essay" / "system.md")
    assert set(listed) >= {"notes", "write_essay", "summarize"}  # bundled ones too


def test_pai_skill_list_runs_as_a_command(home: HomePaths) -> None:
    write(home.skills, "notes/SKILL.md", skill_text("notes", "Keeps notes."))
    result = run_pai("skill", "list", env={"PAI_HOME": str(home.root)})
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("notes ")]
    skill_file = home.skills / "notes" / "SKILL.md"
    assert line.split(None, 1)[1] == f"Keeps notes.  {skill_file}"  # to a pipe: one line


def test_skill_list_warnings_print_path_line_and_message(home: HomePaths) -> None:
    odd = write(home.skills, "Odd/SKILL.md", skill_text("Odd"))
    bad = write(home.skills, "bad/SKILL.md", "no frontmatter\n")
    result = CliRunner().invoke(cli, ["skill", "list", "--warnings"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert f"{odd}:2: name 'Odd' has capital letters; names are lowercase letters, digits " \
           f"and single hyphens" in lines
    assert any(line.startswith(f"{bad}:1: not loaded: no frontmatter") for line in lines)


def test_skill_list_table_shows_text_literally(home: HomePaths) -> None:
    write(home.skills, "marked/SKILL.md",
          skill_text("marked", '"[bold red]Not markup[/] \\u001b[2J and a bell \\u0007"'))
    result = CliRunner().invoke(cli, ["skill", "list"])
    assert result.exit_code == 0
    [line] = [x for x in result.stdout.splitlines() if x.startswith("marked ")]
    assert "[bold red]Not markup[/]" in line
    assert "\x1b" not in line and "\x07" not in line
    assert "␛[2J" in line and "␇" in line
    assert "skills" in result.stderr


def test_skill_list_with_nothing_installed(home: HomePaths, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.setattr("pai_tui.paths.bundled", lambda folder: tmp_path / "none")
    result = CliRunner().invoke(cli, ["skill", "list", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_symlink_loop_is_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    write(tmp_path, "fine/SKILL.md", skill_text("fine"))
    index = load_roots([tmp_path])
    assert [s.name for s in index] == ["fine"]
    assert messages(index.rejected) == [
        f"None: not loaded: broken symbolic link to {tmp_path / 'loop'} (Too many levels of "
        f"symbolic links)"]


def test_pai_skill_list_on_a_terminal_wraps_descriptions_and_shows_paths(
        home: HomePaths) -> None:
    from pai_tui.cli.output import listing
    from pai_tui.skills.index import load_index

    long = "Keeps notes. " * 12
    write(home.skills, "notes/SKILL.md", skill_text("notes", long.strip()))
    [notes] = [s for s in load_index(load_config(home)) if s.name == "notes"]
    lines = listing(notes.name, notes.description, str(notes.path), 10, 60)
    assert lines[0].startswith("notes       Keeps notes.") and len(lines) > 3
    assert all(len(line) <= 60 for line in lines[:-1])
    assert lines[-1].strip() == str(notes.path) and lines[-1].startswith(" " * 12)
    assert " ".join(" ".join(line.split()) for line in lines[:-1]) == f"notes {long.strip()}"
