"""API keys: where they come from and how they may be shown (masked, never whole)."""

from __future__ import annotations

import os

KEY_VARIABLES = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")


def mask(key: str) -> str:
    """`…abcd`: the last 4 characters only, and nothing of a key too short to hide."""
    key = key.strip()
    return f"…{key[-4:]}" if len(key) >= 12 else "…(short key)"


def present_keys(variables: tuple[str, ...] = KEY_VARIABLES) -> dict[str, str]:
    """Variable name -> masked key, for each variable that holds a key."""
    return {name: mask(os.environ[name]) for name in variables if os.environ.get(name, "").strip()}
