"""The user's TELOS (PAI's statement of purpose: mission, goals, problems, challenges...) read
into items with their ids, for ranking what the upgrade feed finds and, later, for choosing the
notes a turn is given. `$PAI_HOME/telos/` holds one TELOS.md with `## Section`s, or PAI's set of
files (MISSION.md, GOALS.md, PROBLEMS.md, CHALLENGES.md, PROJECTS.md...), or both.

An item is a line or heading that starts with its id: `- G1: Ship pai 1.0`, `## G1 Ship pai
1.0`, `G1. Ship pai 1.0`, `- **G1**: Ship pai 1.0`. The lines under it, up to the next item or
heading, are its detail; a `Keywords: a, b` line adds words to match and `Weight: 2` weighs it.
Files are only read, never rewritten; what is wrong in one is said with its file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ITEM = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)?(?:\*\*|__)?"
                  r"([A-Z]{1,2}\d{1,3})(?:\*\*|__)?(?:\s*[:.)\-\u2013\u2014]\s*|\s+)(.*?)\s*$")
HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
KEYWORDS = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*)?keywords?(?:\*\*)?\s*:\s*(.+)$", re.I)
WEIGHT = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*)?(?:weight|priority)(?:\*\*)?\s*:\s*(\S+)", re.I)
WEIGHTS = {"high": 2.0, "medium": 1.0, "low": 0.5}
KINDS = {"M": "mission", "G": "goal", "P": "problem", "C": "challenge", "S": "strategy",
         "N": "narrative", "B": "belief", "W": "wisdom", "L": "lesson", "F": "frame",
         "PR": "project", "V": "value", "T": "trauma", "I": "idea"}
TEXT_LIMIT = 2_000  # characters of detail kept per item


@dataclass(frozen=True)
class TelosItem:
    id: str
    kind: str  # goal, problem... (from the section or file, else the id's letters)
    text: str
    file: Path
    line: int
    detail: str = ""
    keywords: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass
class Telos:
    items: list[TelosItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: what is wrong"

    def get(self, item_id: str) -> TelosItem | None:
        return next((item for item in self.items if item.id == item_id), None)


def telos_folder(home: Path) -> Path:
    return home / "telos"


def load_telos(home: Path) -> Telos:
    """Every item of every Markdown file in $PAI_HOME/telos/ (TELOS.md first, then the rest by
    name; backups and the update log are not TELOS)."""
    folder = telos_folder(home)
    telos = Telos()
    if not folder.is_dir():
        return telos
    files = sorted((p for p in folder.glob("*.md") if p.name.lower() != "updates.md"),
                   key=lambda p: (p.name.upper() != "TELOS.MD", p.name.upper()))
    seen: dict[str, TelosItem] = {}
    for path in files:
        for item in _read(path, telos.problems):
            first = seen.get(item.id)
            if first is None:
                seen[item.id] = item
                telos.items.append(item)
            elif first.text != item.text:
                telos.problems.append(f"{item.file}:{item.line}: {item.id} is given again, as "
                                      f"something else (first at {first.file}:{first.line}); "
                                      "the first is used")
    return telos


def _read(path: Path, problems: list[str]) -> list[TelosItem]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(f"{path}: not UTF-8 text (byte {error.start}); not read")
        return []
    except OSError as error:
        problems.append(f"{path}: cannot read: {error.strerror}")
        return []
    file_kind = _kind_of(path.stem)
    section_kind: str | None = None
    items: list[TelosItem] = []
    current: dict[str, object] | None = None
    fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if fence:
            continue
        match = ITEM.match(line)
        if match:
            if current:
                items.append(_item(current))
            item_id, said = match.groups()
            if not said:
                problems.append(f"{path}:{number}: {item_id} has no text; not used")
                current = None
                continue
            kind = section_kind or file_kind or KINDS.get(item_id.rstrip("0123456789"), "item")
            current = {"id": item_id, "kind": kind, "text": _clean(said), "file": path,
                       "line": number, "detail": [], "keywords": [], "weight": 1.0}
            continue
        heading = HEADING.match(line)
        if heading:
            if current:
                items.append(_item(current))
                current = None
            section_kind = _kind_of(heading.group(1)) or section_kind
            continue
        if current is not None:
            _detail(current, line, path, number, problems)
    if current:
        items.append(_item(current))
    return items


def _detail(current: dict[str, object], line: str, path: Path, number: int,
            problems: list[str]) -> None:
    keywords, weight = KEYWORDS.match(line), WEIGHT.match(line)
    if keywords:
        words = [w.strip() for w in re.split(r"[,;]", keywords.group(1)) if w.strip()]
        current["keywords"] = [*current["keywords"], *words]  # type: ignore[misc]
    elif weight:
        value = weight.group(1).lower()
        try:
            current["weight"] = WEIGHTS[value] if value in WEIGHTS else float(value)
        except ValueError:
            problems.append(f"{path}:{number}: weight {weight.group(1)!r} is not a number or "
                            "high / medium / low; 1 is used")
    elif line.strip():
        current["detail"].append(_clean(line))  # type: ignore[union-attr]


def _item(current: dict[str, object]) -> TelosItem:
    detail = " ".join(current["detail"])[:TEXT_LIMIT]  # type: ignore[call-overload]
    return TelosItem(str(current["id"]), str(current["kind"]), str(current["text"]),
                     current["file"], int(current["line"]), detail,  # type: ignore[arg-type]
                     tuple(current["keywords"]), float(current["weight"]))  # type: ignore


_SECTIONS = {"mission": "mission", "goal": "goal", "problem": "problem",
             "challenge": "challenge", "strateg": "strategy", "project": "project",
             "narrative": "narrative", "belief": "belief", "wisdom": "wisdom",
             "lesson": "lesson", "frame": "frame", "value": "value", "idea": "idea",
             "priorit": "goal"}


def _kind_of(name: str) -> str | None:
    lowered = name.lower()
    return next((kind for stem, kind in _SECTIONS.items() if stem in lowered), None)


def _clean(text: str) -> str:
    """Markdown emphasis and list marks off: the words are what is matched and shown."""
    text = re.sub(r"^\s*[-*+]\s+", "", text)
    return re.sub(r"(\*\*|__|`)", "", text).strip()
