"""Importing the chats users already have: one module per format (each reads its files into
`ImportedConversation`s, skipping what it cannot read with its position and why), and one writer
(writer.py) that hands them to the store in batches and counts what happened."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

from pai_tui.history.imports.model import ImportedConversation, Skipped

# KIND (as `pai history import KIND` names it) → its module, which has `read(path)` and may
# have `default()` (the path used when none is given).
KINDS = {
    "chatgpt": "chatgpt",
    "claude": "claude",
    "claude-code": "claude_code",
    "llm": "llm_logs",
    "jsonl": "jsonl",
}

Reader = Callable[[Path], Iterator[ImportedConversation | Skipped]]


def reader(kind: str) -> Reader:
    module = importlib.import_module(f"pai_tui.history.imports.{KINDS[kind]}")
    return module.read  # type: ignore[no-any-return]


def default_path(kind: str) -> Path | None:
    """Where the format's files are when the user does not say (Claude Code's, llm's)."""
    module = importlib.import_module(f"pai_tui.history.imports.{KINDS[kind]}")
    default: Callable[[], Path] | None = getattr(module, "default", None)
    return default() if default else None
