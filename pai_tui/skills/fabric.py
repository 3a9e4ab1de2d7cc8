"""Fabric patterns as prompt-only skills (`kind="fabric"`).

A pattern is a folder holding `system.md` (conventionally `# IDENTITY and PURPOSE`, `# STEPS`,
`# OUTPUT INSTRUCTIONS`), with no frontmatter: the name is the folder's, the description is
derived from the identity section, and the body is the whole `system.md`. The input goes where
the pattern writes `{{input}}`, else it is the user message.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pai_tui.skills.frontmatter import split_lines
from pai_tui.skills.model import Finding, Skill
from pai_tui.skills.spec import MAX_DESCRIPTION

PATTERN_FILE = "system.md"
INPUT_PLACEHOLDER = "{{input}}"
# The user message when the input already sits inside the system prompt (the providers need
# a non-empty user turn).
INPUT_IN_SYSTEM = "Apply the instructions above to the input they contain."
_HEAD_BYTES = 16_384  # the identity section is at the top; the largest pattern is 231 KB

_IDENTITY = re.compile(r"\s*#*\s*\**\s*identity\b.*", re.IGNORECASE)
# A new section: a Markdown heading, an upper-case label line such as `STEPS:`, a lone tag such
# as `<identity>`, or a `// comment` line.
_SECTION = re.compile(r"\s*(?:#.*|//.*|<[^>]*>|\**[A-Z][A-Z0-9 &/-]*[A-Z]:?\**:?)\s*")
# The space between two sentences: after a full stop, before a capital letter.
_SPACE_BETWEEN_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z])")
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__|`")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class FabricPrompt:
    system: str
    user: str


def load_fabric(folder: Path) -> tuple[list[Skill], list[Finding]]:
    """A skill for each subfolder of `folder` holding `system.md`, in name order."""
    skills: list[Skill] = []
    findings: list[Finding] = []
    try:
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")),
                             key=lambda e: e.name)
    except OSError as error:
        return [], [Finding(folder, f"not loaded: cannot read the folder ({error.strerror})",
                            None, "error")]
    for entry in entries:
        path = Path(entry.path) / PATTERN_FILE
        try:
            with open(path, "rb") as file:
                head = file.read(_HEAD_BYTES).decode("utf-8", "replace")
        except (FileNotFoundError, NotADirectoryError):
            continue  # not a pattern
        except OSError as error:
            findings.append(Finding(path, f"not loaded: cannot read the file "
                                          f"({error.strerror})", None, "error"))
            continue
        description = fabric_description(head)
        warnings = [] if description else [
            Finding(path, "the pattern is empty: it has no text to describe it")]
        skills.append(Skill(name=entry.name, description=description, path=path, root=folder,
                            kind="fabric", body_line=1, warnings=warnings))
    return skills, findings


def fabric_description(text: str) -> str:
    """The first sentence or two of the pattern's identity section (or of its first text when
    it has none), without Markdown emphasis, at most 1024 characters."""
    lines = split_lines(text.lstrip("\ufeff"))
    start = next((i + 1 for i, line in enumerate(lines) if _IDENTITY.fullmatch(line)), 0)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines[start:], ""]:
        if _SECTION.fullmatch(line) or _IDENTITY.fullmatch(line) or not line.strip():
            if current:
                paragraphs.append(" ".join(_MARKDOWN_EMPHASIS.sub("", " ".join(current)).split()))
                current = []
            if paragraphs and sum(map(len, paragraphs)) >= 60:
                break
            continue
        current.append(_LIST_MARK.sub("", line))
    words = " ".join(p if p[-1] in ".!?:" else f"{p}." for p in paragraphs if p)
    sentences = _SPACE_BETWEEN_SENTENCES.split(words)
    description = sentences[0]
    if len(sentences) > 1 and len(description) < 100:
        description = f"{description} {sentences[1]}"
    if len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"
    return description


def fabric_prompt(skill: Skill, text: str) -> FabricPrompt:
    """The system and user messages that run pattern `skill` on input `text`."""
    pattern = skill.body()
    if INPUT_PLACEHOLDER in pattern:
        return FabricPrompt(pattern.replace(INPUT_PLACEHOLDER, text), INPUT_IN_SYSTEM)
    return FabricPrompt(pattern, text)
