"""The ranking's quick word split (bytes through one table, upgrade/rank.py) finds exactly the
words the regex finds, whatever the text: ranking faster never changes what matches."""

from __future__ import annotations

import pytest

from pai_tui.upgrade.rank import _WORD, item_words

TEXTS = [
    "Claude Code 2.1: Hooks, MCP & GPT-4o — c++ and C# too",
    "İstanbul: İ lower-cases to i + a dot; the Kelvin sign \u212a to k",
    "naïve café Ünïcode ÀÉÎ ΣΊΣΥΦΟΣ straße ﬁ ligature ＡＢＣ fullwidth",
    "tabs\tand\nnew\x00lines\r\nand 1,000,000 numbers 3.14",
    "a lone surrogate \ud800 in JSON",
    "", "   ", "+++###",
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_quick_split_finds_the_regex_words(text: str) -> None:
    assert [word.decode() for word in item_words(text)] == _WORD.findall(text.lower())

