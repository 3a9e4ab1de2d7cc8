"""The one writer of config.toml: a change made while pai runs (a theme, a model, an "always"
answer) edits just its keys, atomically, keeping the user's comments and layout (tomlkit), and is
applied to the settings in memory. It refuses to touch a file it cannot parse: the user's file is
never lost."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pai_tui.config import Config, ProviderSettings, parse_toml, read_text
from pai_tui.paths import private_folder, replace_durably


class Settings:
    """Changes to the settings of a running pai, one at a time (safe from any thread)."""

    def __init__(self, config: Config):
        self.config = config
        self._lock = threading.Lock()

    def save(self, table: tuple[str, ...], values: dict[str, Any]) -> Path:
        """Write `values` into `[table]` of config.toml and apply them now. Blocking (call it
        from a thread). Raises ConfigError (file unreadable as TOML) or OSError; nothing is
        applied then."""
        with self._lock:
            write_settings(self.config.home.config, table, values)
            _apply(self.config, table, values)
        return self.config.home.config


def _apply(config: Config, table: tuple[str, ...], values: dict[str, Any]) -> None:
    target: Any = config
    for name in table:
        if isinstance(target, dict):
            target = target.setdefault(name, ProviderSettings() if table[0] == "providers"
                                       else {})
        else:
            target = getattr(target, name)
    for key, value in values.items():
        if isinstance(target, dict):
            target[key] = value
        else:
            setattr(target, key, value)


def write_setting(path: Path, table: str, key: str, value: str) -> None:
    """Set `[table] key = value` in config.toml, atomically, keeping comments and order."""
    write_settings(path, (table,), {key: value})


def write_settings(path: Path, table: tuple[str, ...], values: dict[str, Any]) -> None:
    """Set keys of one table (`("providers", "ollama")` is `[providers.ollama]`) in config.toml,
    atomically, keeping comments and order.

    Refuses (ConfigError) to touch a file it cannot parse: the user's file is never lost.
    """
    import tomlkit  # only when the app writes a setting

    text = read_text(path) if path.exists() else "# pai settings (see the README)\n"
    parse_toml(path, text)
    document = tomlkit.parse(text)
    section: Any = document
    for name in table:
        if name not in section:
            section[name] = tomlkit.table(is_super_table=section is document and len(table) > 1)
        section = section[name]
    for key, value in values.items():
        section[key] = value
    write_atomic(path, tomlkit.dumps(document))


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it (keeps the file mode,
    0600 for a new file; a symlinked file is written where the link points, so the link
    survives)."""
    path = path.resolve()
    private_folder(path.parent)
    # A file pai creates is the user's only (it may name key variables and endpoints); one the
    # user made keeps the mode they gave it.
    replace_durably(path, text.encode("utf-8"))
