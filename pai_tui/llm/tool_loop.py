"""Model tool use: the model asks for tools, pai answers each call, the model goes on; until it
stops asking, or the round-trip limit stops it, visibly.

Provider- and skill-agnostic: the caller passes the stream to call (its retrying one, so each
model turn is a fresh call, retried only before that turn begins) and an `execute` callback (the
skills' tool runner behind its permission policy). `ToolNames` makes the function names both
APIs accept from a skill and a tool name, and maps them back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

from pai_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    Delta,
    Notice,
    ProviderError,
    Stop,
    TextPart,
    ToolCallPart,
    ToolResult,
    ToolResultPart,
    Usage,
)

NAME_LIMIT = 64  # `^[a-zA-Z0-9_-]{1,64}$`: the strictest of the APIs (OpenAI's)
SEPARATOR = "__"
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")
RUNNABLE = ("tool_use", "end")  # some OpenAI-compatible servers finish tool calls with "stop"

Stream = Callable[[ChatRequest], AsyncIterator[Delta]]
Execute = Callable[[ToolCallPart], Awaitable[ToolResult]]


class ToolNames:
    """Function names for (skill, tool) pairs that every API accepts, unique, and back again.

    `summarize` + `wordcount` is `summarize__wordcount`; characters the APIs refuse become `_`;
    a name too long, or already given to another pair, ends in a short hash of the pair instead.
    """

    def __init__(self) -> None:
        self._names: dict[tuple[str, str], str] = {}
        self._pairs: dict[str, tuple[str, str]] = {}

    def name(self, skill: str, tool: str) -> str:
        pair = (skill, tool)
        if pair in self._names:
            return self._names[pair]
        name = _UNSAFE.sub("_", f"{skill}{SEPARATOR}{tool}")
        salt = 0
        while len(name) > NAME_LIMIT or name in self._pairs:
            digest = hashlib.sha1(f"{skill}\0{tool}\0{salt}".encode()).hexdigest()[:8]
            name = f"{_UNSAFE.sub('_', f'{skill}{SEPARATOR}{tool}')[:NAME_LIMIT - 9]}_{digest}"
            salt += 1
        self._names[pair] = name
        self._pairs[name] = pair
        return name

    def pair(self, name: str) -> tuple[str, str] | None:
        """The (skill, tool) a name was made for, or None for a name this map never made."""
        return self._pairs.get(name)


async def stream_with_tools(stream: Stream, request: ChatRequest, execute: Execute,
                            max_turns: int) -> AsyncIterator[Delta]:
    """The answer to `request` with its tools, over as many model turns as it takes.

    Yields the model's TextParts (a paragraph break between turns), each ToolCallPart as it
    arrives, a ToolResultPart for every call once answered (run, or refused with the reason:
    unreadable arguments, an unknown tool, the limit, a cut stream), Notices from `stream`, Usage
    as a running total over all turns each time `stream` tells more (so a failure or a cancel
    keeps what was spent, the failing turn's part included), and the last turn's Stop. After
    `max_turns` round trips a model still asking for tools gets no more: a Notice says so and the
    Stop is `tool_limit`. A turn that ends without a Stop was cut: no tool of it is run and no
    Stop is yielded (incomplete). Errors from `execute` become error results the model sees;
    cancellation propagates.
    """
    messages = list(request.messages)
    offered = {tool.name for tool in request.tools}
    total = Usage()
    tail = ""  # the end of the text so far, to set the next turn's text apart
    rounds = 0
    while True:
        turn_text: list[str] = []
        calls: list[ToolCallPart] = []
        used: Usage | None = None
        stop: Stop | None = None
        deltas = stream(replace(request, messages=tuple(messages)))
        try:
            async for delta in deltas:
                if isinstance(delta, TextPart):
                    if not turn_text and tail and not tail.endswith("\n\n"):
                        yield TextPart("\n" if tail.endswith("\n") else "\n\n")
                    turn_text.append(delta.text)
                    yield delta
                elif isinstance(delta, ToolCallPart):
                    calls.append(delta)
                    yield delta
                elif isinstance(delta, Usage):
                    used = delta  # this turn's running total
                    yield total + used
                elif isinstance(delta, Stop):
                    stop = delta
                else:
                    yield delta
        except ProviderError:
            for call in calls:
                yield _not_run(call, "the answer broke off before the call could be run")
            raise
        finally:
            close = getattr(deltas, "aclose", None)
            if close is not None:
                await close()
        said = "".join(turn_text)
        tail = (tail + said)[-2:]
        if used is not None:
            total += used
        if stop is None:
            for call in calls:
                yield _not_run(call, "the answer was cut off before its end")
            return
        if not calls or stop.reason not in RUNNABLE:
            why = ("the answer stopped at its output limit (max_tokens)"
                   if stop.reason == "max_tokens" else
                   f"the answer ended with stop reason '{stop.reason}', not a tool request")
            for call in calls:
                yield _not_run(call, why)
            yield stop
            return
        if rounds >= max_turns:
            for call in calls:
                yield _not_run(call, f"the limit of {max_turns} tool round trips was reached")
            yield Notice(f"stopped after {max_turns} tool round trips: the model kept asking "
                         "for tools ([skills] max_tool_turns in config.toml sets the limit)")
            yield Stop("tool_limit")
            return
        rounds += 1
        results: list[ToolResult] = []
        for call in calls:
            part = await _answer(call, offered, execute)
            results.append(part.result)
            yield part
        messages.append(ChatMessage("assistant", said, tuple(calls)))
        messages.append(ChatMessage("user", "", tool_results=tuple(results)))


async def _answer(call: ToolCallPart, offered: set[str], execute: Execute) -> ToolResultPart:
    """The answer to one call: `execute`'s result, or an error the model can act on."""
    if call.error is not None:
        return _not_run(call, f"{call.error}. Call the tool again with its arguments as one "
                              "JSON object")
    if call.name not in offered:
        names = ", ".join(sorted(offered)) or "none"
        return _not_run(call, f"there is no tool named {call.name!r}. The tools are: {names}")
    try:
        result = await execute(call)
    except Exception as error:  # the runner's failure is the model's to hear, not a crash
        result = ToolResult(call.id, f"The tool failed: {type(error).__name__}: {error}",
                            is_error=True)
    if result.call_id != call.id:
        result = replace(result, call_id=call.id)
    return ToolResultPart(call, result)


def _not_run(call: ToolCallPart, why: str) -> ToolResultPart:
    return ToolResultPart(call, ToolResult(call.id, f"Not run: {why}.", is_error=True),
                          ran=False)
