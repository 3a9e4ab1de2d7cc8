"""The built-in tools a named agent may call (issue 10): read, list, glob, grep, write, edit
and bash, offered to the model like skills' tools and governed by the same allow / ask / deny
policy (deciding and asking is the caller's; `default_policy` says where each tool starts).

Confinement: every path goes through `Workspace.resolve`, the one door to the file system. A
path is refused (`ToolRefused`, naming it) when it leaves the run's working folder: `..`
escapes, absolute paths elsewhere, symlinks whose target lies outside, NUL bytes. Walks (glob,
grep) never follow a symlinked folder and drop any match that resolves outside. The limit, said
honestly: a path is checked when the tool starts, so a process racing to swap a folder for a
symlink between the check and the open is not stopped (only `bash`, which already runs what it
likes after approval, could do that from inside the run).

Bounds: every output is capped (and says what was cut), bash runs through `pai_tui.process`
(its own process group, killed with its children on timeout; output capped while read) with an
environment without the user's secrets, and every tool's answer has known secret values
replaced before the model sees it. File work runs on a thread (`asyncio.to_thread`): a big
file never stalls the event loop.

Errors are answers, not exceptions: `run_tool` returns a ToolOutcome with `is_error` and a
message the model can act on ("edit: 'old' occurs 3 times in notes.md; give more context so it
occurs once").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from pai_tui.agents.names import BUILTIN_TOOLS, READ_ONLY_TOOLS
from pai_tui.llm.base import ToolSpec
from pai_tui.llm.keys import KEY_VARIABLES
from pai_tui.paths import replace_durably
from pai_tui.process import run
from pai_tui.scrub import redact_shapes, scrubbed_environment
from pai_tui.skills.tools import secret_values

READ_CAP = 100_000  # bytes of numbered lines `read` returns
LIST_CAP = 1000  # entries `list` shows
GLOB_CAP = 1000  # paths `glob` shows
GREP_CAP = 200  # matching lines `grep` shows
GREP_LINE = 300  # characters of one matching line shown
GREP_FILE_MAX = 5_000_000  # bytes: bigger files are skipped by grep (said)
WALK_CAP = 200_000  # entries a glob or grep walks before it stops (said)
BASH_CAP = 100_000  # bytes of stdout and of stderr each
BASH_TIMEOUT = 60.0  # seconds, by default
BASH_MAX_TIMEOUT = 600.0
BINARY_SNIFF = 8192  # bytes looked at for a NUL: a file with one is binary
NEW_FILE_MODE = 0o644

Policy = Literal["allow", "ask"]


class ToolError(Exception):
    """Something the model asked for that cannot be done: its message is the answer."""


class ToolRefused(ToolError):
    """A path outside the working folder (or otherwise unsafe): refused, never attempted."""


@dataclass(frozen=True)
class ToolOutcome:
    """What a built-in tool gave back: `content` is what the model sees. `exit_code` is bash's
    status as a shell reports it (124 timed out, 126 could not start, 128+N killed by signal
    N); None for the other tools."""

    content: str
    is_error: bool = False
    exit_code: int | None = None


class Workspace:
    """The run's working folder: every path a tool touches is resolved inside it, and bash runs
    there with `environment()`. `env` is the base environment (default os.environ); `hide`
    names more variables to keep from bash (a provider's `key_env`, the secrets file's names);
    `redact` maps secret values to what replaces them in every answer (default: the values of
    the variables hidden from bash, as for skills' tools)."""

    def __init__(self, root: Path, *, env: Mapping[str, str] | None = None,
                 hide: tuple[str, ...] = (), redact: Mapping[str, str] | None = None):
        resolved = Path(root).resolve()
        if not resolved.is_dir():
            raise ValueError(f"the working folder {root} is not a folder")
        self.root = resolved
        self._env = dict(os.environ if env is None else env)
        self._hide = (*KEY_VARIABLES, *hide)
        self.redact = dict(secret_values(self._env, key_variables=hide)
                           if redact is None else redact)

    def resolve(self, path_text: str) -> Path:
        """`path_text` (relative to the root, or absolute inside it) resolved, symlinks
        followed; refused when it leads outside the root, so no tool ever opens such a path."""
        if "\0" in path_text:
            raise ToolRefused(f"{path_text!r} contains a NUL byte: refused")
        joined = self.root / path_text
        if not Path(os.path.normpath(joined)).is_relative_to(self.root):
            raise ToolRefused(f"{path_text!r} is outside the working folder {self.root}: "
                              "refused (paths must stay inside it)")
        resolved = joined.resolve()
        if not resolved.is_relative_to(self.root):
            raise ToolRefused(f"{path_text!r} leads outside the working folder {self.root} "
                              "through a symlink: refused")
        return resolved

    def shown(self, path: Path) -> str:
        """`path` as the model should write it: relative to the root, `/`-separated."""
        relative = path.relative_to(self.root).as_posix()
        return relative if relative else "."

    def environment(self) -> dict[str, str]:
        """What bash gets: the base environment without secrets (see `pai_tui.scrub`)."""
        return scrubbed_environment(self._env, hide=self._hide)


# --- what the model is offered ------------------------------------------------------------------

def _object(required: tuple[str, ...], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False}


_PATH = {"type": "string", "description": "Relative to the working folder."}
_SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "read": (
        "Read a text file in the working folder. Lines come numbered (1-based). Give start_line "
        f"and end_line (inclusive) to read part of a long file; output stops at {READ_CAP} bytes "
        "and says where to go on.",
        _object(("path",), path=_PATH,
                start_line={"type": "integer", "minimum": 1, "description": "First line (1)."},
                end_line={"type": "integer", "minimum": 1,
                          "description": "Last line, inclusive (default: the end)."})),
    "list": (
        "List a folder of the working folder: names sorted, folders end with '/', symlinks "
        f"with '@'. At most {LIST_CAP} entries.",
        _object((), path={**_PATH, "description": "Folder to list (default '.')."})),
    "glob": (
        "Find paths matching a glob pattern relative to the working folder: '*' and '?' stay "
        "within one folder, '**' spans any depth ('src/**/*.py'). Names starting with '.' are "
        f"skipped unless the pattern names one. Sorted, at most {GLOB_CAP}.",
        _object(("pattern",), pattern={"type": "string"})),
    "grep": (
        "Search text files for a string (literal by default, or a Python regex with "
        "regex=true). Prints 'file:line: text' for each matching line, at most "
        f"{GREP_CAP}. Skips binary files and folders starting with '.' (.git).",
        _object(("pattern",), pattern={"type": "string"},
                path={**_PATH, "description": "File or folder to search (default '.')."},
                regex={"type": "boolean", "description": "Treat pattern as a regex."},
                ignore_case={"type": "boolean"},
                include={"type": "string",
                         "description": "Only files whose name matches this glob ('*.py')."})),
    "write": (
        "Create or overwrite a file with the given content (UTF-8), creating its folders. "
        "Prefer edit for changing part of an existing file.",
        _object(("path", "content"), path=_PATH, content={"type": "string"})),
    "edit": (
        "Replace the exact text 'old' with 'new' in a file. 'old' must occur exactly once, "
        "whitespace and indentation included: give enough surrounding lines to make it unique.",
        _object(("path", "old", "new"), path=_PATH, old={"type": "string"},
                new={"type": "string"})),
    "bash": (
        "Run a command in the working folder: 'command' as a /bin/sh command line, or 'argv' "
        "as an argument vector (no shell). Returns the exit code, stdout and stderr (each "
        f"capped at {BASH_CAP} bytes). Killed with its children after 'timeout' seconds "
        f"(default {BASH_TIMEOUT:g}, at most {BASH_MAX_TIMEOUT:g}). No secrets in its "
        "environment; nothing runs without the user's approval.",
        _object((), command={"type": "string"},
                argv={"type": "array", "items": {"type": "string"}, "minItems": 1},
                timeout={"type": "number", "exclusiveMinimum": 0,
                         "maximum": BASH_MAX_TIMEOUT})),
}


