"""The one streaming interface every provider speaks: typed deltas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ToolCallPart:
    """A complete tool call requested by the model (tool use arrives with skills)."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


StopReason = Literal["end", "max_tokens", "tool_use", "cancelled", "incomplete"]


@dataclass(frozen=True)
class Stop:
    """The terminal delta. A stream that ends without one is incomplete, never complete."""

    reason: StopReason = "end"


Delta = TextPart | ToolCallPart | Usage | Stop


class Provider(Protocol):
    name: str  # the configured name, e.g. "anthropic" or "offline"
    kind: str

    @property
    def model(self) -> str: ...

    def stream(self, messages: Sequence[ChatMessage], system: str | None = None,
               model: str | None = None) -> AsyncIterator[Delta]: ...
