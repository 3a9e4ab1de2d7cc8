"""The skill index's memory between runs: what reading each SKILL.md gave, so that a file that
has not changed is not read and parsed again.

One file, `$PAI_HOME/cache/skill-index.marshal` (0600 in a 0700 folder, replaced atomically),
maps each SKILL.md path to the file's stamp when it was read (modification and change times in
ns, size, inode, device) and what it gave: the skill (frontmatter, routes, warnings) or the
reason it was rejected. A file whose stamp differs is read again, a new one is read, one no
longer found is dropped. Only these per-file results are kept: the walk, the shadowing and the
limits are worked out anew each time, so the roots, their order and the depth limit cannot make
a cached result wrong and are not part of the key.

The whole file is keyed on pai's version, this format's number, the Python version (marshal's
format follows it) and the stamps of the modules whose code decides what a file gives (a
development checkout edits them without a new version). A cache that is absent, unreadable,
corrupt or from another key is ignored (and logged): every skill is read, as without a cache.

Why marshal: it loads 1,000 entries in ~2 ms, against ~7 ms for json (plus ~8 ms to import it)
and pickle's import of ~8 ms; it builds nothing but built-in values (no classes, no code runs
while loading, unlike pickle), and the file lives in a folder only the user can write. A value
marshal cannot store (a YAML date in a frontmatter) leaves that file out: it is read each time.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pai_tui import __version__
from pai_tui.paths import private_folder, write_private
from pai_tui.skills.model import Finding, Skill, WorkflowRoute

if TYPE_CHECKING:
    import logging

    from pai_tui.paths import HomePaths

FORMAT = 1
CACHE_FILE = "skill-index.marshal"
# A file changed this recently may change again within the same clock tick (a second on some
# file systems, two on FAT) without its stamp changing: it is not remembered until it is older.
RACY_NS = 2_000_000_000
# The modules whose code decides what a SKILL.md gives.
_CODE = ("frontmatter.py", "index.py", "index_cache.py", "model.py", "spec.py")

Stamp = tuple[int, int, int, int, int]
Outcome = Skill | Finding  # what a SKILL.md gave: its skill, or why it is not loaded


def cache_file(home: HomePaths) -> Path:
    return home.cache / CACHE_FILE


def file_stamp(path: str) -> Stamp | None:
    """What changes when a file does (None when it cannot be examined: reading it says why)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino, info.st_dev


def code_key() -> tuple[Any, ...]:
    """What cached results depend on besides the files: a different key makes them stale."""
    here = os.path.dirname(__file__)
    return (__version__, FORMAT, sys.version_info[:2], marshal.version,
            tuple(file_stamp(os.path.join(here, name)) for name in _CODE))


class IndexCache:
    """The cached outcomes of one index run: those read from the file, and those kept for the
    next run (what this run found, unchanged or read anew)."""

    def __init__(self, file: Path, key: tuple[Any, ...], entries: dict[str, Any]):
        self.file, self.key = file, key
        self.reused = 0  # outcomes taken from the cache, their files unread
        self._old = entries
        self._new: dict[str, Any] = {}
        self._changed = False
        self._recent = time.time_ns() - RACY_NS

    @classmethod
    def open(cls, file: Path) -> IndexCache:
        key = code_key()
        return cls(file, key, _load(file, key))

    def read(self, path: Path, root: Path, read: Callable[[Path, Path], Outcome]) -> Outcome:
        """What `path` (found under `root`) gives: remembered if the file is unchanged, else
        `read(path, root)`, remembered for the next run. The stamp is taken before reading, so
        a change made while it is read shows up next time."""
        name = str(path)
        stamp = file_stamp(name)
        entry = self._old.get(name)
        if stamp is not None and entry is not None:
            outcome = _decode(entry, stamp, path, root)
            if outcome is not None:
                self._new[name] = entry
                self.reused += 1
                return outcome
        outcome = read(path, root)
        if stamp is not None and stamp[0] < self._recent:
            self._new[name] = (stamp, _encode(outcome, path))
            self._changed = True
        return outcome

    def save(self) -> None:
        """Write what this run found, unless it is what the file holds already (a run that
        changed nothing writes nothing) or there is no PAI_HOME (a cache does not create one).
        A failure is logged: the next run reads every skill again."""
        if not self._changed and len(self._new) == len(self._old):
            return
        if not self.file.parent.parent.is_dir():
            return
        try:
            private_folder(self.file.parent)
            write_private(self.file, _dumps(self.key, self._new))
        except OSError as error:
            _log().info("skill index cache %s not written: %s", self.file, error)


def _load(file: Path, key: tuple[Any, ...]) -> dict[str, Any]:
    """The entries of the cache file, or none if it is absent or not one this pai wrote."""
    try:
        with open(file, "rb") as handle:
            data = marshal.loads(handle.read())
    except FileNotFoundError:
        return {}
    except Exception as error:  # whatever is wrong with the file, it means no cache
        _log().info("skill index cache %s ignored, rebuilt: %s", file, error)
        return {}
    if not (isinstance(data, tuple) and len(data) == 2 and data[0] == key
            and isinstance(data[1], dict)):
        _log().info("skill index cache %s ignored, rebuilt: another pai, Python or format", file)
        return {}
    return data[1]


def _dumps(key: tuple[Any, ...], entries: dict[str, Any]) -> bytes:
    try:
        return marshal.dumps((key, entries))
    except ValueError:  # a value marshal cannot store: leave those files out
        return marshal.dumps((key, {name: entry for name, entry in entries.items()
                                    if _storable(entry)}))


def _storable(entry: Any) -> bool:
    try:
        marshal.dumps(entry)
    except ValueError:
        return False
    return True


# --- outcomes as plain tuples --------------------------------------------------------------

def _encode(outcome: Outcome, path: Path) -> tuple[Any, ...]:
    if isinstance(outcome, Finding):
        return ("rejected", outcome.message, outcome.line, outcome.severity)
    routes = tuple((r.workflow, r.trigger, r.file) for r in outcome.routes) \
        if outcome.routes else ()
    warnings = tuple((None if w.path is path else str(w.path), w.message, w.line, w.severity)
                     for w in outcome.warnings) if outcome.warnings else ()
    return ("skill", outcome.name, outcome.description, outcome.fields, outcome.body_line,
            routes, warnings)


def _decode(entry: Any, stamp: Stamp, path: Path, root: Path) -> Outcome | None:
    """The outcome `_encode` stored, found at `path` under `root` now; None if the file's stamp
    differs or the entry is damaged (then the file is read)."""
    try:
        if entry[0] != stamp:
            return None
        data = entry[1]
        if data[0] == "rejected":
            _, message, line, severity = data
            return Finding(path, message, line, severity)
        _, name, description, fields, body_line, routes, warnings = data
        return Skill(name=name, description=description, path=path, root=root, kind="skill",
                     fields=fields, body_line=body_line,
                     routes=[WorkflowRoute(*route) for route in routes],
                     warnings=[Finding(path if where is None else Path(where), message, line,
                                       severity) for where, message, line, severity in warnings])
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def _log() -> logging.Logger:
    import logging  # only when something went wrong (importing it costs ~4 ms)

    return logging.getLogger(__name__)
