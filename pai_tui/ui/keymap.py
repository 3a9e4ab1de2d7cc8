"""Textual bindings built from the action catalogue (pai_tui/actions.py)."""

from __future__ import annotations

from textual.binding import Binding

from pai_tui.actions import ACTIONS, ActionSpec, Scope


def binding(spec: ActionSpec) -> Binding:
    return Binding(spec.keys, spec.action, spec.title, show=False, id=spec.id,
                   priority=spec.priority, tooltip=spec.help)


def bindings_for(scope: Scope) -> list[Binding]:
    return [binding(spec) for spec in ACTIONS if spec.scope == scope and spec.keys]


def use_standard_alt_digits() -> None:
    """Read ESC+digit as alt+digit, as xterm, tmux, GNOME Terminal and friends mean it.

    Textual maps those sequences to the symbols macOS WezTerm types with Option (ESC 3 -> "£"),
    which makes alt+1..4 type symbols on Linux terminals instead of switching panes. Removing the
    mappings (if this Textual has them) lets its parser report alt+1 .. alt+0.
    """
    from textual import _ansi_sequences

    for digit in "0123456789":
        _ansi_sequences.ANSI_SEQUENCES_KEYS.pop(f"\x1b{digit}", None)  # type: ignore[attr-defined]


def keys_display(keys: list[str]) -> str:
    """Textual key names as people write them: `question_mark` -> `?`, `escape` -> `esc`."""
    names = {"question_mark": "?", "escape": "esc", "slash": "/", "pageup": "PgUp",
             "pagedown": "PgDn", "delete": "del"}
    return ", ".join("+".join(names.get(part, part) for part in key.split("+")) for key in keys)


def effective_keys(spec: ActionSpec, keymap: dict[str, str]) -> list[str]:
    """The keys an action answers to now: the user's keymap entry, else the default."""
    return [key.strip() for key in keymap.get(spec.id, spec.keys).split(",") if key.strip()]
