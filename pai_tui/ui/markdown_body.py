"""Markdown that streams fast and stays cheap: the text is cut into segments at blank lines
outside code fences; each segment is one Static rendering Rich's Markdown. While an answer
streams only the last segment is rendered again, so a 20,000-token answer costs about what its
last few paragraphs cost, and a finished message is a handful of widgets however long it is.

(Textual's Markdown widget makes a widget per block and lays the whole answer out again on every
append; at tens of thousands of tokens that was 20x slower than the stream.)

Text is shown literally: control characters are made visible before rendering, Rich's Markdown
never reads markup, and links are printed with their address rather than made clickable.
"""

from __future__ import annotations

import re

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.containers import VerticalGroup
from textual.geometry import Size
from textual.widgets import Static

from pai_tui.literal import printable

SEGMENT_CHARS = 3000  # a segment is closed at the first paragraph break past this length
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)
_BREAK = re.compile(r"\n[ \t]*\n")


def split_segments(text: str, size: int = SEGMENT_CHARS) -> list[str]:
    """`text` cut at paragraph breaks outside code fences, into pieces of about `size`."""
    segments: list[str] = []
    start = 0
    for match in _BREAK.finditer(text):
        end = match.end()
        if end - start < size:
            continue
        if len(_FENCE.findall(text, start, match.start())) % 2:
            continue  # inside a code block: cutting here would break it in two
        segments.append(text[start:end])
        start = end
    segments.append(text[start:])
    return segments


class Segment(Static):
    def __init__(self, text: str):
        super().__init__(classes="md-segment")
        self.text = text
        self._height: tuple[int, int] = (-1, 0)  # (width, height) of the current text

    def on_mount(self) -> None:
        self.show(self.text)

    def show(self, text: str) -> None:
        self.text = text
        self._height = (-1, 0)
        dark = self.app.current_theme.dark if self.is_mounted else True
        self.update(Markdown(text, code_theme="monokai" if dark else "friendly",
                             hyperlinks=False))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Textual forgets a widget's height on every repaint (a scroll repaints them all); a
        # segment's height changes only with its text or width, and measuring it means rendering
        # the Markdown, so keep it.
        if self._height[0] != width:
            self._height = (width, super().get_content_height(container, viewport, width))
        return self._height[1]


class MarkdownBody(VerticalGroup):
    """An answer's text as Markdown, appended to while it streams."""

    def __init__(self, text: str = "", **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._initial = printable(text)

    def compose(self) -> ComposeResult:
        for segment in split_segments(self._initial):
            yield Segment(segment)

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.query_children(Segment))

    async def append(self, text: str) -> None:
        """Add streamed text (already safe to show) and render the last segment again."""
        tail = self.query_children(Segment).last()
        await self._replace_tail(tail, tail.text + text)

    async def set_text(self, text: str) -> None:
        """The final text: only what differs from what is shown is rendered again."""
        text = printable(text)
        segments = list(self.query_children(Segment))
        shown = "".join(s.text for s in segments[:-1])
        if text.startswith(shown) and segments:
            await self._replace_tail(segments[-1], text[len(shown):])
            return
        await self.remove_children()
        await self.mount_all([Segment(piece) for piece in split_segments(text)])

    async def _replace_tail(self, tail: Segment, text: str) -> None:
        pieces = split_segments(text)
        tail.show(pieces[0])
        if len(pieces) > 1:
            await self.mount_all([Segment(piece) for piece in pieces[1:]])
