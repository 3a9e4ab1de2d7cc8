"""The one streaming interface every provider speaks: typed deltas, and typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class ChatRequest:
    messages: Sequence[ChatMessage]
    model: str
    system: str | None = None
    max_tokens: int = 8192


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


StopReason = Literal["end", "max_tokens", "tool_use", "refusal", "other"]


@dataclass(frozen=True)
class Stop:
    """The terminal delta: the provider saw the stream's own end marker. A stream that ends
    without one was cut and is incomplete, never complete."""

    reason: StopReason = "end"


@dataclass(frozen=True)
class Notice:
    """Something the user should know while waiting: a retry, a key rotation. Never a secret."""

    text: str


Delta = TextPart | ToolCallPart | Usage | Stop | Notice


class ProviderError(Exception):
    """A failure talking to a model. `str()` is a message for the user: what and what to do.

    `retryable` errors may succeed if tried again later (rate limits, overload, network);
    `rotate` errors may succeed with another key (rejected or rate-limited keys).
    """

    retryable = False
    rotate = False

    def __init__(self, message: str, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class AuthError(ProviderError):
    """401/403: the key is wrong, expired or not allowed."""

    rotate = True


class RateLimited(ProviderError):
    """429."""

    retryable = True
    rotate = True


class Overloaded(ProviderError):
    """5xx, 529: the service is busy or failing."""

    retryable = True


class NetworkError(ProviderError):
    """No connection, or silence past the timeout: pai is offline or the endpoint is down."""

    retryable = True


class BadRequest(ProviderError):
    """400/404/422 and the like: the request itself is wrong (an unknown model, say)."""


class StreamBroken(ProviderError):
    """The stream failed after it started: an error event, or a cut connection."""


class Provider(Protocol):
    name: str  # the configured name, e.g. "anthropic", "ollama" or "offline"
    kind: str

    def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        """One attempt with one key. Raises ProviderError subclasses."""
        ...
