"""`pai skill validate`: each Agent Skills rule with the line of the field, strict mode, the
Claude API's rules, and tools that must answer --help (real tool files, run for real)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from pai_tui.cli.group import cli
from pai_tui.paths import HomePaths
from pai_tui.skills.model import Finding
from pai_tui.skills.validate import check, validate

GOOD_DESCRIPTION = "Checks things. Use when the user asks to check."


def write(root: Path, relative: str, text: str, mode: int | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mode is not None:
        path.chmod(mode)
    return path


def skill_file(root: Path, folder: str, frontmatter: str, body: str = "# Steps\n") -> Path:
    return write(root, f"{folder}/SKILL.md", f"---\n{frontmatter}\n---\n{body}")


def found(findings: list[Finding]) -> list[tuple[int | None, str, str]]:
    return [(f.line, f.severity, f.message) for f in findings]


def test_a_valid_skill_has_no_findings(tmp_path: Path) -> None:
    path = skill_file(tmp_path, "checker",
                      f"name: checker\ndescription: {GOOD_DESCRIPTION}\nlicense: MIT\n"
                      "compatibility: Needs git.\nallowed-tools: Read Grep\n"
                      'metadata:\n  calls: "first-principles"\n  tool-timeout: "120"')
    assert validate(path, strict=True, claude=True) == []
    assert validate(tmp_path, strict=True, claude=True) == []


RULES = [
    # (frontmatter, folder, line, message)
    ("name: " + "a" * 65 + f"\ndescription: {GOOD_DESCRIPTION}", "a" * 65, 2,
     f"name '{'a' * 65}' is 65 characters; the limit is 64"),
    (f"name: Checker\ndescription: {GOOD_DESCRIPTION}", "Checker", 2,
     "name 'Checker' has capital letters; names are lowercase letters, digits and single "
     "hyphens"),
    (f"name: -checker\ndescription: {GOOD_DESCRIPTION}", "-checker", 2,
     "name '-checker' starts or ends with '-'; names are lowercase letters, digits and single "
     "hyphens"),
    (f"name: check--er\ndescription: {GOOD_DESCRIPTION}", "check--er", 2,
     "name 'check--er' has '--'; names are lowercase letters, digits and single hyphens"),
    (f"name: check_er\ndescription: {GOOD_DESCRIPTION}", "check_er", 2,
     "name 'check_er' has characters other than a-z, 0-9 and '-'; names are lowercase "
     "letters, digits and single hyphens"),
    (f"name: checker\ndescription: {GOOD_DESCRIPTION}", "other", 2,
     "name 'checker' differs from its folder 'other'"),
    (f"description: {GOOD_DESCRIPTION}", "checker", 1,
     "no 'name' field (the folder name 'checker' is used)"),
    ("name: checker", "checker", 1,
     "no 'description' field: nothing tells the model or the router when to use this skill"),
    ('name: checker\ndescription: ""', "checker", 3,
     "'description' is empty: nothing tells the model or the router when to use this skill"),
    ("name: checker\ndescription: " + "d" * 1025, "checker", 3,
     "'description' is 1025 characters; the limit is 1024"),
    ("name: checker\ndescription: d\ncompatibility: " + "c" * 501, "checker", 4,
     "'compatibility' is 501 characters; the limit is 500"),
    ("name: checker\ndescription: d\ncompatibility: 3", "checker", 4,
     "'compatibility' must be non-empty text"),
    ("name: checker\ndescription: d\nlicense: [MIT]", "checker", 4,
     "'license' must be text, not a list"),
    ("name: checker\ndescription: d\nmetadata: just text", "checker", 4,
     "'metadata' must be a map of names to text, not str"),
    ("name: checker\ndescription: d\nmetadata:\n  author: me\n  version: 1.0", "checker", 6,
     "'metadata' value of 'version' must be text, not a number (1.0) (quote it)"),
    ("name: checker\ndescription: d\nallowed-tools: 3", "checker", 4,
     "'allowed-tools' must be a space-separated string, not a number (3)"),
]


@pytest.mark.parametrize(("frontmatter", "folder", "line", "message"), RULES)
def test_each_rule_is_an_error_on_the_line_of_its_field(tmp_path: Path, frontmatter: str,
                                                        folder: str, line: int,
                                                        message: str) -> None:
    path = skill_file(tmp_path, folder, frontmatter)
    findings = validate(path)
    assert (line, "error", message) in found(findings)
    assert all(f.path == path for f in findings)
    assert f"{path}:{line}: {message}" in [str(f) for f in findings]


def test_soft_rules_are_warnings(tmp_path: Path) -> None:
    path = skill_file(tmp_path, "checker",
                      "name: checker\ndescription: d\nallowed-tools:\n  - Read\n  - Grep\n"
                      "version: 2\nauthor: me", body="line\n" * 501)
    assert found(validate(path)) == [
        (4, "warning", "'allowed-tools' should be one space-separated string, not a list"),
        (7, "warning", "field 'version' is not in the Agent Skills spec (allowed: name, "
                       "description, license, compatibility, metadata, allowed-tools); put "
                       "extensions under 'metadata'"),
        (8, "warning", "field 'author' is not in the Agent Skills spec (allowed: name, "
                       "description, license, compatibility, metadata, allowed-tools); put "
                       "extensions under 'metadata'"),
        (10, "warning", "the body is 502 lines; the spec recommends under 500 (move detail "
                        "to references/)"),
    ]


def test_strict_mode_makes_extra_fields_and_lenient_readings_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "checker/skill.md",
                 "<!-- a comment -->\n---\nname: checker\ndescription: Use: when needed\n"
                 "implements: Science\n---\n" + "line\n" * 501)
    plain = found(validate(path))
    strict = found(validate(path, strict=True))
    lenient = [
        (1, "the file is named 'skill.md'; the spec and Claude Code expect 'SKILL.md'"),
        (2, "the frontmatter starts on line 2, after an HTML comment; tools that expect '---' "
            "on line 1 will not see it"),
        (4, "the value of 'description' is not valid YAML (a ': ' inside a value that is not "
            "in quotes); it was read as quoted text: put it in quotes to silence this"),
        (5, "field 'implements' is not in the Agent Skills spec (allowed: name, description, "
            "license, compatibility, metadata, allowed-tools); put extensions under "
            "'metadata'"),
    ]
    for line, message in lenient:
        assert (line, "warning", message) in plain
        assert (line, "error", message) in strict
    # A recommendation stays a warning even in strict mode.
    assert (7, "warning", "the body is 502 lines; the spec recommends under 500 (move detail "
                          "to references/)") in strict


def test_claude_rules_only_when_asked(tmp_path: Path) -> None:
    path = skill_file(tmp_path, "claude-helper",
                      "name: claude-helper\ndescription: Wraps <tags> for the model.")
    assert validate(path) == []
    assert found(validate(path, claude=True)) == [
        (2, "error", "name 'claude-helper' contains the reserved word 'claude' (Claude API "
                     "rule)"),
        (3, "error", "'description' contains '<' or '>' (the Claude API refuses XML-like text "
                     "here)"),
    ]
    other = skill_file(tmp_path, "anthropic-tools",
                       f"name: anthropic-tools\ndescription: {GOOD_DESCRIPTION}")
    assert [m for _, _, m in found(validate(other, claude=True))] == [
        "name 'anthropic-tools' contains the reserved word 'anthropic' (Claude API rule)"]


def test_unreadable_frontmatter_is_one_error_with_its_line(tmp_path: Path) -> None:
    path = skill_file(tmp_path, "broken", "name: broken\ndescription: [open")
    assert found(validate(path)) == [
        (4, "error", "invalid YAML in the frontmatter: did not find expected ',' or ']' (in a "
                     "flow sequence starting on line 3)")]


def test_a_folder_is_searched_for_skills_recursively(tmp_path: Path) -> None:
    skill_file(tmp_path, "Category", f"name: Category\ndescription: {GOOD_DESCRIPTION}")
    child = skill_file(tmp_path, "Category/child", "name: child")
    findings, count = check(tmp_path)
    assert count == 2
    assert (1, "error", "no 'description' field: nothing tells the model or the router when "
                        "to use this skill") in found([f for f in findings if f.path == child])
    assert any(f.message.startswith("name 'Category' has capital letters") for f in findings)


def test_missing_path_and_folder_without_skills_are_errors(tmp_path: Path) -> None:
    assert found(validate(tmp_path / "nope")) == [(None, "error", "no such file or folder")]
    (tmp_path / "empty").mkdir()
    assert found(validate(tmp_path / "empty")) == [
        (None, "error", "no SKILL.md found in this folder or below it")]


# --- tools must answer --help ------------------------------------------------------------------

GOOD_TOOL = """import argparse
parser = argparse.ArgumentParser(description="Counts words on stdin.")
parser.add_argument("--json", action="store_true")
parser.parse_args()
"""


def tool_skill(root: Path) -> Path:
    return skill_file(root, "tooly", 'name: tooly\ndescription: Has tools.\nmetadata:\n'
                                     '  safe-tools: "count missing"\n  tool-timeout: "soon"')


def test_tools_are_run_with_help_and_must_answer(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pai_tui.skills.tools.HELP_TIMEOUT", 1.0)
    path = tool_skill(tmp_path)
    tools = path.parent / "tools"
    write(tools, "count.py", GOOD_TOOL)  # not executable: .py runs with pai's Python
    write(tools, "failing.py", "import sys\nprint('no help here', file=sys.stderr)\n"
                               "sys.exit(3)\n")
    write(tools, "silent.sh", "#!/bin/sh\nexit 0\n", mode=0o755)
    write(tools, "script.sh", "#!/bin/sh\necho hi\n", mode=0o644)  # not executable
    write(tools, "hangs.py", "import time\ntime.sleep(30)\n")
    write(tools, "README.md", "Documentation, not a tool.\n")
    write(tools, "shell.sh", '#!/bin/sh\necho "usage: shell.sh [--help]"\n', mode=0o755)
    messages = {(f.path.name if f.line is None else f.line, f.message)
                for f in validate(path)}
    assert messages == {
        ("failing.py", "`failing --help` exited 3: no help here"),
        ("silent.sh", "`silent --help` printed nothing"),
        ("script.sh", f"{tools / 'script.sh'} cannot run: it is neither executable nor a .py "
                      f"file (make it executable with `chmod +x {tools / 'script.sh'}` and "
                      f"start it with a #! line)"),
        ("hangs.py", "`hangs --help` did not finish in 1 s"),
        (5, "metadata safe-tools names 'missing', which is not a tool of this skill"),
        (6, "tool-timeout: 'soon' is not seconds (write \"120\" for every tool, or "
            "\"name=seconds\" pairs)"),
    }
    assert all(f.severity == "error" for f in validate(path)
               if f.path.parent == tools)
    assert stat.S_IMODE((tools / "count.py").stat().st_mode) & 0o111 == 0


# --- the command ------------------------------------------------------------------------------

def test_validate_command_prints_findings_and_exits_1_on_errors(tmp_path: Path) -> None:
    path = skill_file(tmp_path, "Bad", "name: Bad\ndescription: d\nextra: x")
    result = CliRunner().invoke(cli, ["skill", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:2: error: name 'Bad' has capital letters; names are lowercase letters, digits "
        f"and single hyphens",
        f"{path}:4: warning: field 'extra' is not in the Agent Skills spec (allowed: name, "
        f"description, license, compatibility, metadata, allowed-tools); put extensions under "
        f"'metadata'"]
    assert result.stderr == "1 skill checked: 1 error, 1 warning\n"


def test_validate_command_exits_0_without_errors_and_strict_changes_that(
        tmp_path: Path) -> None:
    path = skill_file(tmp_path, "fine", f"name: fine\ndescription: {GOOD_DESCRIPTION}\nx: y")
    result = CliRunner().invoke(cli, ["skill", "validate", str(path)])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{path}:4: warning: field 'x'")
    strict = CliRunner().invoke(cli, ["skill", "validate", "--strict", str(path)])
    assert strict.exit_code == 1
    assert strict.stdout.startswith(f"{path}:4: error: field 'x'")
    claude = CliRunner().invoke(cli, ["skill", "validate", "--claude", str(path)])
    assert claude.exit_code == 0


def test_validate_command_defaults_to_every_skill_root(home: HomePaths) -> None:
    bad = skill_file(home.skills, "mine", "name: mine")
    result = CliRunner().invoke(cli, ["skill", "validate"])
    assert result.exit_code == 1
    assert f"{bad}:1: error: no 'description' field" in result.stdout
    checked = int(result.stderr.split()[0])
    assert checked >= 2  # this one and the bundled skills


def test_validate_command_shows_skill_text_literally(tmp_path: Path) -> None:
    skill_file(tmp_path, "odd", 'name: "odd\\u001b[31m"\ndescription: d')
    result = CliRunner().invoke(cli, ["skill", "validate", str(tmp_path)])
    assert "\x1b" not in result.stdout
    assert "odd␛[31m" in result.stdout
