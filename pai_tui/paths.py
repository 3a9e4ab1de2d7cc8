"""Where pai keeps things: the user's PAI_HOME and the bundled folders shipped with the package."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("~/.pai")
BUNDLED_FOLDERS = ("skills", "themes", "assets")

_PACKAGE_DIR = Path(__file__).resolve().parent
PRIVATE_DIR = 0o700  # what pai creates is the user's only: history, keys, logs
PRIVATE_FILE = 0o600


def private_folder(folder: Path) -> None:
    """Create `folder` (and missing parents) for the user only; an existing folder keeps the
    mode its owner chose."""
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """Make sure `path` exists and only the user can read it: created 0600 (never readable by
    others, not even for a moment); an existing one that others may read is narrowed to 0600.
    Where that is impossible (a read-only folder, someone else's file) it is left to whoever
    opens the file next to report."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDONLY, PRIVATE_FILE)
    except OSError:
        return
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, PRIVATE_FILE)
    except OSError:
        pass
    finally:
        os.close(fd)


def narrow(path: Path) -> None:
    """An existing file of pai's made 0600 (nothing if it is absent or not ours to change)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, PRIVATE_FILE)
    except OSError:
        pass


def replace_durably(path: Path, data: bytes, new_mode: int = PRIVATE_FILE) -> None:
    """Replace `path` with `data` through a temporary file beside it, fsynced, then renamed
    over it: a reader (or a crash) sees the old file or the new one, never half of it. An
    existing file keeps its mode (a script stays executable, the user's config stays theirs);
    a new one gets `new_mode`."""
    import tempfile

    mode = path.stat().st_mode & 0o7777 if path.exists() else new_mode
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, 0600, atomically (a temporary file beside it, then a rename):
    a reader sees the old file or the new one, never half of one. No fsync: this is for files
    pai can rebuild, such as caches (config.toml has its own durable writer in settings). The
    temporary name holds the process and thread, so concurrent writers never share one."""
    import _thread  # (built in: `threading` costs a millisecond to import)

    temporary = path.with_name(f".{path.name}.{os.getpid()}.{_thread.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as file:
            if stat.S_IMODE(os.fstat(file.fileno()).st_mode) & 0o077:  # a leftover, made wider
                os.fchmod(file.fileno(), PRIVATE_FILE)
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def pai_home() -> Path:
    """$PAI_HOME if set, else ~/.pai."""
    raw = os.environ.get("PAI_HOME", "").strip()
    return Path(raw).expanduser() if raw else DEFAULT_HOME.expanduser()


def bundled(folder: str) -> Path:
    """A bundled folder: inside the installed package, else at the top of the source tree."""
    if folder not in BUNDLED_FOLDERS:
        raise ValueError(f"unknown bundled folder {folder!r}")
    installed = _PACKAGE_DIR / "_bundled" / folder
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / folder


@dataclass(frozen=True)
class HomePaths:
    """The layout of one PAI_HOME."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def database(self) -> Path:
        return self.root / "pai.db"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def skills(self) -> Path:
        return self.root / "skills"

    @property
    def agents(self) -> Path:
        return self.root / "agents"

    def expand(self, raw: str) -> Path:
        """A folder named in config.toml: `~` expanded; relative to PAI_HOME (where
        config.toml lives) unless absolute."""
        path = Path(raw).expanduser()
        return path if path.is_absolute() else self.root / path

    @property
    def cache(self) -> Path:
        """What pai can rebuild (the skill index's cache): deleting it loses nothing."""
        return self.root / "cache"

    @property
    def themes(self) -> Path:
        return self.root / "themes"

    @property
    def hooks(self) -> Path:
        return self.root / "hooks"

    def user_folders(self) -> list[Path]:
        return [self.skills, self.agents, self.themes, self.hooks]

    def ensure(self) -> None:
        """Create PAI_HOME and its user folders, 0700 (never touches files inside them, nor the
        mode of a folder that exists)."""
        for folder in (self.root, *self.user_folders()):
            private_folder(folder)
