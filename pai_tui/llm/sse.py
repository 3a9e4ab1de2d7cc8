"""Server-sent events, read straight off the SDK's streaming response.

The SDKs can parse the stream themselves, into a validated model per event; at tens of thousands
of events that validation costs more than everything else pai does with a stream (measured: half
the time of a 20,000-token answer). The wire format is small and documented, so pai keeps the
SDK for the request (keys, base URL, errors) and reads the events itself, a network chunk at a
time: the events that arrived together are handed over together, so a fast stream costs a
handful of steps per chunk instead of per token, and a slow one loses nothing in latency.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

Event = tuple[str | None, str]  # (event name, data)


class SSEParser:
    """Incremental: feed it text as it arrives, get back the events completed by it. An event
    still open when the stream ends (no blank line after it) is never returned, as the SSE
    standard says."""

    def __init__(self) -> None:
        self._partial = ""  # an unfinished line
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, text: str) -> list[Event]:
        text = self._partial + text
        # Lines end with \n, \r\n or \r; a \r at the very end may be half of a \r\n.
        keep_cr = text.endswith("\r")
        if keep_cr:
            text = text[:-1]
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._partial = lines.pop() + ("\r" if keep_cr else "")
        events: list[Event] = []
        for line in lines:
            if not line:
                if self._data:
                    events.append((self._event, "\n".join(self._data)))
                self._event, self._data = None, []
            elif line.startswith(":"):
                continue  # a comment, used as a keep-alive
            else:
                field, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if field == "event":
                    self._event = value
                elif field == "data":
                    self._data.append(value)
        return events


class UnreadableEvent(ValueError):
    """An event whose data is not JSON. The events decoded before it were handed over first."""


async def json_event_batches(text: AsyncIterator[str]) -> AsyncIterator[list[tuple[str | None,
                                                                                    Any]]]:
    """The events of each chunk of text received, data decoded from JSON (`[DONE]` stays a
    str); chunks completing no event yield nothing. Data that is not JSON raises
    UnreadableEvent, after the events before it in its chunk were yielded."""
    parser = SSEParser()
    loads = json.loads
    async for chunk in text:
        events = parser.feed(chunk)
        if events:
            try:
                batch = [(name, data if data == "[DONE]" else loads(data))
                         for name, data in events]
            except ValueError:  # rare: the slow path finds which event, keeping those before
                batch, error = _decode_until_unreadable(events)
                if batch:
                    yield batch
                raise error from None
            yield batch


def _decode_until_unreadable(events: list[Event]) -> tuple[list[tuple[str | None, Any]],
                                                           UnreadableEvent]:
    """The events up to the first one that is not JSON, and the error that says which."""
    decoded: list[tuple[str | None, Any]] = []
    for name, data in events:
        try:
            decoded.append((name, data if data == "[DONE]" else json.loads(data)))
        except ValueError:
            break
    else:
        name = None  # not reached: json.loads failed on one of them in the fast path
    # The event's name is outside text: named only when it looks like one (`content_block_delta`).
    named = name and len(name) <= 40 and name.replace("_", "").isalnum()
    return decoded, UnreadableEvent(f"{f'a {name} event' if named else 'an event'} whose data "
                                    "is not JSON")