def tool_specs(names: Iterable[str] = BUILTIN_TOOLS) -> list[ToolSpec]:
    """The specs to offer the model for the built-in tools `names`, in their order."""
    return [ToolSpec(name, *_SPECS[_known(name)]) for name in names]


def default_policy(name: str) -> Policy:
    """Where a tool starts before config speaks: reading is allowed, changing things asks."""
    return "allow" if _known(name) in READ_ONLY_TOOLS else "ask"


def _known(name: str) -> str:
    if name not in _SPECS:
        raise ValueError(f"no built-in tool called {name!r} (there are {', '.join(_SPECS)})")
    return name


# --- running ------------------------------------------------------------------------------------

async def run_tool(workspace: Workspace, name: str, arguments: Mapping[str, Any]) -> ToolOutcome:
    """Run the built-in tool `name`; every failure is an answer saying why (never a raise),
    and known secret values are taken out of whatever it returns."""
    try:
        checked = _checked(_known(name), arguments)
        if name == "bash":
            outcome = await _bash(workspace, checked)
        else:
            content = await asyncio.to_thread(_FILE_TOOLS[name], workspace, checked)
            outcome = ToolOutcome(content)
    except (ToolError, ValueError) as error:
        outcome = ToolOutcome(f"{name}: {error}", is_error=True)
    except OSError as error:
        outcome = ToolOutcome(f"{name}: {_os_problem(workspace, error)}", is_error=True)
    return ToolOutcome(_redacted(outcome.content, workspace.redact), outcome.is_error,
                       outcome.exit_code)


