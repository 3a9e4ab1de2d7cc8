"""The Agent Skills rules, checked strictly by `pai skill validate` and leniently by the loader.

One set of rules serves both: the loader keeps every finding as a warning (a skill that breaks
a rule still loads, as in Claude Code); `validate` reports spec violations as errors, and in
strict mode also extra fields and the loader's lenient readings. `claude=True` adds the Claude
API's rules (no reserved words, no angle brackets). Tools in a skill's tool folders must answer
`--help`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pai_tui.skills.frontmatter import Frontmatter
from pai_tui.skills.model import Finding, Skill, skill_key

SPEC_FIELDS = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
MAX_BODY_LINES = 500  # the spec's recommendation, not a rule
RESERVED_WORDS = ("anthropic", "claude")

Severity = Literal["error", "warning"]
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def spec_findings(fm: Frontmatter, path: Path, claude: bool = False) -> list[Finding]:
    """Every Agent Skills rule the frontmatter of `path` breaks: errors for the spec's rules,
    warnings for fields the spec does not define and for forms it merely discourages."""
    found: list[Finding] = []
    fields = fm.fields

    def add(message: str, key: str, sub: str | None = None,
            severity: Severity = "error") -> None:
        found.append(Finding(path, message, fm.line_of(key, sub), severity))

    folder = path.parent.name
    name = fields.get("name")
    if "name" not in fields or name is None:
        add(f"no 'name' field (the folder name '{folder}' is used)", "name")
    elif not isinstance(name, str) or not name.strip():
        add(f"'name' must be text, not {_kind(name)}", "name")
    else:
        _name_rules(name, folder, lambda message: add(message, "name"), claude)

    description = fields.get("description")
    if "description" not in fields or description is None:
        add("no 'description' field: nothing tells the model or the router when to use this "
            "skill", "description")
    elif not isinstance(description, str):
        add(f"'description' must be text, not {_kind(description)}", "description")
    elif not description.strip():
        add("'description' is empty: nothing tells the model or the router when to use this "
            "skill", "description")
    else:
        if len(description) > MAX_DESCRIPTION:
            add(f"'description' is {len(description)} characters; the limit is "
                f"{MAX_DESCRIPTION}", "description")
        if claude and ("<" in description or ">" in description):
            add("'description' contains '<' or '>' (the Claude API refuses XML-like text "
                "here)", "description")

    if "compatibility" in fields:
        value = fields["compatibility"]
        if not isinstance(value, str) or not value.strip():
            add("'compatibility' must be non-empty text", "compatibility")
        elif len(value) > MAX_COMPATIBILITY:
            add(f"'compatibility' is {len(value)} characters; the limit is "
                f"{MAX_COMPATIBILITY}", "compatibility")
    if "license" in fields and not isinstance(fields["license"], str):
        add(f"'license' must be text, not {_kind(fields['license'])}", "license")
    if "metadata" in fields:
        _metadata_rules(fields["metadata"], add)
    if "allowed-tools" in fields:
        tools = fields["allowed-tools"]
        if isinstance(tools, list) and all(isinstance(t, str) for t in tools):
            add("'allowed-tools' should be one space-separated string, not a list",
                "allowed-tools", severity="warning")
        elif not isinstance(tools, str):
            add(f"'allowed-tools' must be a space-separated string, not {_kind(tools)}",
                "allowed-tools")
    for key in fields:
        if key not in SPEC_FIELDS:
            add(f"field '{key}' is not in the Agent Skills spec (allowed: "
                f"{', '.join(SPEC_FIELDS)}); put extensions under 'metadata'", key,
                severity="warning")
    return found


def _name_rules(name: str, folder: str | None, add: Any, claude: bool = False) -> None:
    """The spec's rules on a skill's name (and the Claude API's, with `claude`)."""
    name = name.strip()
    if len(name) > MAX_NAME:
        add(f"name '{name}' is {len(name)} characters; the limit is {MAX_NAME}")
    if not _NAME.fullmatch(name):
        reasons = []
        if name != name.lower():
            reasons.append("has capital letters")
        if re.search(r"[^A-Za-z0-9-]", name):
            reasons.append("has characters other than a-z, 0-9 and '-'")
        if name.startswith("-") or name.endswith("-"):
            reasons.append("starts or ends with '-'")
        if "--" in name:
            reasons.append("has '--'")
        add(f"name '{name}' {' and '.join(reasons)}; names are lowercase letters, digits and "
            f"single hyphens")
    if folder is not None and name != folder:
        add(f"name '{name}' differs from its folder '{folder}'")
    if claude:
        for word in RESERVED_WORDS:
            if word in name.lower():
                add(f"name '{name}' contains the reserved word '{word}' (Claude API rule)")
        if "<" in name or ">" in name:
            add(f"name '{name}' contains '<' or '>' (Claude API rule)")


def _metadata_rules(metadata: Any, add: Any) -> None:
    if not isinstance(metadata, dict):
        add(f"'metadata' must be a map of names to text, not {_kind(metadata)}", "metadata")
        return
    for key, value in metadata.items():
        if not isinstance(key, str):
            add(f"'metadata' key {key!r} must be text", "metadata")
        if not isinstance(value, str):
            add(f"'metadata' value of '{key}' must be text, not {_kind(value)} (quote it)",
                "metadata", str(key))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    if value is None:
        return "empty"
    return type(value).__name__


# --- validating files ------------------------------------------------------------------------

def validate(path: Path, strict: bool = False, claude: bool = False) -> list[Finding]:
    """Findings for a SKILL.md, or for every skill found under a folder (recursively)."""
    return check(path, strict, claude)[0]


def check(path: Path, strict: bool = False, claude: bool = False,
          required: bool = True) -> tuple[list[Finding], int]:
    """`validate`, and how many SKILL.md files it checked. A folder without skills is an error
    when they are `required` (a path the user named), else simply nothing to check."""
    from pai_tui.skills.index import find_skill_files

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
    from pai_tui.skills.frontmatter import FrontmatterError
    from pai_tui.skills.index import read_frontmatter

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
