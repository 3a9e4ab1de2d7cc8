"""`pai agent validate`: agent files checked, as findings `path:line: severity: message`.

A file that cannot be an agent is an error; what the loader forgives is a warning, and under
`--strict` an error, as is a field pai does not read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pai_tui.agents.catalog import find_agent_files
from pai_tui.agents.definition import KNOWN_FIELDS, AgentDefinition, read_file, read_outcome
from pai_tui.skills.model import Finding


def check(path: Path, strict: bool = False, required: bool = True,
          ) -> tuple[list[Finding], int]:
    """Findings for an agent file, or for every `*.md` under a folder, and how many files were
    checked. A folder without any is an error when it is `required` (a path the user named)."""
    path = Path(path)
    if path.is_file():
        return validate_file(path, strict), 1
    if not path.is_dir():
        return [Finding(path, "no such file or folder", None, "error")], 0
    files, findings = find_agent_files(path)
    if not files and not findings and required:
        return [Finding(path, "no agent file (*.md) in this folder or below it", None,
                        "error")], 0
    for file in files:
        findings.extend(validate_file(file, strict))
    return findings, len(files)


def validate_file(path: Path, strict: bool = False) -> list[Finding]:
    outcome = read_outcome(path, path.parent)
    if isinstance(outcome, Finding):
        return [outcome]
    findings = list(outcome.warnings)
    if strict:
        findings += _unknown_fields(outcome)
        findings = [replace(f, severity="error") for f in findings]
    return sorted(findings, key=lambda f: f.line or 0)


def _unknown_fields(agent: AgentDefinition) -> list[Finding]:
    fm, _ = read_file(agent.path)
    return [Finding(agent.path, f"'{key}' is not a field pai reads (Claude Code's, PAI's or "
                                f"pai's own)", fm.line_of(key))
            for key in agent.fields if key not in KNOWN_FIELDS]
