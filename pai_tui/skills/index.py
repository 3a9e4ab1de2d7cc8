"""Finding and indexing skills: every folder holding a SKILL.md under the skill roots.

The index reads each SKILL.md once, keeps its frontmatter and the PAI routing tables of its
body (`| Workflow | Trigger | File |`), and drops the body: `Skill.body()` reads it again when
the skill is used. A file that cannot be understood is a rejection naming the file and line; it
never stops the others.

Root precedence, first wins (a warning names both files when one skill shadows another):
$PAI_HOME/skills, `[skills] roots` in order, the bundled skills, then Fabric pattern folders.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pai_tui.skills.frontmatter import (
    Frontmatter,
    FrontmatterError,
    decode,
    normalize,
    parse_frontmatter,
)
from pai_tui.skills.index_cache import IndexCache, cache_file
from pai_tui.skills.model import (
    MAX_SKILL_BYTES,
    REFERENCE_FOLDERS,
    TOOL_FOLDERS,
    WORKFLOW_FOLDERS,
    Finding,
    Skill,
    WorkflowRoute,
    is_scalar,
    skill_key,
)
from pai_tui.skills.spec import spec_findings

if TYPE_CHECKING:
    from pai_tui.config import Config

# `skill.md` is accepted too, as the spec's reference validator (skills-ref) does: a lowercase
# file from a case-insensitive disk would otherwise vanish silently. It loads with a warning.
SKILL_FILES = ("SKILL.md", "skill.md")
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__"})  # and every hidden folder
# Inside a skill these hold its resources, never nested skills: not searched (faster).
RESOURCE_FOLDERS = frozenset({*TOOL_FOLDERS, *WORKFLOW_FOLDERS, *REFERENCE_FOLDERS,
                              "assets", "Assets", "templates", "Templates"})
MAX_DEPTH = 6  # folders below a root
MAX_SKILLS = 5_000  # in one index
MAX_FOLDERS = 20_000  # searched under one root (a root set to ~ must not scan the disk)


@dataclass
class SkillIndex:
    """The loaded skills by key (`skill_key`), with what went wrong on the way."""

    skills: dict[str, Skill] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)
    rejected: list[Finding] = field(default_factory=list)  # files not loaded, with the reason
    roots: list[Path] = field(default_factory=list)
    reused: int = 0  # SKILL.md files taken unread from the cache (`index_cache`)

    def get(self, name: str) -> Skill | None:
        """The skill called `name`, in any case, with `_`, `-` or spaces alike."""
        return self.skills.get(skill_key(name))

    def __iter__(self) -> Iterator[Skill]:
        """Skills in key order, whatever order the disk listed them in."""
        return iter(self.skills.values())

    def __len__(self) -> int:
        return len(self.skills)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and skill_key(name) in self.skills

    def findings(self) -> list[Finding]:
        """Warnings and rejections, by file and line."""
        return sorted(self.warnings + self.rejected, key=lambda f: (str(f.path), f.line or 0))

    def add(self, skill: Skill) -> None:
        """Add `skill` unless one of the same key came first (then warn, naming both)."""
        key = skill.key
        first = self.skills.get(key)
        if first is None:
            self.skills[key] = skill
            self.warnings.extend(skill.warnings)
        else:
            self.warnings.append(Finding(
                skill.path, f"skill '{skill.name}' is not loaded: it is shadowed by "
                            f"{first.path}, found first"))


# --- where skills are --------------------------------------------------------------------------

def skill_roots(config: Config) -> list[Path]:
    """The SKILL.md roots in precedence order (Fabric folders come after; `fabric_folders`)."""
    from pai_tui.paths import bundled

    return [config.home.skills, *(config.home.expand(raw) for raw in config.skills.roots),
            bundled("skills")]


def fabric_folders(config: Config) -> list[Path]:
    return [config.home.expand(raw) for raw in config.skills.fabric]


def load_index(config: Config) -> SkillIndex:
    """Every skill pai can use, following the root precedence. $PAI_HOME/skills and the bundled
    folder may be absent; a configured folder that is absent is a warning."""
    from pai_tui.paths import bundled

    optional = {config.home.skills, bundled("skills")}
    roots = [root for root in skill_roots(config) if root not in optional or root.is_dir()]
    return load_roots(roots, fabric_folders(config), cache=cache_file(config.home))


def load_roots(roots: Sequence[Path], fabric: Sequence[Path] = (), max_depth: int = MAX_DEPTH,
               max_skills: int = MAX_SKILLS, cache: Path | None = None) -> SkillIndex:
    """The index of explicit roots (first wins) and then Fabric pattern folders. With `cache`
    (a file), a SKILL.md unchanged since the run that wrote it is not read again."""
    index = SkillIndex()
    seen: set[Path] = set()
    store = IndexCache.open(cache) if cache is not None else None
    found = 0
    for root in (Path(r) for r in roots):
        if not _once(root, seen, index):
            continue
        files, findings = find_skill_files(root, max_depth)
        _sort_findings(findings, index)
        for path in files:
            found += 1
            if found > max_skills:
                index.warnings.append(Finding(path, f"not loaded: the limit of {max_skills} "
                                                    f"skills is reached (this and later ones)"))
                break
            outcome = store.read(path, root, read_outcome) if store else read_outcome(path, root)
            if isinstance(outcome, Skill):
                index.add(outcome)
            else:
                index.rejected.append(outcome)
    if store is not None:
        store.save()
        index.reused = store.reused
    _add_fabric(index, fabric, seen)
    index.skills = dict(sorted(index.skills.items()))
    return index


def _add_fabric(index: SkillIndex, folders: Sequence[Path], seen: set[Path]) -> None:
    """The patterns of Fabric folders, after every skill root (imported only when there are)."""
    for folder in (Path(f) for f in folders):
        if _once(folder, seen, index, what="Fabric pattern folder"):
            from pai_tui.skills.fabric import load_fabric

            skills, findings = load_fabric(folder)
            _sort_findings(findings, index)
            for skill in skills:
                index.add(skill)


def _once(root: Path, seen: set[Path], index: SkillIndex, what: str = "skill folder") -> bool:
    """Whether `root` is a folder not searched yet (a missing one is a warning)."""
    if not root.is_dir():
        index.warnings.append(Finding(root, f"{what} not found (check config.toml)"))
        return False
    real = root.resolve()
    if real in seen:
        return False
    seen.add(real)
    index.roots.append(root)
    return True


def _sort_findings(findings: list[Finding], index: SkillIndex) -> None:
    for finding in findings:
        (index.rejected if finding.severity == "error" else index.warnings).append(finding)


def find_skill_files(root: Path, max_depth: int = MAX_DEPTH,
                     max_folders: int = MAX_FOLDERS) -> tuple[list[Path], list[Finding]]:
    """The SKILL.md files under `root` in path order (nested skills included), and findings:
    broken links and unreadable folders (errors), bounds reached (warnings)."""
    files: list[Path] = []
    findings: list[Finding] = []
    visited: set[tuple[int, int]] = set()
    deep = False
    folders = 0
    stack: list[tuple[str, int]] = [(str(root), 0)]
    while stack:
        folder, depth = stack.pop()
        folders += 1
        if folders > max_folders:
            findings.append(Finding(root, f"stopped after searching {max_folders} folders: "
                                          f"skills in the rest are not loaded"))
            break
        skill_files: dict[str, os.DirEntry[str]] = {}
        folders_here: list[os.DirEntry[str]] = []
        links: list[os.DirEntry[str]] = []
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    name = entry.name
                    if name in SKILL_FILES:
                        skill_files[name] = entry
                    elif name[0] == "." or name in SKIPPED_FOLDERS:
                        continue
                    elif _is_dir(entry):
                        folders_here.append(entry)
                    elif entry.is_symlink():
                        links.append(entry)
            info = os.stat(folder)
        except OSError as error:
            findings.append(Finding(Path(folder), f"not loaded: cannot read the folder "
                                                  f"({error.strerror})", None, "error"))
            continue
        if (info.st_dev, info.st_ino) in visited:
            continue  # reached again through a symbolic link
        visited.add((info.st_dev, info.st_ino))
        skill_file = skill_files.get(SKILL_FILES[0]) or skill_files.get(SKILL_FILES[1])
        if skill_file is None:
            for link in links:  # perhaps a skill folder that is gone
                _broken_link(link, findings)
        elif not _broken_link(skill_file, findings) and skill_file.is_file():
            files.append(Path(skill_file.path))
        children = sorted(entry.path for entry in folders_here
                          if skill_file is None or entry.name not in RESOURCE_FOLDERS)
        if children and depth >= max_depth:
            if not deep:
                deep = True
                findings.append(Finding(Path(children[0]), f"not searched: deeper than "
                                        f"{max_depth} folders below {root}"))
            continue
        stack.extend((child, depth + 1) for child in reversed(children))
    return files, findings


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symbolic link loop: reported as a broken link
        return False


def _broken_link(entry: os.DirEntry[str], findings: list[Finding]) -> bool:
    """Whether `entry` is a symbolic link that leads nowhere (then a finding says so)."""
    if not entry.is_symlink():
        return False
    try:
        os.stat(entry.path)
    except OSError as error:
        findings.append(Finding(Path(entry.path), f"not loaded: broken symbolic link to "
                                                  f"{os.readlink(entry.path)} "
                                                  f"({error.strerror})", None, "error"))
        return True
    return False


# --- reading one skill ------------------------------------------------------------------------

def read_outcome(path: Path, root: Path) -> Skill | Finding:
    """The skill a SKILL.md declares, or why it is not loaded (an error naming file and line)."""
    try:
        return read_skill(path, root)
    except FrontmatterError as error:
        return Finding(path, f"not loaded: {error.message}", error.line, "error")


def read_frontmatter(path: Path) -> tuple[Frontmatter, str]:
    """The frontmatter of a SKILL.md and its whole text (LF line ends); `FrontmatterError`
    saying why not. A file over MAX_SKILL_BYTES is refused before it is read; at most that much
    is read even from a file that says it is smaller (one that grows, or a device)."""
    try:
        size, data = _read_capped(path)
    except OSError as error:
        raise FrontmatterError(f"cannot read the file ({error.strerror})") from None
    if size > MAX_SKILL_BYTES or len(data) > MAX_SKILL_BYTES:
        shown = f"{size:,} bytes" if size > MAX_SKILL_BYTES else "over the limit"
        raise FrontmatterError(f"the file is {shown}; a SKILL.md may be at most "
                               f"{MAX_SKILL_BYTES:,} (1 MB): move long material to references/")
    text = normalize(decode(data))
    return parse_frontmatter(text, path), text


def _read_capped(path: Path) -> tuple[int, bytes]:
    """The size a file says it has, and at most MAX_SKILL_BYTES + 1 of its bytes: what it says
    it holds, in one call (a larger request costs a buffer of that size), then, if it holds
    more (it grew, or is a device), up to past the cap. (`os.read` on a descriptor: a file
    object costs more than the read, here.)"""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        data = b"" if size > MAX_SKILL_BYTES else os.read(fd, size + 1)
        if len(data) > size:
            data += os.read(fd, MAX_SKILL_BYTES + 1 - len(data))
    finally:
        os.close(fd)
    return size, data


def read_skill(path: Path, root: Path) -> Skill:
    """The skill a SKILL.md declares, read leniently: every rule it breaks is a warning."""
    fm, text = read_frontmatter(path)
    fields = fm.fields
    warnings = list(fm.warnings)
    if path.name != "SKILL.md":
        warnings.append(Finding(path, f"the file is named '{path.name}'; the spec and Claude "
                                      f"Code expect 'SKILL.md'", 1))
    warnings.extend(replace(f, severity="warning") if f.severity == "error" else f
                    for f in spec_findings(fm, path))
    fields, warnings = _scalar_metadata(fields, warnings)
    return Skill(
        name=_name(fields.get("name"), path),
        description=_text(fields.get("description")),
        path=path, root=root, kind="skill", fields=fields, body_line=fm.body_line,
        routes=workflow_routes(text, fm.body_line), warnings=warnings,
    )


def _scalar_metadata(fields: dict[str, Any],
                     warnings: list[Finding]) -> tuple[dict[str, Any], list[Finding]]:
    """The fields without the metadata values that are not scalars (the spec wants text), and
    the spec's warning about each saying that it is ignored."""
    metadata = fields.get("metadata")
    if not isinstance(metadata, dict):
        return fields, warnings
    for value in metadata.values():  # (a loop: the common case, all scalars, runs per skill)
        if not is_scalar(value):
            break
    else:
        return fields, warnings
    dropped = {f"'metadata' value of '{k}' " for k, v in metadata.items() if not is_scalar(v)}
    kept = {k: v for k, v in metadata.items() if is_scalar(v)}
    said = [replace(w, message=f"{w.message}; it is ignored")
            if w.message.startswith(tuple(dropped)) else w for w in warnings]
    return {**fields, "metadata": kept}, said


