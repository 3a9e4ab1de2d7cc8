"""Writing $PAI_HOME/secrets.toml (`pai secrets add`, `rotate`) and what pai knows of each key's
life: when it was added, last used, last refused.

The file stays what it always was, `NAME = "key"` lines that any version of pai reads, plus one
table pai keeps beside them: `[added]`, the date each key was added (`NAME = 2026-11-30`). A
file from before (no `[added]`) is read as it is; a key without a date has an unknown age until
pai writes the file, which then dates it by the file's last change (the newest it can be).
Edits keep the user's comments and order (tomlkit), go through a temporary file (mode 600) and
a rename. Nothing here prints, logs or raises a key: messages name variables and positions.

When a key was last used or refused is not a secret and changes often: it lives in
key-usage.json beside it, by fingerprint (a hash of the key), never the key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pai_tui.llm.keys import mask
from pai_tui.paths import private_file, replace_durably

ADDED = "added"  # the table of dates
USAGE_FILE = "key-usage.json"


class SecretsFileError(RuntimeError):
    """secrets.toml cannot be read or written as it is: the message says where, never what."""


@dataclass(frozen=True)
class StoredKey:
    variable: str
    masked: str
    added: dt.date | None  # None: before pai recorded dates
    fingerprint: str

    def age_days(self, today: dt.date | None = None) -> int | None:
        return None if self.added is None else ((today or dt.date.today()) - self.added).days


def key_fingerprint(value: str) -> str:
    """A short hash naming a key in key-usage.json (never the key)."""
    return hashlib.sha256(value.strip().encode()).hexdigest()[:16]


class SecretsFile:
    """$PAI_HOME/secrets.toml, for writing. Reading for use stays `keys.Secrets` (which
    refuses a file others can read); this refuses to write one too."""

    def __init__(self, path: Path):
        self.path = path

    def _document(self):  # -> tomlkit.TOMLDocument
        import tomlkit

        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:  # as keys.Secrets: a file others can read is not used at all
                raise SecretsFileError(f"{self.path} is readable by others (mode {mode:03o}) "
                                       f"and was ignored: chmod 600 {self.path}")
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return tomlkit.document()
        except (OSError, UnicodeDecodeError) as error:
            raise SecretsFileError(f"{self.path}: cannot read ({error})") from error
        try:
            return tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as error:  # names line and column, not content
            raise SecretsFileError(f"{self.path}: not valid TOML (line {error.line}, column "
                                   f"{error.col}); fix it first, it was not changed") from error

    def stored(self) -> list[StoredKey]:
        """Every `NAME = "key"` of the file, masked, with the date it was added."""
        document = self._document()
        dates = document.get(ADDED, {})
        found = []
        for name, value in document.items():
            if isinstance(value, str):
                added = dates.get(name) if isinstance(dates, dict) else None
                found.append(StoredKey(name, mask(value), _date(added),
                                       key_fingerprint(str(value))))
        return found

    def get(self, variable: str) -> str | None:
        value = self._document().get(variable)
        return str(value) if isinstance(value, str) else None

    def put(self, variable: str, value: str, today: dt.date | None = None) -> None:
        """Store `value` as `variable`'s key (replacing the one there), dated `today`."""
        document = self._document()
        undated = self._file_date()
        dates = document.get(ADDED)
        if not isinstance(dates, dict):
            import tomlkit

            dates = tomlkit.table()
            dates.comment("when each key was added (pai secrets add / rotate)")
        for name, old in document.items():  # migrate: a key from before gets a date
            if isinstance(old, str) and name not in dates and undated is not None:
                dates[name] = undated
        if variable in document:
            document[variable] = value
        else:  # before the tables: a key after [added] would belong to it
            body = [(k, v) for k, v in document.items() if k != ADDED]
            for name, _ in body:
                document.remove(name)
            for name, old in [*body, (variable, value)]:
                document[name] = old
        dates[variable] = today or dt.date.today()
        if ADDED in document:
            document.remove(ADDED)
        document[ADDED] = dates
        self._write(document.as_string())

    def _file_date(self) -> dt.date | None:
        try:
            return dt.date.fromtimestamp(self.path.stat().st_mtime)
        except OSError:
            return None

    def _write(self, text: str) -> None:
        """Through a temporary file and a rename: mode 600 for a new file, an existing one
        keeps its (600: `_document` refused any other before)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_durably(self.path, text.encode("utf-8"))


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- last used, last refused -----------------------------------------------------------------

@dataclass(frozen=True)
class Usage:
    last_used: str | None = None  # ISO time of the last request the key was accepted for
    last_failure: str | None = None  # ISO time and reason of the last refusal


def usage_path(home: Path) -> Path:
    return home / USAGE_FILE


def read_usage(home: Path) -> dict[str, Usage]:
    """fingerprint -> Usage; an unreadable file is no usage known (it holds no key)."""
    try:
        data = json.loads(usage_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: Usage(v.get("last_used"), v.get("last_failure"))
            for k, v in data.items() if isinstance(v, dict)}


_NOTING = threading.Lock()
_NOTED_OK: dict[str, dt.datetime] = {}
NOTE_EVERY = dt.timedelta(minutes=1)  # "last used" is kept to the minute


def record_use(home: Path, value: str, *, ok: bool, reason: str = "",
               when: dt.datetime | None = None) -> None:
    """Note that the key `value` was just accepted (`ok`) or refused (`reason`, e.g.
    "HTTP 401"). Blocking file I/O: call it off the UI's event loop."""
    moment = when or dt.datetime.now(dt.UTC)
    with _NOTING:  # one read-change-write at a time: runs ending together note at once
        last = _NOTED_OK.get(value)
        if ok and last is not None and moment - last < NOTE_EVERY:
            return  # said a moment ago: no write (and fsync) for every model call
        if ok:
            _NOTED_OK[value] = moment
        _note(home, value, moment, ok, reason)


def _note(home: Path, value: str, moment: dt.datetime, ok: bool, reason: str) -> None:
    stamp = moment.isoformat(timespec="seconds")
    path = usage_path(home)
    data = _raw(path)
    entry = data.setdefault(key_fingerprint(value), {})
    if not isinstance(entry, dict):
        entry = data[key_fingerprint(value)] = {}
    if ok:
        entry["last_used"] = stamp
    else:
        entry["last_failure"] = f"{stamp} {reason}".strip()
    try:
        private_file(path)
        replace_durably(path, json.dumps(data, indent=1, sort_keys=True).encode())
    except OSError:
        pass  # a note, never a reason to fail


def forget_use(home: Path, value: str) -> None:
    """A retired key's usage is dropped with it."""
    path = usage_path(home)
    data = {k: v for k, v in _raw(path).items() if k != key_fingerprint(value)}
    if path.exists():
        with contextlib.suppress(OSError):
            replace_durably(path, json.dumps(data, indent=1, sort_keys=True).encode())


def _raw(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}
