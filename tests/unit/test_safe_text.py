"""Outside text is shown literally: nothing in it can change the screen."""

from __future__ import annotations

from pai_tui.safe_text import printable


def test_escape_sequences_become_visible() -> None:
    assert printable("\x1b[31mred\x1b[0m") == "␛[31mred␛[0m"
    assert printable("over\rwrite") == "over␍write"
    assert printable("\x07bell\x08") == "␇bell␈"
    assert printable("\x9b31m") == "\\x9b31m"  # C1 CSI
    assert printable("del\x7f") == "del␡"


def test_bidi_overrides_cannot_reorder_text() -> None:
    assert printable("abc\u202edcba") == "abc\\u202edcba"
    assert printable("\u2066x\u2069") == "\\u2066x\\u2069"


def test_ordinary_text_is_untouched() -> None:
    text = "Tabs\tand\nnewlines, [bold]markup[/], émoji 🎉, 中文"
    assert printable(text) == text


def test_a_paste_loses_the_sequences_and_keeps_the_text() -> None:
    from pai_tui.safe_text import pasteable

    assert pasteable("A \x1b[31mB\x1b[0m") == "A B"
    assert pasteable("x\x1b]8;;https://e.com\x1b\\link\x1b]8;;\x1b\\y") == "xlinky"
    assert pasteable("\x1bPq#0;2;0;0;0\x1b\\after") == "after"  # a sixel image (DCS)
    # An introducer without its end takes nothing after it with it.
    assert pasteable("keep \x1b]0;no end\nsecond line") == "keep 0;no end\nsecond line"
    assert pasteable("tab\there\r\n") == "tab\there\n"