def _name(value: Any, path: Path) -> str:
    """The name declared, else the name of the skill's folder."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
            and str(value).strip():
        return str(value).strip()
    return path.parent.name


def _text(value: Any) -> str:
    if value is None or isinstance(value, (list, dict)):
        return ""
    return str(value).strip()


# --- PAI routing tables ---------------------------------------------------------------------

# Header cells, as PAI writes them: `| Workflow | Trigger | File |`, `| Trigger | Workflow |`,
# `| Workflow | Triggers | Description |`, `| Trigger Words | Workflow | ... |`,
# `| Request Pattern | Route To |`, `| Workflow | Description | Use When |`.
_WORKFLOW_HEADERS = ("workflow", "workflows", "route to")
_TRIGGER_HEADERS = ("request pattern", "use when")
_HEADER_WORDS = ("orkflow", "ORKFLOW", "oute To", "oute to", "OUTE TO")
# A table's first line (starting with '|' after blanks) with the separator line under it
# (`|---|:--|`): _HEADER_AT is tried at the body's first line, _HEADER after each line break.
# One search jumps from line break to line break in C, far cheaper than looking for each header
# word, and a body without a table (half the real ones) costs just that one search. (One run of
# blanks before the optional '|': two runs around it made a long blank line cost quadratic time.)
_HEADER_AND_SEPARATOR = r"([ \t]*\|[^\n]*)\n[ \t]*(?:\|[ \t]*)?:?-[-:| \t]*(?=\n|\Z)"
_HEADER_AT = re.compile(_HEADER_AND_SEPARATOR)
_HEADER = re.compile(r"\n" + _HEADER_AND_SEPARATOR)
_FENCE_MARKS = ("```", "~~~")
_TABLE_ROWS = re.compile(r"(?:[ \t]*\|[^\n]*(?:\n|$))*")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CODE_PATH = re.compile(r"`([^`]+)`")


def workflow_routes(text: str, start_line: int = 1) -> list[WorkflowRoute]:
    """The rows of PAI routing tables (a header with a workflow and a trigger column) in `text`
    (LF line ends) from line `start_line` on, outside fenced code blocks."""
    offset = 0
    for _ in range(start_line - 1):
        offset = text.find("\n", offset) + 1
        if not offset:
            return []
    routes: list[WorkflowRoute] = []
    fences, counted = 0, offset  # code fences before `counted` (each part searched once)
    for header, start, after in _table_headers(text, offset):
        if not any(word in header for word in _HEADER_WORDS):
            continue
        fences, counted = fences + _fences(text, counted, start), start
        if fences % 2:
            continue  # inside a code block
        columns = _route_columns(_cells(header))
        rows = _TABLE_ROWS.match(text, after + 1) if columns else None
        for row in rows[0].splitlines() if rows else ():
            route = _route(_cells(row), *columns)  # type: ignore[misc]
            if route is not None:
                routes.append(route)
    return routes


def _table_headers(text: str, offset: int) -> Iterator[tuple[str, int, int]]:
    """Each line from `offset` (a line start) on that starts with '|' and has a table's
    separator line under it, in order: the line, where it starts, where the separator ends."""
    match = _HEADER_AT.match(text, offset) or _HEADER.search(text, offset)
    while match:
        yield match[1], match.start(1), match.end()
        match = _HEADER.search(text, match.end())


def _fences(text: str, start: int, end: int) -> int:
    """How many code fences (```, ~~~ first on their line) open or close between `start` and
    `end` (line starts): a `str.find` loop per mark (the two cannot overlap), many times faster
    than a regular expression with an `|`."""
    fences = 0
    for mark in _FENCE_MARKS:
        found = text.find(mark, start, end)
        while found >= 0:
            fences += _at_line_start(text, found)
            found = text.find(mark, found + len(mark), end)
    return fences


def _at_line_start(text: str, position: int) -> bool:
    start = text.rfind("\n", 0, position) + 1
    return not text[start:position].strip(" \t")


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    cells = _CELL_SPLIT.split(inner) if "\\" in inner else inner.split("|")  # (same, faster)
    return [cell.strip() for cell in cells]


def _plain(cell: str) -> str:
    return cell.replace("**", "").replace("__", "").replace("`", "").strip()


def _route_columns(headers: list[str]) -> tuple[int, int, int | None] | None:
    """(workflow, trigger, file) column indexes of a routing table's header, or None."""
    names = [_plain(h).lower() for h in headers]
    workflow = next((i for i, n in enumerate(names) if n in _WORKFLOW_HEADERS), None)
    trigger = next((i for i, n in enumerate(names)
                    if n.startswith("trigger") or n in _TRIGGER_HEADERS), None)
    if workflow is None or trigger is None:
        return None
    return workflow, trigger, next((i for i, n in enumerate(names) if n == "file"), None)


def _route(cells: list[str], workflow: int, trigger: int,
           file_column: int | None) -> WorkflowRoute | None:
    def cell(i: int | None) -> str:
        return cells[i] if i is not None and i < len(cells) else ""

    name, when = _plain(cell(workflow)), _plain(cell(trigger))
    if not name or not when:
        return None
    file: str | None = None
    if file_column is not None:
        raw = cell(file_column)
        code = _CODE_PATH.search(raw)
        file = (code[1] if code else _plain(raw)) or None
    else:
        code = _CODE_PATH.search(cell(workflow))
        if code and (code[1].lower().endswith(".md") or "/" in code[1]):
            file = code[1]
            stem = Path(file.rstrip("/"))
            name = stem.parent.name if stem.stem.upper() == "SKILL" and stem.parent.name \
                else stem.stem
    return WorkflowRoute(workflow=name, trigger=when, file=file)
