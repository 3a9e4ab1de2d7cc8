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
