"""Long Markdown on screen: the end (what a chat following the bottom shows) is rendered for the
first frame; what is above it is rendered in the frames after, and then laid out for real."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from pai_tui.ui.markdown_body import MarkdownBody, Segment
from tests.pilot import eventually

PARAGRAPHS = [f"Paragraph {n}: " + "some words that wrap " * 30 for n in range(60)]
LONG = "\n\n".join(PARAGRAPHS) + "\n\nThe last line."


class OneBody(App[None]):
    """A body in a view that follows its bottom, as the chat does."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield MarkdownBody(LONG)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).anchor()


async def test_a_long_text_renders_its_end_first_and_the_rest_in_the_frames_after() -> None:
    app = OneBody()
    async with app.run_test(size=(80, 24)) as pilot:
        body = app.query_one(MarkdownBody)
        segments = list(body.query_children(Segment))
        first_frame: dict[str, bool] = {}

        def look() -> None:
            first_frame["end rendered"] = not segments[-1].deferred
            first_frame["start deferred"] = segments[0].deferred

        app.call_after_refresh(look)
        assert await eventually(pilot, lambda: bool(first_frame))
        assert first_frame == {"end rendered": True, "start deferred": True}
        assert await eventually(pilot, lambda: not any(s.deferred for s in segments))
        await pilot.pause()
        assert body.text == LONG
        scroll = app.query_one(VerticalScroll)
        assert scroll.scroll_y == scroll.max_scroll_y  # still at the bottom
        for segment in segments:  # laid out at their rendered heights, not the estimates
            assert segment.size.height == len(segment._render_lines(segment.size.width))


async def test_a_deferred_segment_painted_after_all_is_rendered_then() -> None:
    app = OneBody()
    async with app.run_test(size=(80, 24)) as pilot:
        top = app.query_one(MarkdownBody).query_children(Segment).first()
        line = top.render_line(0)  # painted before its turn came
        assert not top.deferred and line.text.startswith("Paragraph 0")
        await pilot.pause()
