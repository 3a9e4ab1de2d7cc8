"""Textual bindings built from the action catalogue (pai_tui/actions.py)."""

from __future__ import annotations

from textual.binding import Binding

from pai_tui.actions import ACTIONS, ActionSpec, Scope


def binding(spec: ActionSpec) -> Binding:
    return Binding(spec.keys, spec.action, spec.title, show=False, id=spec.id,
                   priority=spec.priority, tooltip=spec.help)


def bindings_for(scope: Scope) -> list[Binding]:
    return [binding(spec) for spec in ACTIONS if spec.scope == scope]


def keys_display(keys: list[str]) -> str:
    """Textual key names as people write them: `question_mark` -> `?`, `escape` -> `esc`."""
    names = {"question_mark": "?", "escape": "esc"}
    return ", ".join("+".join(names.get(part, part) for part in key.split("+")) for key in keys)


def effective_keys(spec: ActionSpec, keymap: dict[str, str]) -> list[str]:
    """The keys an action answers to now: the user's keymap entry, else the default."""
    return [key.strip() for key in keymap.get(spec.id, spec.keys).split(",") if key.strip()]
