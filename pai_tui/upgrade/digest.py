"""The daily digest: the best new unread items of the last day, as a Markdown file the user can
read anywhere ($PAI_HOME/upgrade/digests/YYYY-MM-DD.md, theirs alone). Everything from a feed is
written literally: control characters made visible, Markdown's marks escaped, only http(s) links
made links."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.safe_text import printable

if TYPE_CHECKING:
    from pai_tui.history.records import FeedItemRecord
    from pai_tui.upgrade.feed import UpgradeFeed

log = logging.getLogger(__name__)

TOP = 10  # items in a digest
WINDOW = timedelta(days=1)  # found since
_MARKS = re.compile(r"([\\`*_\[\]<>#|~!&{}])")
_LINK = re.compile(r"https?://[^\s<>`\x00-\x1f\x7f]+")


def digest_path(home: Path, day: datetime) -> Path:
    return home / "upgrade" / "digests" / f"{day:%Y-%m-%d}.md"


def digest_text(items: Sequence[FeedItemRecord], now: datetime) -> str:
    """The digest of `items` (the new unread ones, best first) as of `now` (UTC)."""
    since = now - WINDOW
    lines = [f"# pai upgrade digest, {now:%Y-%m-%d}", ""]
    if not items:
        lines.append(f"Nothing new since {since:%Y-%m-%d %H:%M} UTC.")
        return "\n".join(lines) + "\n"
    top = items[:TOP]
    sources = len({item.source for item in items})
    lines += [f"{len(items)} new unread item{'s' if len(items) != 1 else ''} from {sources} "
              f"source{'s' if sources != 1 else ''} since {since:%Y-%m-%d %H:%M} UTC"
              + (f"; the best {len(top)}" if len(top) < len(items) else "")
              + " (`pai upgrade list` shows them all, `pai upgrade show ID` one).", ""]
    for rank, record in enumerate(top, 1):
        item = record.item
        posted = f", {item.published:%Y-%m-%d}" if item.published else ""
        lines.append(f"{rank}. **{literal(item.title) or '(untitled)'}**: "
                     f"{literal(record.source)}{posted}, score {record.score:.2f}, "
                     f"id {record.id}")
        if record.why:
            lines.append(f"   {literal(record.why)}")
        if item.url:
            lines.append(f"   {link(item.url)}")
    return "\n".join(lines) + "\n"


def literal(text: str) -> str:
    """`text` on one line, shown as it is by a Markdown reader."""
    return _MARKS.sub(r"\\\1", " ".join(printable(text).split()))


def link(url: str) -> str:
    """An http(s) address as a link; anything else as literal text."""
    return f"<{url}>" if _LINK.fullmatch(url) else literal(url)


async def write_digest(feed: UpgradeFeed, now: datetime | None = None) -> Path:
    """Rank again (scores decay with age), pick the new unread items, write the day's file
    (replacing an earlier one of the same day), and say so in the log."""
    from pai_tui.history.models import utcnow
    from pai_tui.paths import private_folder, write_private

    when = now or utcnow()
    await feed.rerank(when)
    items = [item for item in await feed.items(unread_only=True)
             if item.found_at >= when - WINDOW]
    path = digest_path(feed.config.home.root, when)

    def write() -> None:
        private_folder(path.parent.parent)  # $PAI_HOME/upgrade, then digests/ in it
        private_folder(path.parent)
        write_private(path, digest_text(items, when).encode())

    await asyncio.to_thread(write)
    best = f"; best: {printable(items[0].item.title)!r}" if items else ""
    log.info("upgrade digest: %d new items%s -> %s", len(items), best, path)
    return path
