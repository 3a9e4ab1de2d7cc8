"""Theme files: one TOML file per Textual theme, in the bundled themes/ and $PAI_HOME/themes/.

A broken file is reported (file, line, field) and skipped; it never stops the app.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.css.stylesheet import Stylesheet, StylesheetParseError
from textual.theme import Theme

from pai_tui.config import ConfigError, KeyLocator, parse_toml
from pai_tui.paths import bundled

DEFAULT_THEME = "pai"
_FIELDS = {f.name: f for f in dataclasses.fields(Theme)}
_COLOR_FIELDS = {name for name, f in _FIELDS.items() if f.type in ("str | None", "str")} - {"name"}
_NUMBER_FIELDS = {"luminosity_spread", "text_alpha"}
_BOOL_FIELDS = {"dark", "ansi"}


def theme_from_file(path: Path) -> Theme:
    """Parse and check one theme file; raises ConfigError naming the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, f"cannot read: {error}") from None
    data = parse_toml(path, text)
    where = KeyLocator(path, text)
    for key in ("name", "primary"):
        if key not in data:
            raise ConfigError(path, "missing required field", line=None, key=key)
    for key, value in data.items():
        _check_field(where, key, value)
    return Theme(**data)


def _check_field(where: KeyLocator, key: str, value: Any) -> None:
    if key not in _FIELDS:
        raise where.error((), key, f"unknown theme field (known: {', '.join(sorted(_FIELDS))})")
    if key == "name":
        if not isinstance(value, str) or not value.strip():
            raise where.error((), key, "expected a non-empty string")
    elif key in _COLOR_FIELDS:
        _check_color(where, (), key, value)
    elif key in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise where.error((), key, f"expected true or false, got {value!r}")
    elif key in _NUMBER_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise where.error((), key, f"expected a number, got {value!r}")
    elif key == "variables":
        if not isinstance(value, dict):
            raise where.error((), key, "expected a table of CSS variable = value")
        for name, variable in value.items():
            _check_variable(where, name, variable)


def _check_variable(where: KeyLocator, name: str, value: Any) -> None:
    """A variable Textual defines must hold what its rules can use: the value is tried in the CSS
    property such variables feed (text-style, or a color), so a bad one never breaks the app."""
    if not isinstance(value, str):
        raise where.error(("variables",), name, f"expected a string, got {value!r}")
    if name not in _textual_variables():
        return  # a variable of the user's own: nothing of Textual's depends on it
    prop = "text-style" if name.endswith("-style") else "color"
    sheet = Stylesheet()
    sheet.add_source(f"Screen {{ {prop}: {value}; }}")
    try:
        sheet.parse()
    except StylesheetParseError:
        raise where.error(("variables",), name, f"{value!r} is not a valid {prop}") from None


@cache
def _textual_variables() -> frozenset[str]:
    return frozenset(Theme(name="probe", primary="#000000").to_color_system().generate())


def _check_color(where: KeyLocator, table: tuple[str, ...], key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise where.error(table, key, f"expected a color string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise where.error(table, key, f"{value!r} is not a color") from None


def theme_folders(user_themes: Path) -> list[Path]:
    """Bundled first, the user's last: a user theme with a bundled name replaces it."""
    return [bundled("themes"), user_themes]


def load_themes(user_themes: Path) -> tuple[dict[str, Theme], list[str]]:
    """All valid themes by name, and one message per broken file."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in theme_folders(user_themes):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_file(path)
            except ConfigError as error:
                problems.append(str(error))
                continue
            themes[theme.name] = theme
    return themes, problems
