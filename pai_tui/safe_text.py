"""Text from outside (model output, feeds, tool output, skill files) made safe to show literally.

Control characters and bidirectional overrides could move the cursor, recolour or reorder the
screen; they become visible symbols instead. Showing the result through `rich.text.Text` (never as
markup) keeps `[bold]` and friends as plain characters.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate marks.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␍ for CR, ...
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"


def printable(text: str) -> str:
    """`text` with every character that could change the screen replaced by a visible stand-in."""
    return _UNSAFE.sub(_visible, text)


def clip(text: str, limit: int) -> str:
    """`text` cut to its first and last `limit / 2` characters, saying how much was left out:
    the start and the end (where errors usually are) of a long output stay visible."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n… {len(text) - 2 * half:,} characters left out …\n{text[-half:]}"


# Whole escape sequences, as terminals print them when text is copied from one: CSI (colours,
# cursor moves; ESC [ or the C1 CSI), OSC (titles, clipboard writes, links; ended by BEL or ST),
# DCS/SOS/PM/APC strings (ended by ST), and the two-character escapes (ESC 7, ESC c ...). A string
# without its end is not a sequence: only its introducer goes, so no text after it is lost.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x00-\x1f\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x00-\x1f\x9c]*(?:\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]?"
)


def pasteable(text: str) -> str:
    """Pasted `text` as the text the user meant: escape sequences (copied along with coloured
    terminal output) and the remaining controls and bidi overrides left out, every line end made
    a newline, tabs kept. What stays keeps its order."""
    text = _SEQUENCE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub("", text)


def one_line(text: str) -> str:
    """`printable(text)` kept on one line (line breaks shown as ␤, tabs as spaces): outside text
    in a row of a table or a list must not break the row."""
    return printable(text).replace("\n", "\u2424").replace("\t", " ")
