"""Pasting into the chat input: text copied from a terminal (colours, a title, a clipboard write)
arrives as its printable text, in order, with the cursor after it."""

from __future__ import annotations

import pytest
from textual import events as textual_events

from pai_tui.ui.chat import ChatPane
from tests.pilot import press, running


@pytest.mark.parametrize(("pasted", "kept"), [
    ("A \x1b[31mB", "A B"),  # a colour (CSI)
    ("\x1b[1;32mok\x1b[0m done", "ok done"),
    ("x\x1b]0;title\x07y", "xy"),  # a window title (OSC ended by BEL)
    ("x\x1b]52;c;aGVsbG8=\x1b\\y", "xy"),  # a clipboard write (OSC 52 ended by ST)
    ("a\x9b31mb\x85c", "abc"),  # C1 controls: a CSI, a next-line
    ("abc\u202edcba", "abcdcba"),  # a bidi override
    ("one\r\ntwo\rthree\tfour\x07", "one\ntwo\nthree\tfour"),  # line ends kept, a bell not
])
async def test_a_paste_keeps_the_printable_text_in_order(pasted: str, kept: str) -> None:
    async with running() as (app, pilot):
        await press(pilot, "alt+1", "<", ">", "left")
        chat_input = app.main.query_one(ChatPane).query_one("ChatInput")
        app.post_message(textual_events.Paste(pasted))  # as the terminal driver does
        await pilot.pause()
        await press(pilot, "!")
        assert chat_input.text == f"<{kept}!>"  # type: ignore[attr-defined]
