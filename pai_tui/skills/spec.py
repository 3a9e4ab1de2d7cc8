"""The Agent Skills spec's rules on a SKILL.md's frontmatter: one set, read two ways.

The loader (`index.read_skill`) keeps every finding as a warning (a skill that breaks a rule
still loads, as in Claude Code); `pai skill validate` (`validate`) reports spec violations as
errors. `claude=True` adds the Claude API's rules (no reserved words, no angle brackets). The
limits (name, description, compatibility) are defined here once for every module that needs
them, such as the Fabric loader's description.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pai_tui.skills.frontmatter import Frontmatter
from pai_tui.skills.model import Finding

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

    folder = os.path.basename(os.path.dirname(path))  # path.parent.name, minus a new Path
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
