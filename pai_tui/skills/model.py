"""What a loaded skill is: the contract between the loader, the router, the tool runner and the UI.

A `Skill` holds only what the index read (frontmatter and routing hints); the body, tools,
workflows and references are read from disk when the skill is used (progressive disclosure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SkillKind = Literal["skill", "fabric"]

# Folder names that hold each kind of resource, in the spellings real skills use.
TOOL_FOLDERS = ("tools", "Tools", "scripts")
WORKFLOW_FOLDERS = ("workflows", "Workflows")
REFERENCE_FOLDERS = ("references", "References")
# The most of a SKILL.md pai reads: 14x the largest real-world one (74 KB, tests/corpus). A
# bigger file is not loaded (its path and size are said), so that a huge or endless file cannot
# make listing skills cost its size in memory.
MAX_SKILL_BYTES = 1024 * 1024


def is_scalar(value: object) -> bool:
    """A YAML scalar: text, a number, true/false, a date, or nothing; not a list or a map."""
    return not isinstance(value, (list, dict, set, tuple))


_KEY_GAPS = re.compile(r"[\s_]+")


def skill_key(name: str) -> str:
    """The lookup form of a name: `Extract_Wisdom`, `extract-wisdom` and `extract wisdom` are
    one skill."""
    return _KEY_GAPS.sub("-", name.strip()).lower()


@dataclass(frozen=True)
class Finding:
    """A warning or error about a file, shown as `path:line: message`."""

    path: Path
    message: str
    line: int | None = None
    severity: Literal["error", "warning"] = "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class WorkflowRoute:
    """One row of a PAI `| Workflow | Trigger | File |` table inside a SKILL.md."""

    workflow: str
    trigger: str
    file: str | None = None


@dataclass
class Skill:
    name: str  # as declared in the frontmatter (or the folder's name when it declares none)
    description: str
    path: Path  # the SKILL.md (or a Fabric pattern's system.md)
    root: Path  # the skill root it was found under
    kind: SkillKind = "skill"
    fields: dict[str, Any] = field(default_factory=dict)  # the whole frontmatter
    body_line: int = 1  # the line of `path` where the body starts
    routes: list[WorkflowRoute] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def key(self) -> str:
        return skill_key(self.name)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def metadata(self) -> dict[str, str]:
        """The spec's `metadata` map, values as strings (pai's own extensions live here so that
        bundled skills pass strict validation). Only scalar values count: a list or a map is
        not text, and turning a large one into text is how a YAML bomb hangs."""
        raw = self.fields.get("metadata")
        if not isinstance(raw, dict):
            return {}
        return {str(k): "" if v is None else str(v) for k, v in raw.items() if is_scalar(v)}

    def _words(self, key: str) -> tuple[str, ...]:
        return tuple(w for w in re.split(r"[\s,]+", self.metadata.get(key, "")) if w)

    @property
    def calls(self) -> tuple[str, ...]:
        """Skills this one runs first, in order (`metadata: calls: "first-principles"`)."""
        return self._words("calls")

    @property
    def safe_tools(self) -> tuple[str, ...]:
        """Tools the skill marks safe: allowed without asking (`metadata: safe-tools: ...`)."""
        return self._words("safe-tools")

    @property
    def needs_keys(self) -> tuple[str, ...]:
        """Environment variables holding keys that its tools need (`metadata: needs-keys`)."""
        return self._words("needs-keys")

    def body(self) -> str:
        """The instructions after the frontmatter, read now (at most MAX_SKILL_BYTES of the file:
        it may have grown since it was indexed)."""
        with open(self.path, "rb") as file:
            text = file.read(MAX_SKILL_BYTES).decode("utf-8", errors="replace")
        lines = text.replace("\r\n", "\n").split("\n")
        return "\n".join(lines[self.body_line - 1:]).strip("\n")

    def _files(self, folders: tuple[str, ...]) -> list[Path]:
        found: dict[str, Path] = {}
        for name in folders:
            folder = self.folder / name
            if folder.is_dir():
                for item in sorted(folder.iterdir()):
                    if item.is_file() and not item.name.startswith("."):
                        found.setdefault(item.name, item)
        return list(found.values())

    def tool_files(self) -> list[Path]:
        return self._files(TOOL_FOLDERS)

    def workflow_files(self) -> list[Path]:
        return [p for p in self._files(WORKFLOW_FOLDERS) if p.suffix.lower() == ".md"]

    def reference_files(self) -> list[Path]:
        return self._files(REFERENCE_FOLDERS)
