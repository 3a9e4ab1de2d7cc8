"""What of an answer is spoken: PAI's convention, a line that starts with a marker such as 🗣️
(`🗣️ Kai: the export is done`), else the first sentence of its prose; never code, tables or
markup, and capped in length. A pure function: text in, words out ("" when nothing is fit)."""

from __future__ import annotations

import re

MARKERS = ("🗣️", "🗣", "🔊", "📢")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE = re.compile(r"^\s*\|")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_RULE = re.compile(r"^\s*([-*_]\s*){3,}$")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`+|~~)")
_HTML = re.compile(r"<[^>]{1,80}>")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s")


def spoken_line(text: str, cap: int = 200) -> str:
    """The words to say for an answer."""
    prose = list(_prose_lines(text))
    for line in prose:
        stripped = _plain(line).lstrip()
        for marker in MARKERS:
            if stripped.startswith(marker):
                said = stripped[len(marker):].lstrip("\ufe0f :").strip()
                if said:
                    return _capped(said, cap)
    paragraph = []
    for line in prose:
        if not line.strip():
            if paragraph:
                break
            continue
        if _HEADING.match(line) or _RULE.match(line):
            if paragraph:
                break
            continue
        paragraph.append(_LIST.sub("", line).strip())
    words = _plain(" ".join(paragraph)).strip()
    return _capped(_first_sentence(words), cap)


def _prose_lines(text: str):
    """Lines outside code blocks, tables and indented code."""
    fence: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1) == fence:
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            yield ""  # a code block ends a paragraph
            continue
        if _TABLE.match(line) or line.startswith(("    ", "\t")):
            yield ""
            continue
        yield line


def _plain(line: str) -> str:
    line = _LINK.sub(r"\1", line)
    line = _URL.sub("", line)
    line = _HTML.sub("", line)
    line = _EMPHASIS.sub("", line)
    return re.sub(r"\s+", " ", line)


def _first_sentence(words: str) -> str:
    end = _SENTENCE_END.search(words + " ")
    return words[:end.start()].strip() if end else words


def _capped(words: str, cap: int) -> str:
    words = words.strip()
    if len(words) <= cap:
        return words
    cut = words[:cap]
    space = cut.rfind(" ")
    return (cut[:space] if space > cap // 2 else cut).rstrip(" ,;:-")
