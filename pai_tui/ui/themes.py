"""Theme files: one TOML file per Textual theme, in the bundled themes/ and $PAI_HOME/themes/.

A broken file is reported (file, line, field) and skipped; it never stops the app. Every value is
checked when the file is read, with Textual's own parsers: Textual tokenizes every variable of
the current theme each time it parses CSS, so one bad value (or CSS smuggled into a value) would
otherwise stop pai at start or kill the running app the moment the theme is chosen.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path
from typing import Any

from textual.color import Color
from textual.css.stylesheet import Stylesheet
from textual.css.tokenize import tokenize_value
from textual.theme import Theme

from pai_tui.config import ConfigError, KeyLocator, Range, parse_toml
from pai_tui.paths import bundled

DEFAULT_THEME = "pai"
_FIELDS = {f.name: f for f in dataclasses.fields(Theme)}
_COLOR_FIELDS = {name for name, f in _FIELDS.items() if f.type in ("str | None", "str")} - {"name"}
# Both are fractions: Textual turns them into colour steps (1e308 overflows, NaN has no step).
_NUMBER_FIELDS = {"luminosity_spread": Range(0, 1), "text_alpha": Range(0, 1)}
_BOOL_FIELDS = {"dark", "ansi"}
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# What could end a declaration or a rule: a value is one value, never more CSS.
_CSS_SYNTAX = re.compile(r"[{};]|/\*|\*/|[\x00-\x1f\x7f]")
_NAME_LENGTH = 64


def theme_from_file(path: Path, trusted: bool = False) -> Theme:
    """Parse and check one theme file; raises ConfigError naming the file, line and field.
    `trusted` (the bundled themes, which the tests build in full) skips building the colour
    system, about 2 ms a theme at start."""
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
    theme = Theme(**data)
    if not trusted:
        _check_whole(path, theme)
    return theme


def _check_whole(path: Path, theme: Theme) -> None:
    """What Textual will do with the theme when it is applied: build its colour system (the
    theme's own variables were tokenized one by one already; the generated ones are Textual's
    colours). Whatever fails here would fail inside the running app."""
    try:
        theme.to_color_system().generate()
    except Exception as error:  # Textual raises several kinds here; each one means unusable
        raise ConfigError(path, f"Textual cannot build this theme ({error})") from None


def _check_field(where: KeyLocator, key: str, value: Any) -> None:
    if key not in _FIELDS:
        raise where.error((), key, f"unknown theme field (known: {', '.join(sorted(_FIELDS))})")
    if key == "name":
        if not isinstance(value, str) or not value.strip() or len(value) > _NAME_LENGTH \
                or not value.isprintable():
            raise where.error((), key, f"expected a name of 1 to {_NAME_LENGTH} printable "
                              "characters")
    elif key in _COLOR_FIELDS:
        _check_color(where, (), key, value)
    elif key in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise where.error((), key, f"expected true or false, got {value!r}")
    elif key in _NUMBER_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise where.error((), key, f"expected a number, got {value!r}")
        problem = _NUMBER_FIELDS[key].problem(value)
        if problem:
            raise where.error((), key, problem)
    elif key == "variables":
        if not isinstance(value, dict):
            raise where.error((), key, "expected a table of CSS variable = value")
        for name, variable in value.items():
            _check_variable(where, name, variable)


def _check_variable(where: KeyLocator, name: str, value: Any) -> None:
    """Every variable is one CSS value (Textual tokenizes them all on each CSS parse, used or
    not); one Textual defines must also hold what its rules can use: the value is tried in the
    CSS property such variables feed (text-style, or a color)."""
    if not _VARIABLE_NAME.match(name):
        raise where.error(("variables",), name, "is not a CSS variable name (letters, digits, "
                          "- and _)")
    if not isinstance(value, str):
        raise where.error(("variables",), name, f"expected a string, got {value!r}")
    if _CSS_SYNTAX.search(value):
        raise where.error(("variables",), name, f"{value!r} contains CSS syntax ({{, }}, ; "
                          "or a comment): a variable holds one value")
    try:
        list(tokenize_value(value, ("theme", name)))
    except Exception:
        raise where.error(("variables",), name, f"{value!r} is not a valid CSS value") from None
    if name not in _textual_variables():
        return  # a variable of the user's own: nothing of Textual's depends on it
    prop = "text-style" if name.endswith("-style") else "color"
    sheet = Stylesheet()
    sheet.add_source(f"Screen {{ {prop}: {value}; }}")
    try:
        sheet.parse()
    except Exception:  # StylesheetParseError, and the tokenizer's own errors
        raise where.error(("variables",), name, f"{value!r} is not a valid {prop}") from None


@cache
def _textual_variables() -> frozenset[str]:
    return frozenset(Theme(name="probe", primary="#000000").to_color_system().generate())


def _check_color(where: KeyLocator, table: tuple[str, ...], key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise where.error(table, key, f"expected a color string, got {value!r}")
    if _CSS_SYNTAX.search(value):
        raise where.error(table, key, f"{value!r} is not a color")
    try:
        Color.parse(value)
    except Exception:  # ColorParseError, or worse: either way not a colour
        raise where.error(table, key, f"{value!r} is not a color") from None


def theme_folders(user_themes: Path) -> list[Path]:
    """Bundled first, the user's last: a user theme with a bundled name replaces it."""
    return [bundled("themes"), user_themes]


class ThemeProblem(str):
    """A message about a skipped theme file, and the name it declares (if it says one), so a
    saved theme that became invalid can be told apart from one that is gone."""

    name: str | None = None


def _declared_name(path: Path) -> str | None:
    import tomllib

    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return name if isinstance(name, str) else None


def load_themes(user_themes: Path) -> tuple[dict[str, Theme], list[ThemeProblem]]:
    """All valid themes by name, and one message per broken file."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for folder in theme_folders(user_themes):
        if not folder.is_dir():
            continue
        trusted = folder == bundled("themes")
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_file(path, trusted)
            except ConfigError as error:
                problem = ThemeProblem(str(error))
                problem.name = _declared_name(path)
                problems.append(problem)
                continue
            themes[theme.name] = theme
    return themes, problems