def _os_problem(workspace: Workspace, error: OSError) -> str:
    where = error.filename
    with contextlib.suppress(ValueError, TypeError):
        where = workspace.shown(Path(where))
    return f"{where}: {error.strerror}" if where else str(error)


def _redacted(text: str, secrets: Mapping[str, str]) -> str:
    """`text` without the known secret values, nor anything shaped like a key."""
    for value in sorted(secrets, key=len, reverse=True):  # a value inside another: whole first
        if value and value in text:
            text = text.replace(value, secrets[value])
    return redact_shapes(text)


_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "string": (str, "a string"), "integer": (int, "an integer"),
    "number": ((int, float), "a number"), "boolean": (bool, "true or false"),
    "array": (list, "a list of strings")}


def _checked(name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """`arguments` checked against the tool's schema (names, required, types): a model's
    mistake comes back as a sentence it can fix. A null counts as not given."""
    schema = _SPECS[name][1]
    properties: dict[str, Any] = schema["properties"]
    given = {key: value for key, value in arguments.items() if value is not None}
    for key in given:
        if key not in properties:
            raise ToolError(f"unknown argument {key!r} ({name} takes "
                            f"{', '.join(properties) or 'none'})")
    for key in schema["required"]:
        if key not in given:
            raise ToolError(f"{key!r} is required")
    for key, value in given.items():
        kind, wanted = _KINDS[properties[key]["type"]]
        wrong_bool = isinstance(value, bool) and kind is not bool
        items_ok = not isinstance(value, list) or all(isinstance(i, str) for i in value)
        if not isinstance(value, kind) or wrong_bool or not items_ok:
            raise ToolError(f"{key!r} must be {wanted}, not {_json_kind(value)}")
    return given


def _json_kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


# --- read, list, glob, grep (on a thread) -----------------------------------------------------

def _read(workspace: Workspace, args: dict[str, Any]) -> str:
    """Numbered lines from start_line to end_line, streamed: a huge file costs the cap."""
    path = _existing_file(workspace, args["path"], "read")
    start, end = args.get("start_line", 1), args.get("end_line")
    if start < 1 or (end is not None and end < start):
        raise ToolError(f"bad line range {start}..{end} (lines count from 1, end_line >= "
                        "start_line)")
    shown, out, size = workspace.shown(path), [], 0
    with path.open("rb") as handle:
        _refuse_binary(handle.read(BINARY_SNIFF), shown)
        handle.seek(0)
        number = 0
        for number, raw in enumerate(handle, 1):
            if number < start:
                continue
            if end is not None and number > end:
                break
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            line = f"{number:>6}\t{text}"
            size += len(line) + 1
            if size > READ_CAP:
                out.append(f"… cut at {READ_CAP} bytes: read on with start_line={number}")
                break
            out.append(line)
    if number < start and not (number == 0 and start == 1):
        raise ToolError(f"start_line {start} is past the end of {shown} ({number} lines)")
    return "\n".join(out) if out else f"({shown} is empty)"


def _existing_file(workspace: Workspace, path_text: str, tool: str) -> Path:
    path = workspace.resolve(path_text)
    if path.is_dir():
        raise ToolError(f"{workspace.shown(path)} is a folder"
                        + ("; use list or glob to see it" if tool == "read" else ""))
    if not path.exists():
        raise ToolError(f"no such file: {path_text}")
    if not path.is_file():  # a FIFO or a device would hang the read, or never end
        raise ToolError(f"{workspace.shown(path)} is not a regular file")
    return path


def _refuse_binary(head: bytes, shown: str) -> None:
    if b"\0" in head:
        raise ToolError(f"{shown} looks binary (it has NUL bytes): not read as text")


def _list(workspace: Workspace, args: dict[str, Any]) -> str:
    folder = workspace.resolve(args.get("path", "."))
    if not folder.is_dir():
        shown = args.get("path", ".")
        raise ToolError(f"{shown} is a file; use read" if folder.exists()
                        else f"no such folder: {shown}")
    with os.scandir(folder) as entries:
        names = sorted(_entry_name(entry) for entry in entries)
    if not names:
        return f"({workspace.shown(folder)} is empty)"
    more = len(names) - LIST_CAP
    return "\n".join(names[:LIST_CAP] + ([f"… and {more} more entries"] if more > 0 else []))


def _entry_name(entry: os.DirEntry[str]) -> str:
    """`name/` for a folder, `name@` for a symlink (not followed: it may lead outside)."""
    if entry.is_symlink():
        return entry.name + "@"
    return entry.name + ("/" if entry.is_dir(follow_symlinks=False) else "")


def _walk(workspace: Workspace, start: Path, *, hidden: bool,
          max_depth: int | None = None) -> Iterator[tuple[Path, bool]]:
    """(path, is_folder) under `start` in sorted order, symlinked folders not entered, names
    starting with '.' skipped unless `hidden`; at most WALK_CAP entries (then ToolError)."""
    seen = 0
    for folder, dirs, files in os.walk(start, followlinks=False):
        depth = len(Path(folder).relative_to(start).parts)
        dirs[:] = sorted(d for d in dirs if hidden or not d.startswith("."))
        for name in [*dirs, *sorted(files)]:
            if not hidden and name.startswith("."):
                continue
            seen += 1
            if seen > WALK_CAP:
                raise ToolError(f"stopped after looking at {WALK_CAP} entries: narrow the "
                                "search")
            yield Path(folder, name), name in dirs
        if max_depth is not None and depth + 1 >= max_depth:
            dirs[:] = []


def _glob(workspace: Workspace, args: dict[str, Any]) -> str:
    pattern = args["pattern"].strip()
    segments = [s for s in pattern.split("/") if s not in ("", ".")]
    if pattern.startswith("/") or ".." in segments or "\0" in pattern or not segments:
        raise ToolRefused(f"pattern {pattern!r} must be relative to the working folder, "
                          "without '..': refused")
    literal = []
    for segment in segments:
        if any(c in segment for c in "*?["):
            break
        literal.append(segment)
    start = workspace.resolve("/".join(literal) or ".")
    if len(literal) == len(segments):  # no wildcard: the path itself, if it is there
        return workspace.shown(start) if start.exists() else f"no paths match {pattern!r}"
    rest = segments[len(literal):]
    matcher = _glob_regex(rest)
    hidden = any(s.startswith(".") for s in rest)
    depth = None if "**" in rest else len(rest)
    found: list[str] = []
    for path, is_dir in _walk(workspace, start, hidden=hidden, max_depth=depth):
        if matcher.match(path.relative_to(start).as_posix()) and _inside(workspace, path):
            found.append(workspace.shown(path) + ("/" if is_dir else ""))
    return _capped_list(sorted(found), GLOB_CAP, f"no paths match {pattern!r}", "paths")


def _inside(workspace: Workspace, path: Path) -> bool:
    return path.resolve().is_relative_to(workspace.root)


def _glob_regex(segments: list[str]) -> re.Pattern[str]:
    """A regex for `/`-joined relative paths: `*`, `?` and `[...]` within one segment, a
    `**` segment for any number of folders (zero included)."""
    parts = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:.*/)?")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        char = segment[i]
        close = segment.find("]", i + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif close != -1:
            body = segment[i + 1:close]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _capped_list(lines: list[str], cap: int, empty: str, what: str) -> str:
    if not lines:
        return empty
    more = len(lines) - cap
    return "\n".join(lines[:cap] + ([f"… and {more} more {what}"] if more > 0 else []))


def _grep(workspace: Workspace, args: dict[str, Any]) -> str:
    pattern: str = args["pattern"]
    if not pattern:
        raise ToolError("'pattern' is empty")
    flags = re.IGNORECASE if args.get("ignore_case") else 0
    try:
        regex = re.compile(pattern if args.get("regex") else re.escape(pattern), flags)
    except re.error as error:
        raise ToolError(f"bad regex {pattern!r}: {error}") from None
    start = workspace.resolve(args.get("path", "."))
    if not start.exists():
        raise ToolError(f"no such file or folder: {args.get('path')}")
    files = [start] if start.is_file() else [
        p for p, is_dir in _walk(workspace, start, hidden=False) if not is_dir]
    include = args.get("include")
    search = _Search(regex)
    for path in files:
        if include is None or fnmatchcase(path.name, include):
            search.file(workspace, path)
    return search.report(pattern)


class _Search:
    """Matching lines gathered across files: the first GREP_CAP kept, the rest counted."""

    def __init__(self, regex: re.Pattern[str]):
        self.regex = regex
        self.lines: list[str] = []
        self.matches = self.files = self.binary = self.big = 0

    def file(self, workspace: Workspace, path: Path) -> None:
        if not path.is_file() or not _inside(workspace, path):
            return
        if path.stat().st_size > GREP_FILE_MAX:
            self.big += 1
            return
        data = path.read_bytes()
        if b"\0" in data[:BINARY_SNIFF]:
            self.binary += 1
            return
        self.files += 1
        shown = workspace.shown(path)
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if self.regex.search(line):
                self.matches += 1
                if len(self.lines) < GREP_CAP:
                    text = line if len(line) <= GREP_LINE else line[:GREP_LINE] + "…"
                    self.lines.append(f"{shown}:{number}: {text}")

    def report(self, pattern: str) -> str:
        notes = []
        if self.matches > len(self.lines):
            notes.append(f"… and {self.matches - len(self.lines)} more matching lines "
                         "(narrow the pattern or the path)")
        if self.binary:
            notes.append(f"({self.binary} binary files skipped)")
        if self.big:
            notes.append(f"({self.big} files over {GREP_FILE_MAX} bytes skipped)")
        head = self.lines or [f"no matches for {pattern!r} in {self.files} files"]
        return "\n".join(head + notes)


# --- write and edit (on a thread) ---------------------------------------------------------------

def _write(workspace: Workspace, args: dict[str, Any]) -> str:
    path = workspace.resolve(args["path"])
    if path.is_dir():
        raise ToolError(f"{workspace.shown(path)} is a folder")
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = args["content"].encode("utf-8")
    replace_durably(path, data, NEW_FILE_MODE)
    how = "replaced" if existed else "new file"
    return f"wrote {len(data)} bytes to {workspace.shown(path)} ({how})"


def _edit(workspace: Workspace, args: dict[str, Any]) -> str:
    old, new = args["old"], args["new"]
    if not old:
        raise ToolError("'old' is empty: say which text to replace (use write for a new file)")
    if old == new:
        raise ToolError("'old' and 'new' are the same: nothing to change")
    path = _existing_file(workspace, args["path"], "edit")
    shown, data = workspace.shown(path), path.read_bytes()
    _refuse_binary(data[:BINARY_SNIFF], shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{shown} is not UTF-8 text: not edited") from None
    count = text.count(old)
    if count == 0:
        raise ToolError(f"'old' was not found in {shown} (it must match exactly, whitespace "
                        "and indentation included; read the file first)")
    if count > 1:
        raise ToolError(f"'old' occurs {count} times in {shown}; give more context so it "
                        "occurs once")
    at = text.index(old)
    replace_durably(path, text.replace(old, new, 1).encode("utf-8"), NEW_FILE_MODE)
    return f"edited {shown}: replaced 1 occurrence at line {text.count(chr(10), 0, at) + 1}"


_FILE_TOOLS: dict[str, Callable[[Workspace, dict[str, Any]], str]] = {
    "read": _read, "list": _list, "glob": _glob, "grep": _grep, "write": _write,
    "edit": _edit}


# --- bash ---------------------------------------------------------------------------------------

async def _bash(workspace: Workspace, args: dict[str, Any]) -> ToolOutcome:
    """Run after approval (the caller's): in the root, in its own process group through
    `pai_tui.process.run` (timeout kills it with its children, output capped while read),
    with the scrubbed environment and known secrets redacted as the output is read."""
    command, argv = args.get("command"), args.get("argv")
    if (command is None) == (argv is None):
        raise ToolError("give either 'command' (a shell command line) or 'argv' (a list), "
                        "not both or neither")
    if command is not None and not command.strip():
        raise ToolError("'command' is empty")
    if argv is not None and not argv:
        raise ToolError("'argv' is empty")
    timeout = args.get("timeout", BASH_TIMEOUT)
    if not 0 < timeout <= BASH_MAX_TIMEOUT:
        raise ToolError(f"'timeout' must be more than 0 and at most {BASH_MAX_TIMEOUT:g} "
                        "seconds")
    vector = ["/bin/sh", "-c", command] if command is not None else list(argv)
    result = await run(vector, timeout=float(timeout), output_cap=BASH_CAP,
                       env=workspace.environment(), cwd=workspace.root,
                       redact=workspace.redact)
    return ToolOutcome(result.as_text(), is_error=not result.ok, exit_code=result.exit_status)
