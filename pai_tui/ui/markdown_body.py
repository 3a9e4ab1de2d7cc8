"""Markdown that streams fast and stays cheap: the text is cut into segments at blank lines
outside code fences; each segment is one widget rendering Rich's Markdown. While an answer
streams only the last segment is rendered again, so a 20,000-token answer costs about what its
last few paragraphs cost, and a finished message is a handful of widgets however long it is.

(Textual's Markdown widget makes a widget per block and lays the whole answer out again on every
append; at tens of thousands of tokens that was 20x slower than the stream.)

Text is shown literally: control characters are made visible before rendering, Rich's Markdown
never reads markup, and links are printed with their address rather than made clickable.
"""

from __future__ import annotations

import io
import re
import time

from rich.style import Style
from textual.app import ComposeResult
from textual.containers import VerticalGroup
from textual.geometry import Region, Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from pai_tui.safe_text import printable

SEGMENT_CHARS = 1200  # a segment is closed at the first paragraph break past this length
DEFERRED_FRAME_S = 0.008  # rendering segments above the screen takes this long at most a frame
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.M)
_BREAK = re.compile(r"\n[ \t]*\n")


def lines_at_least(text: str, width: int) -> int:
    """Lines `text` renders to at least at `width`: its characters at `width` a line (rendering
    adds lines, for breaks and blocks, more often than Markdown markup removes). What is on
    screen is chosen by it, so that the screen is full however the Markdown renders."""
    return len(text) // max(width, 1)


