"""The terminal title pai sets while agents wait: names from agent files cannot end it early."""

from __future__ import annotations

from pai_tui.ui.terminal_title import waiting_title


def test_a_name_with_escape_sequences_stays_inside_the_title() -> None:
    title = waiting_title(2, "evil\x07\x1b]2;owned\x1b\\", "agents/bash")
    assert "\x07" not in title and "\x1b" not in title
    assert title.startswith("pai · 2 waiting · evil") and title.endswith("to run agents/bash")


def test_the_chat_asking_has_no_agent_name() -> None:
    assert waiting_title(1, None, "summarize/wordcount") == \
        "pai · 1 waiting · asks to run summarize/wordcount"
