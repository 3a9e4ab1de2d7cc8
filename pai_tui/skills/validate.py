"""The strict validation run behind `pai skill validate`: files and folders of skills, checked.

The rules are the spec's (`spec.py`), the same ones the loader applies leniently: here spec
violations are errors, and in strict mode also extra fields and the loader's lenient readings.
Tools in a skill's tool folders must answer `--help`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pai_tui.skills.frontmatter import Frontmatter, FrontmatterError
from pai_tui.skills.index import find_skill_files, read_frontmatter
from pai_tui.skills.model import Finding, Skill, skill_key
from pai_tui.skills.spec import MAX_BODY_LINES, spec_findings


def validate(path: Path, strict: bool = False, claude: bool = False) -> list[Finding]:
    """Findings for a SKILL.md, or for every skill found under a folder (recursively)."""
    return check(path, strict, claude)[0]


def check(path: Path, strict: bool = False, claude: bool = False,
          required: bool = True) -> tuple[list[Finding], int]:
    """`validate`, and how many SKILL.md files it checked. A folder without skills is an error
    when they are `required` (a path the user named), else simply nothing to check."""
    path = Path(path)
    if path.is_file():
        return validate_file(path, strict, claude), 1
    if not path.is_dir():
        return [Finding(path, "no such file or folder", None, "error")], 0
    files, findings = find_skill_files(path)
    if not files and not findings and required:
        return [Finding(path, "no SKILL.md found in this folder or below it", None, "error")], 0
    for file in files:
        findings.extend(validate_file(file, strict, claude))
    return findings, len(files)


def validate_file(path: Path, strict: bool = False, claude: bool = False) -> list[Finding]:
    """Findings for one SKILL.md: the spec's rules, the lenient readings it needed, its tools."""
    try:
        fm, text = read_frontmatter(path)
    except FrontmatterError as error:
        return [Finding(path, error.message, error.line, "error")]
    lenient = list(fm.warnings)
    if path.name != "SKILL.md":
        lenient.append(Finding(path, f"the file is named '{path.name}'; the spec and Claude "
                                     f"Code expect 'SKILL.md'", 1))
    findings = lenient + spec_findings(fm, path, claude)
    if strict:
        findings = [replace(f, severity="error") for f in findings]
    body_lines = text.count("\n") + 2 - fm.body_line
    if body_lines > MAX_BODY_LINES:
        findings.append(Finding(path, f"the body is {body_lines} lines; the spec recommends "
                                      f"under {MAX_BODY_LINES} (move detail to references/)",
                                fm.body_line, "warning"))
    findings.extend(check_tools(fm, path))
    return sorted(findings, key=lambda f: (f.path != path, str(f.path), f.line or 0))


def check_tools(fm: Frontmatter, path: Path) -> list[Finding]:
    """Errors for the tools of the skill at `path` that cannot run or do not answer `--help`
    (exit 0, some output, within a few seconds), and for a bad `metadata.tool-timeout`. The
    checks are the tool runner's own; tools start in parallel (each is a process start)."""
    from concurrent.futures import ThreadPoolExecutor

    from pai_tui.skills.tools import parse_tool_timeouts, tool_help, tools_of

    skill = Skill(name=path.parent.name, description="", path=path, root=path.parent,
                  fields=fm.fields)
    findings = [Finding(path, problem, fm.line_of("metadata", "tool-timeout"), "error")
                for problem in parse_tool_timeouts(skill.metadata.get("tool-timeout", ""))[2]]
    tools = tools_of(skill)
    names = {skill_key(t.name) for t in tools} | {skill_key(t.path.name) for t in tools}
    for name in skill.safe_tools:
        if skill_key(name) not in names:
            findings.append(Finding(path, f"metadata safe-tools names '{name}', which is not a "
                                          f"tool of this skill", fm.line_of("metadata",
                                                                           "safe-tools")))
    if tools:
        with ThreadPoolExecutor(max_workers=min(8, len(tools))) as pool:
            helps = list(pool.map(tool_help, tools))
        findings.extend(Finding(tool.path, described.problem, None, "error")
                        for tool, described in zip(tools, helps, strict=True)
                        if described.problem)
    return findings
