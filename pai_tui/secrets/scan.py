"""Scanning files, folders and the staged git diff with the detector: what `pai secrets scan`
and the git pre-commit hook run.

Folders are walked without following links and without the folders of tools (.git, virtual
environments, caches); a binary file (a NUL byte near its start) or one larger than MAX_BYTES
is skipped and said to be. The staged diff is read from git: only added lines are scanned,
each at its line of the new file.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pai_tui.secrets.detect import Finding, find_secrets

MAX_BYTES = 2_000_000  # larger files are data, not code or config: skipped (and said so)
SNIFF = 8192  # a NUL byte in this many first bytes: a binary file
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv",
                             "venv", ".tox", ".nox", ".mypy_cache", ".ruff_cache",
                             ".pytest_cache"})
GIT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Found:
    path: str  # as given, or relative to the repository for the staged diff
    finding: Finding

    def __str__(self) -> str:
        return f"{self.path}:{self.finding.line}: {self.finding}"


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def scan_text(text: str, path: str, allowed: Collection[str] = ()) -> list[Found]:
    return [Found(path, finding) for finding in find_secrets(text, allowed=allowed)]


def scan_paths(paths: Iterable[str | Path], allowed: Collection[str] = (),
               max_bytes: int = MAX_BYTES) -> Iterator[Found | Skipped]:
    """Every finding in the files named and the files under the folders named."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for file in _walk(path):
                yield from _scan_file(file, allowed, max_bytes)
        elif path.exists():
            yield from _scan_file(path, allowed, max_bytes)
        else:
            yield Skipped(str(path), "no such file or folder")


def _walk(folder: Path) -> Iterator[Path]:
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        for name in sorted(files):
            file = Path(root, name)
            if not file.is_symlink():
                yield file


def _scan_file(path: Path, allowed: Collection[str], max_bytes: int) -> Iterator[Found | Skipped]:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield Skipped(str(path), f"larger than {max_bytes:,} bytes ({size:,})")
            return
        data = path.read_bytes()
    except OSError as error:
        yield Skipped(str(path), f"cannot read ({error.strerror})")
        return
    if b"\0" in data[:SNIFF]:
        return  # binary: nothing to say about it
    yield from scan_text(data.decode("utf-8", "replace"), str(path), allowed)


# --- the staged diff ------------------------------------------------------------------------

class GitError(RuntimeError):
    """git could not say what is staged (not a repository, git missing): the message says."""


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def git_root(folder: Path | None = None) -> Path:
    return Path(_git(["rev-parse", "--show-toplevel"], folder).strip())


def staged_diff(folder: Path | None = None) -> str:
    """The staged changes of the repository at `folder` (else the current one), as git
    prints them with no context lines."""
    return _git(["-c", "core.quotepath=off", "diff", "--cached", "--no-color", "--no-ext-diff",
                 "--no-renames", "--unified=0", "--diff-filter=ACMRT"], folder)


def _git(args: list[str], folder: Path | None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True,
                              timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError as error:
        raise GitError("git is not installed (or not on PATH)") from error
    except subprocess.TimeoutExpired as error:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT:g} s") from error
    if done.returncode:
        raise GitError(done.stderr.decode("utf-8", "replace").strip() or
                       f"git {' '.join(args)} failed ({done.returncode})")
    return done.stdout.decode("utf-8", "replace")


def added_lines(diff: str) -> dict[str, list[tuple[int, str]]]:
    """Each file's added lines, with their numbers in the new file."""
    files: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    number = 0
    for line in diff.split("\n"):
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else files.setdefault(_unquote(target), [])
        elif line.startswith("@@"):
            hunk = _HUNK.match(line)
            number = int(hunk.group(1)) if hunk else 0
        elif line.startswith("+") and current is not None:
            current.append((number, line[1:]))
            number += 1
        elif line.startswith(" "):
            number += 1
    return files


def _unquote(target: str) -> str:
    """`b/path` without its prefix; git quotes a path with unusual characters C-style."""
    if target.startswith('"') and target.endswith('"'):
        raw = target[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        target = raw.encode("latin-1", "replace").decode("utf-8", "replace")
    return target[2:] if target.startswith("b/") else target


def scan_staged(folder: Path | None = None, allowed: Collection[str] = ()) -> list[Found]:
    """The findings in the lines the staged diff adds, each at its line of the new file
    (added lines of a file are scanned together, so a key block added whole is one)."""
    found = []
    for path, lines in added_lines(staged_diff(folder)).items():
        text = "\n".join(text for _, text in lines)
        for finding in find_secrets(text, allowed=allowed):
            line = lines[finding.line - 1][0]
            found.append(Found(path, Finding(finding.kind, line, finding.column, finding.last4,
                                             finding.fingerprint)))
    return found
