"""Fitting a conversation into a model's context window: the newest turns are kept, the oldest
left out (and counted, so the user is told), never a provider error for an overlong request.
Which messages make the conversation (questions and their answers) is turns/prepare.py's job."""

from __future__ import annotations

from collections.abc import Sequence

from pai_tui.llm.base import ChatMessage

CHARS_PER_TOKEN = 3.5  # a cautious average for English and code; no tokenizer needed
MESSAGE_OVERHEAD = 4


def estimate_tokens(text: str | None) -> int:
    return int(len(text or "") / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD


def estimate_output_tokens(text: str) -> int:
    """The tokens of an answer's text, when the provider never said (a cut stream)."""
    return max(1, round(len(text) / CHARS_PER_TOKEN))


def fit(messages: Sequence[ChatMessage], system: str | None, context_window: int,
        reserve: int) -> tuple[list[ChatMessage], int]:
    """The newest messages that fit in `context_window` less `reserve` (the answer's room) and
    the system prompt, starting with a user turn; and how many were left out."""
    budget = context_window - reserve - estimate_tokens(system)
    kept: list[ChatMessage] = []
    used = 0
    for message in reversed(messages):
        cost = estimate_tokens(message.content)
        if kept and used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    while len(kept) > 1 and kept[0].role != "user":
        kept.pop(0)
    return kept, len(messages) - len(kept)
