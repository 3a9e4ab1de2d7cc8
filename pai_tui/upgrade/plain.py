"""Feed HTML made plain text: tags gone, entities decoded, scripts and styles dropped with their
content, whitespace collapsed. What it returns is still shown through `printable()`."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_SKIPPED = frozenset({"script", "style", "template", "noscript"})
_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "section", "article"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(markup: str, one_line: bool = False) -> str:
    """`markup` (HTML, or text that may hold entities) as plain text."""
    if "<" not in markup:
        text = html.unescape(markup)
    else:
        parser = _Text()
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    text = _LINES.sub("\n", _SPACES.sub(" ", text)).strip()
    return " ".join(text.split()) if one_line else text
