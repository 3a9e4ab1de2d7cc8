"""How often a streamed answer is drawn: at the pace rendering allows, and while the user types,
in the pauses after keys, so that what is typed shows first."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pai_tui.ui import streaming
from pai_tui.ui.streaming import AFTER_KEY_S, TYPING_S, TYPING_WAIT_S, AnswerStream


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(streaming, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


class View:
    """Stands in for the answer's view: drawing a batch takes no time here."""

    def feed(self, text: str) -> None:
        pass

    async def flush(self) -> None:
        pass

    def call_after_refresh(self, callback, *args) -> None:  # type: ignore[no-untyped-def]
        callback(*args)


async def test_without_typing_a_batch_is_drawn_whenever_rendering_allows(clock: Clock) -> None:
    stream = AnswerStream(View(), since_typed=lambda: TYPING_S + 1)  # type: ignore[arg-type]
    await stream.write("a")
    assert stream.ready()


async def test_while_typing_batches_wait_for_the_pause_after_a_key(clock: Clock) -> None:
    since_key = [0.0]
    stream = AnswerStream(View(), since_typed=lambda: since_key[0])  # type: ignore[arg-type]
    await stream.write("a")
    clock.now += TYPING_WAIT_S / 2
    since_key[0] = 0.01
    assert not stream.ready()  # a batch was drawn just now
    clock.now += TYPING_WAIT_S
    since_key[0] = AFTER_KEY_S * 3
    assert not stream.ready()  # the next key may come any moment
    since_key[0] = AFTER_KEY_S / 2
    assert stream.ready()  # just after a key: drawn before the next one comes
