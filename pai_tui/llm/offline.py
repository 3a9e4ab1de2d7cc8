"""The provider used when no model is configured: it says so, and how to configure one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from pai_tui.llm.base import ChatMessage, Delta, Stop, TextPart, Usage

OFFLINE_TEXT = """\
No model is configured, so this is pai's offline provider answering.

To chat with a model, export ANTHROPIC_API_KEY=... (Claude) or OPENAI_API_KEY=... (GPT)
and restart pai; settings live in {config}.

`pai doctor` checks what is missing. Your message is saved in the history."""


class OfflineProvider:
    name = "offline"
    kind = "offline"

    def __init__(self, config_path: Path):
        self.config_path = config_path

    @property
    def model(self) -> str:
        return "none"

    async def stream(self, messages: Sequence[ChatMessage], system: str | None = None,
                     model: str | None = None) -> AsyncIterator[Delta]:
        yield TextPart(OFFLINE_TEXT.format(config=self.config_path))
        yield Usage(0, 0)
        yield Stop("end")
