"""Draining a model's delta stream: the one loop that reads what a model says.

Plain chat, a skill's answer, a nested skill and the model's routing choice all read their deltas
here: text (handed on as it comes, and saved about every second by the caller's `save`), notices,
usage (a running total: the last one counts), the stop, and tool calls the tool loop answered
itself. The delta path is hot (tens of thousands of deltas a minute): one `isinstance` chain,
no allocation per delta beyond the caller's own.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from pai_tui.events import Status
from pai_tui.llm.base import Delta, Notice, Stop, TextPart, ToolResultPart, Usage

PERSIST_EVERY_S = 1.0  # a killed process loses at most this much of a streaming answer


@dataclass
class Collected:
    """What a model call has given so far (kept when it fails or is cancelled midway)."""

    parts: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    stop: Stop | None = None
    stopped_by: str | None = None  # a limit that ended it early (budget), for the user

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class Listeners:
    """What the caller wants done while a stream is drained; every one is optional."""

    text: Callable[[str], None] | None = None  # each piece of text, as it comes
    save: Callable[[str], Awaitable[None]] | None = None  # the text so far, now and then
    notice: Callable[[str], None] | None = None
    refused: Callable[[ToolResultPart], Awaitable[None]] | None = None
    over_budget: Callable[[Usage], str | None] | None = None  # why to stop, or None
    persist_every: float = PERSIST_EVERY_S


async def collect(stream: AsyncIterator[Delta], into: Collected,
                  listen: Listeners | None = None) -> Collected:
    """Read `stream` to its end into `into`. Provider errors and cancellation propagate; what
    came before them stays in `into` for the caller to save."""
    listen = listen or Listeners()
    parts, on_text, save = into.parts, listen.text, listen.save
    last_save = time.monotonic()
    async for delta in stream:
        if isinstance(delta, TextPart):
            parts.append(delta.text)
            if on_text is not None:
                on_text(delta.text)
            if save is not None and time.monotonic() - last_save >= listen.persist_every:
                last_save = time.monotonic()
                await save("".join(parts))
        elif isinstance(delta, Usage):
            into.usage = delta
            if listen.over_budget is not None and (why := listen.over_budget(delta)):
                into.stopped_by = why
                await _close(stream)
                break
        elif isinstance(delta, Stop):
            into.stop = delta
        elif isinstance(delta, Notice):
            if listen.notice is not None:
                listen.notice(delta.text)
        elif isinstance(delta, ToolResultPart) and not delta.ran and listen.refused:
            await listen.refused(delta)
    return into


async def _close(stream: AsyncIterator[Delta]) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()


def ending(collected: Collected, max_tokens: int) -> tuple[Status, str | None]:
    """How an answer that ran to the end of its stream ended, and why if not complete."""
    stop = collected.stop
    if collected.stopped_by:
        return "incomplete", collected.stopped_by
    if stop is None:
        return "incomplete", "the stream ended before its end marker (the connection was cut)"
    if stop.reason == "max_tokens":
        return "incomplete", f"the answer reached the output limit ({max_tokens} tokens)"
    if stop.reason == "tool_limit":
        return "incomplete", "stopped at the limit of tool round trips ([skills] max_tool_turns)"
    if stop.reason == "tool_use":
        return "incomplete", ("the model asked to use a tool, and this chat offers none (a "
                              "skill with tools offers them: pai skill list)")
    return "complete", None
