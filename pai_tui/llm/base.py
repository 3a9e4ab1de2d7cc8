"""The one streaming interface every provider speaks: typed deltas, and typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

SHOWN_ARGUMENTS = 200  # characters of unreadable arguments quoted back to the model


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call. `name` must already be safe for every API
    (`tool_loop.ToolNames` makes one); `parameters` is a JSON Schema for an object."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object",
                                                                "properties": {}})


@dataclass(frozen=True)
class ToolCallPart:
    """A complete tool call requested by the model. When its arguments could not be read (not
    JSON, or not a JSON object) `arguments` is empty and `error` says why, quoting them, so the
    model can be told and try again rather than the tool being run with guesses."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def from_json(cls, id: str, name: str, text: str) -> ToolCallPart:
        """The call whose arguments arrived as JSON text, pieced together from a stream."""
        if not text.strip():
            return cls(id, name)  # a call without arguments
        import json  # providers only; not at startup

        try:
            arguments = json.loads(text)
        except ValueError as error:
            problem = f"not valid JSON ({error})"
        else:
            if isinstance(arguments, dict):
                return cls(id, name, arguments)
            problem = f"a JSON {type(arguments).__name__}, not an object"
        shown = text if len(text) <= SHOWN_ARGUMENTS else text[:SHOWN_ARGUMENTS] + "…"
        return cls(id, name, error=f"the arguments were {problem}: {shown}")


class PartialToolCall:
    """A tool call arriving in pieces: the JSON text of its arguments grows fragment by
    fragment until its block (Anthropic) or the answer (OpenAI) ends."""

    __slots__ = ("fragments", "id", "name")

    def __init__(self, id: str, name: str) -> None:
        self.id = id
        self.name = name
        self.fragments: list[str] = []

    def finish(self) -> ToolCallPart:
        return ToolCallPart.from_json(self.id, self.name, "".join(self.fragments))


@dataclass(frozen=True)
class ToolResult:
    """What a tool run gave back, sent to the model as the answer to call `call_id`."""

    call_id: str
    content: str
    is_error: bool = False


@dataclass(frozen=True)
class ChatMessage:
    """One turn. An assistant turn that asked for tools carries `tool_calls`; the user-side turn
    after it carries their `tool_results` (its `content` may then be empty)."""

    role: Literal["user", "assistant"]
    content: str
    tool_calls: tuple[ToolCallPart, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()


@dataclass(frozen=True)
class ChatRequest:
    messages: Sequence[ChatMessage]
    model: str
    system: str | None = None
    max_tokens: int = 8192
    tools: Sequence[ToolSpec] = ()


@dataclass(frozen=True)
class TextPart:
    text: str


MAX_TOKENS_PER_CALL = 10**9  # more than any model's window, far less than a 64-bit column


def token_count(value: object) -> int:
    """A token count as a provider sent it, made safe to add up and store: a whole number from
    0 up, capped at MAX_TOKENS_PER_CALL; anything else (a string, a bool, a fraction, a negative,
    null) is unknown: 0."""
    if type(value) is not int:  # bool is an int subclass: excluded on purpose
        if type(value) is not float or not value.is_integer():
            return 0
        value = int(value)
    return 0 if value < 0 else min(value, MAX_TOKENS_PER_CALL)


@dataclass(frozen=True)
class Usage:
    """Tokens of one model call, or a running total of several (`a + b`). A stream's Usage deltas
    are running totals for that stream: the last one wins."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(self.input_tokens + other.input_tokens,
                     self.output_tokens + other.output_tokens)


# tool_limit: the tool loop stopped a model that kept asking for tools (tool_loop.py).
StopReason = Literal["end", "max_tokens", "tool_use", "refusal", "tool_limit", "other"]


@dataclass(frozen=True)
class Stop:
    """The terminal delta: the provider saw the stream's own end marker. A stream that ends
    without one was cut and is incomplete, never complete."""

    reason: StopReason = "end"


@dataclass(frozen=True)
class Notice:
    """Something the user should know while waiting: a retry, a key rotation. Never a secret."""

    text: str


@dataclass(frozen=True)
class ToolResultPart:
    """A tool call the tool loop answered: what the transcript shows after the call. `ran` is
    False when the loop answered it without `execute` (unreadable arguments, an unknown tool, the
    turn limit, a cut stream); `result` then says why. Providers never yield it."""

    call: ToolCallPart
    result: ToolResult
    ran: bool = True


Delta = TextPart | ToolCallPart | ToolResultPart | Usage | Stop | Notice


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


class MalformedStream(StreamBroken):
    """The stream sent something pai cannot read: data that is not JSON, or an event of the
    wrong shape (a list where an event object belongs, text that is not a string...). What came
    before it was yielded; the answer is incomplete."""

    @classmethod
    def event(cls, provider: str, what: str) -> MalformedStream:
        return cls(f"{provider}: the stream sent an event pai cannot read ({what}); the answer "
                   "is incomplete")


def json_kind(value: object) -> str:
    """What a decoded JSON value is, in words for an error message: `a JSON array`, `null`..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a JSON boolean"
    return {dict: "a JSON object", list: "a JSON array", str: "a JSON string", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


class Provider(Protocol):
    name: str  # the configured name, e.g. "anthropic", "ollama" or "offline"
    kind: str

    def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        """One attempt with one key. Raises ProviderError subclasses."""
        ...
