"""What the model is shown to draft a proposal: the item, the user's TELOS, and a listing of
PAI_HOME (skill names, config.toml's keys without their values, the user's sources.toml and
routing.toml as they are, so that a diff's context lines can match)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pai_tui.history.records import FeedItemRecord
from pai_tui.scrub import redact_shapes
from pai_tui.telos import load_telos

FILE_CAP = 8_000  # characters of a file shown
SUMMARY_CAP = 4_000


def item_text(record: FeedItemRecord) -> str:
    item = record.item
    return (f"Item {record.id} (from the source {record.source}):\n"
            f"Title: {item.title or '(untitled)'}\nURL: {item.url or '(none)'}\n"
            f"Summary:\n{item.summary[:SUMMARY_CAP] or '(none)'}")


def telos_text(home: Path) -> str:
    items = load_telos(home).items
    if not items:
        return "(the user has written no TELOS yet)"
    return "\n".join(f"- {item.id} ({item.kind}): {item.text}" for item in items)


def _keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        found += _keys(value, f"{name}.") if isinstance(value, dict) else [name]
    return found


def config_keys(home: Path) -> str:
    path = home / "config.toml"
    if not path.is_file():
        return "(no config.toml: every setting is the default)"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return f"(config.toml cannot be read: {error})"
    return ", ".join(_keys(data)) or "(empty)"


def _file(home: Path, name: str) -> str:
    path = home / name
    if not path.is_file():
        return f"(no {name})"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return f"({name} cannot be read: {error})"
    cut = "" if len(text) <= FILE_CAP else f"\n… ({len(text) - FILE_CAP} more characters)"
    return f"```toml\n{redact_shapes(text[:FILE_CAP])}\n```{cut}"  # never a key to the model


def skill_names(home: Path) -> str:
    folder = home / "skills"
    names = sorted(p.parent.name for p in folder.glob("*/SKILL.md")) if folder.is_dir() else []
    return ", ".join(names) or "(none of the user's own)"


def home_listing(home: Path) -> str:
    return (f"Skills (skills/NAME/SKILL.md): {skill_names(home)}\n"
            f"config.toml keys: {config_keys(home)}\n\n"
            f"sources.toml:\n{_file(home, 'sources.toml')}\n\n"
            f"routing.toml:\n{_file(home, 'routing.toml')}")
