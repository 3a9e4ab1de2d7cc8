"""What a proposal's diff may touch: files of the user's setup inside PAI_HOME, never the
history, logs, secrets, keys, caches, backups, the .gitignore that keeps them out, or git's own
folder; and never a path that leaves PAI_HOME (an absolute path, `..`, a symbolic link out)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path, PurePosixPath

from pai_tui.upgrade.home_git import PRIVATE_FOLDERS, PRIVATE_NAMES

# The header lines of a unified (or git) diff that name a file.
_HEADER = re.compile(r"^(?:(?:---|\+\+\+) |(?:rename|copy) (?:from|to) )(.+?)\s*$")
_GIT_HEADER = re.compile(r"^diff --git (\S+) (\S+)\s*$")
NEVER = (".gitignore", ".git")


def diff_paths(diff: str) -> list[str]:
    """The paths a diff names (its `---`/`+++`, rename and copy lines), a/ and b/ taken off;
    /dev/null left out."""
    found: list[str] = []
    for line in diff.splitlines():
        match, git = _HEADER.match(line), _GIT_HEADER.match(line)
        names = [match.group(1)] if match else list(git.groups()) if git else []
        for name in names:
            name = name.split("\t", 1)[0].strip('"')
            if line.startswith(("---", "+++", "diff --git")) and name[:2] in ("a/", "b/"):
                name = name[2:]
            if name != "/dev/null" and name not in found:
                found.append(name)
    return found


def refusal(home: Path, path: str) -> str | None:
    """Why the diff may not touch `path` (relative to `home`), or None."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return f"{path}: outside PAI_HOME"
    if any(part in NEVER for part in pure.parts):
        return f"{path}: git's own files are not part of an upgrade"
    if pure.parts[0] in PRIVATE_FOLDERS:
        return f"{path}: {pure.parts[0]}/ is pai's own (not your setup)"
    if any(fnmatch.fnmatch(part, pattern) for part in pure.parts for pattern in PRIVATE_NAMES):
        return f"{path}: the history, secrets and keys are never changed by an upgrade"
    root = home.resolve()
    if not (home / path).resolve().is_relative_to(root):
        return f"{path}: leads outside PAI_HOME (a symbolic link)"
    return None


def refusals(home: Path, diff: str) -> list[str]:
    """Why the diff may not be applied to `home` (nothing: it may)."""
    paths = diff_paths(diff)
    if not paths:
        return ["the diff names no file (not a unified diff)"]
    return [reason for path in paths if (reason := refusal(home, path)) is not None]
