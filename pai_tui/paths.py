"""Where pai keeps things: the user's PAI_HOME and the bundled folders shipped with the package."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("~/.pai")
BUNDLED_FOLDERS = ("skills", "themes", "assets")

_PACKAGE_DIR = Path(__file__).resolve().parent


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

    @property
    def themes(self) -> Path:
        return self.root / "themes"

    @property
    def hooks(self) -> Path:
        return self.root / "hooks"

    def user_folders(self) -> list[Path]:
        return [self.skills, self.agents, self.themes, self.hooks]

    def ensure(self) -> None:
        """Create PAI_HOME and its user folders (never touches files inside them)."""
        for folder in (self.root, *self.user_folders()):
            folder.mkdir(parents=True, exist_ok=True)