def estimated_height(text: str, width: int) -> int:
    """About how many lines `text` renders to at `width` (for segments not rendered yet)."""
    width = max(width, 1)
    return sum(-(-len(line) // width) or 1 for line in text.split("\n"))


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


# A sample with what answers usually hold, rendered once off the UI loop before the first answer.
_WARM_UP_SAMPLE = "# a\n\ntext *b* `c`\n\n- d\n\n| e | f |\n|---|---|\n| g | h |\n\n" \
    "```python\ndef f(x):\n    return x\n```\n"


def warm_up() -> None:
    """Import the Markdown stack and load what its first render loads (markdown-it's rules,
    Pygments' Python lexer and themes): about 80 ms that the first answer would otherwise wait
    for. Run in a thread after the first frame."""
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(width=80, file=io.StringIO(), color_system="truecolor")
    for theme in ("monokai", "friendly"):
        console.print(Markdown(_WARM_UP_SAMPLE, code_theme=theme, hyperlinks=False))


class Segment(Widget):
    """One piece of Markdown, rendered once per text and width into lines that serve both for
    its height and for the screen (a Static would render it twice, and again after every
    scroll), with mouse selection and copy."""

    DEFAULT_CSS = "Segment { height: auto; }"

    def __init__(self, text: str, deferred: bool = False):
        super().__init__(classes="md-segment")
        self.text = text
        # Above the screen when mounted: its height is estimated until it is rendered, after
        # the frame that shows the bottom (or at once, if it is painted after all).
        self.deferred = deferred
        self._lines: list[Strip] = []
        # Lines with their offsets (for mouse selection), made when first painted, then kept:
        # most lines of a long answer are never on screen.
        self._placed: list[Strip | None] = []
        # (width, style) the lines were made for: a new theme changes the style, so the lines
        # are made again in its colours.
        self._key: tuple[int, Style] | None = None
        # The style of this paint: `rich_style` walks every ancestor (a quarter of a
        # millisecond), so it is read once per paint, not once per line.
        self._paint_style: Style | None = None

    def show(self, text: str) -> None:
        if text == self.text:
            return  # e.g. the final text of a stream that missed nothing: no render again
        height = len(self._lines) if self._key is not None else None
        self.text = text
        self._key = None
        self._refresh(height)

    def _refresh(self, height: int | None) -> None:
        """Render now; as tall as `height`, only this is repainted, else the screen is laid out
        again."""
        width = self.size.width
        if height is not None and width and len(self._render_lines(width)) == height:
            self.refresh()
        else:
            self.refresh(layout=True)

    def _render_lines(self, width: int, style: Style | None = None) -> list[Strip]:
        """The lines for `width` in `style`; with no style, lines in any style will do (for the
        height, which colours do not change)."""
        key = self._key
        if key is not None and key[0] == width and (style is None or key[1] == style):
            return self._lines
        from rich.markdown import Markdown  # 20 ms to import: after the first frame

        style = style or self.rich_style
        console = self.app.console
        dark = self.app.current_theme.dark
        markdown = Markdown(self.text, code_theme="monokai" if dark else "friendly",
                            hyperlinks=False)
        options = console.options.update_width(max(width, 1))
        rendered = console.render_lines(markdown, options, style=style, pad=True)
        self._lines = [Strip(line, width) for line in rendered]
        self._placed = [None] * len(self._lines)
        self._key = (width, style)
        return self._lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.deferred:
            return estimated_height(self.text, width)
        return len(self._render_lines(width))

    def render_deferred(self) -> None:
        """Render a deferred segment, and lay the screen out again if the estimate was off."""
        if not self.deferred:
            return
        self.deferred = False
        self._refresh(self.size.height)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        self.render_deferred()  # on screen after all
        width = self.size.width
        style = self._paint_style or self.rich_style
        lines = self._render_lines(width, style)
        if y >= len(lines):
            return Strip.blank(width, style)
        line = self._placed[y]
        if line is None:
            line = self._placed[y] = lines[y].apply_offsets(0, y)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            start, end = span
            end = line.cell_length if end == -1 else end
            style = self.screen.get_component_rich_style("screen--selection")
            before, selected, after = line.divide([start, end, line.cell_length])
            line = Strip.join([before, selected.apply_style(style), after])
        return line

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        text = "\n".join(line.text.rstrip() for line in self._lines)
        return selection.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()


class MarkdownBody(VerticalGroup):
    """An answer's text as Markdown, appended to while it streams."""

    def __init__(self, text: str = "", **kwargs: object):
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._initial = printable(text)

    def compose(self) -> ComposeResult:
        yield from self._segments(split_segments(self._initial))

    def _segments(self, pieces: list[str]) -> list[Segment]:
        """Segments for `pieces`: the last screenful (by estimate) is rendered for the next
        frame; those above it are deferred and rendered after it, from the bottom up."""
        width, keep = self.size.width or self.app.size.width, self.app.size.height
        segments: list[Segment] = []
        lines = 0
        for piece in reversed(pieces):
            segments.append(Segment(piece, deferred=lines >= keep))
            lines += lines_at_least(piece, width)
        segments.reverse()
        if segments and segments[0].deferred:
            self._after_next_frame()
        return segments

    def _after_next_frame(self) -> None:
        # Queued after the frame's own callbacks (focus, following the bottom, echoes), so that
        # drawing what is off screen never delays them.
        self.call_after_refresh(self.call_later, self._render_deferred)

    def _render_deferred(self) -> None:
        """Render deferred segments, bottom up, for about one frame's time; then again after
        the next frame until none is left (the screen stays responsive meanwhile)."""
        if not self.is_attached:  # its answer left the screen meanwhile
            return
        started = time.monotonic()
        for segment in reversed(list(self.query_children(Segment))):
            if not segment.deferred:
                continue
            if time.monotonic() - started > DEFERRED_FRAME_S:
                self._after_next_frame()
                return
            segment.render_deferred()

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
            rest = text[len(shown):]
            await self._replace_tail(segments[-1], rest)
            return
        await self.remove_children()
        await self.mount_all(self._segments(split_segments(text)))

    async def _replace_tail(self, tail: Segment, text: str) -> None:
        pieces = split_segments(text)
        tail.show(pieces[0])
        if len(pieces) > 1:
            await self.mount_all(self._segments(pieces[1:]))
