"""Run by benchmarks/history_open.py inside a pseudo-terminal: start pai, and write (as JSON)
when the History pane's list was painted after the store was ready, how long the pane's
reloads take (the one after every turn), how long the event loop stalled meanwhile, and how
many sessions the list offers; then exit.

    python _history_probe.py OUTFILE
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from textual import work

from pai_tui.ui.panes import HistoryPane

OUTFILE = sys.argv[1]
RELOADS = 5
found: dict[str, object] = {"reloads": [], "stalls": []}
_original_reload = HistoryPane.reload.__wrapped__  # type: ignore[attr-defined]
_original_ready = HistoryPane.on_store_ready


def _ready(self: HistoryPane, event: object) -> None:
    found["store_ready"] = time.time()
    _original_ready(self, event)  # type: ignore[arg-type]


@work(group="history", exclusive=True, exit_on_error=False)
async def _reload(self: HistoryPane) -> None:
    began = time.time()
    await _original_reload(self)
    self.call_after_refresh(_painted, self, began)


def _painted(pane: HistoryPane, began: float) -> None:
    now = time.time()
    if "listed" not in found:
        found["listed"] = now
        found["options"] = pane.query_one("#history-list").option_count  # type: ignore[attr-defined]
        pane.run_worker(_more_reloads(pane), exit_on_error=False)
    else:
        found["reloads"].append(now - began)  # type: ignore[union-attr]


async def _more_reloads(pane: HistoryPane) -> None:
    """Reloads as after each turn, while a ticker measures how late the loop runs it."""
    stop = asyncio.Event()

    async def tick() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            found["stalls"].append(time.perf_counter() - before - 0.005)  # type: ignore[union-attr]

    ticker = asyncio.create_task(tick())
    for _ in range(RELOADS):
        count = len(found["reloads"])  # type: ignore[arg-type]
        pane.reload()
        while len(found["reloads"]) == count:  # type: ignore[arg-type]
            await asyncio.sleep(0.005)
    stop.set()
    await ticker
    with open(OUTFILE, "w") as out:
        json.dump(found, out)
    pane.app.exit()


HistoryPane.on_store_ready = _ready  # type: ignore[method-assign]
HistoryPane.reload = _reload  # type: ignore[method-assign]

if __name__ == "__main__":
    from pai_tui.cli import main

    sys.argv = ["pai"]
    main()
