"""Run by the chat benchmarks inside a pseudo-terminal: the real cockpit (pai_tui.cli), with
hooks that record, in wall-clock time, when things reach the screen; then it exits.

    python _chat_probe.py OUTFILE send LAST_TOKEN     send "go" once ready, time the answer
    python _chat_probe.py OUTFILE open SESSION_ID     open a session from the history
    python _chat_probe.py OUTFILE idle SECONDS        wait (keys typed are still recorded)
    python _chat_probe.py OUTFILE agents N            start N agents at once, time them all
    python _chat_probe.py OUTFILE speak N:SECONDS     queue N utterances, wait (keys recorded)
    python _chat_probe.py OUTFILE fetch SECONDS       fetch the upgrade sources (keys recorded)
"""

from __future__ import annotations

import json
import sys
import time

from pai_tui.ui.app import PaiApp
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.chat_input import ChatInput
from pai_tui.ui.messages import AnswerView
from pai_tui.ui.upgrades_pane import UpgradesPane

OUTFILE, MODE, ARGUMENT = sys.argv[1], sys.argv[2], sys.argv[3]
record: dict[str, object] = {"echo": []}


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def finish(app: PaiApp) -> None:
    record["end"] = time.time()
    record["cpu_end"] = time.process_time()
    record["rss_peak_mb"] = peak_rss_mb()
    with open(OUTFILE, "w") as out:
        json.dump(record, out)
    app.exit()


def started() -> None:
    record["start"] = time.time()
    record["cpu_start"] = time.process_time()
    open(OUTFILE + ".sent", "w").close()  # for a benchmark that types meanwhile


async def go(app: PaiApp) -> None:
    # Measure streaming and opening, not the one-off start-up work the app does after its first
    # frame (opening the store, loading the skills, importing the SDK and the Markdown stack).
    await app.settled.wait()
    chat = app.main.query_one(ChatPane)
    if MODE == "send":
        started()
        chat_input = chat.query_one(ChatInput)
        chat_input.text = "go"
        chat_input.action_send()
    elif MODE == "open":
        record["start"] = time.time()
        await chat.open_session(int(ARGUMENT), "benchmark").wait()
        app.call_after_refresh(finish, app)
    elif MODE == "agents":
        start_agents(app, int(ARGUMENT))
    elif MODE == "speak":
        await speak(app, *ARGUMENT.split(":"))
    elif MODE == "fetch":
        await fetch(app, float(ARGUMENT))
    else:
        started()
        app.set_timer(float(ARGUMENT), lambda: finish(app))


async def speak(app: PaiApp, count: str, seconds: str) -> None:
    """Voice on (config.toml enables it), `count` utterances queued at once, then `seconds` of
    typing while they are said; records how many were said."""
    import asyncio

    from pai_tui.voice.model import Utterance

    voice = app.cockpit.voice
    while not voice.running:
        await asyncio.sleep(0.05)
    book = voice.book
    assert book is not None
    for index in range(int(count)):
        voice.say(Utterance(f"Utterance {index}: the speech thread keeps this off the loop.",
                            book.voice_for(None)))
    started()

    def done() -> None:
        assert voice.speaker is not None
        record["said"] = voice.speaker.spoken
        finish(app)

    app.set_timer(float(seconds), done)


async def fetch(app: PaiApp, seconds: float) -> None:
    """A second after the typing begins, the Upgrades pane's fetch (the palette's
    upgrades.fetch); records when it began, when the last source was polled, when the ranking
    after it ended, the CPU time between, and when the pane showed the new list; finishes
    once it has ended and `seconds` passed."""
    import asyncio

    feed = app.cockpit.upgrades
    fetch_now = feed.fetch
    ended = asyncio.Event()

    async def timed(progress=None, name=None):  # type: ignore[no-untyped-def]
        def told(done: int, total: int, polled: object) -> None:
            if done == total:
                record["polled_at"] = time.time()
            if progress is not None:
                progress(done, total, polled)

        record["fetch_start"], record["fetch_cpu_start"] = time.time(), time.process_time()
        try:
            polled = await fetch_now(told, name)
            record["outcomes"] = [p.outcome for p in polled]
            record["errors"] = sorted({p.error for p in polled if p.error})[:3]
            return polled
        except Exception as error:
            record["errors"] = [repr(error)]
            raise
        finally:
            record["fetch_end"], record["fetch_cpu_end"] = time.time(), time.process_time()
            ended.set()

    feed.fetch = timed  # type: ignore[method-assign]

    async def watch_loop() -> None:  # where the UI loop was held up, and for how long
        stalls = record.setdefault("stalls", [])
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            late = time.perf_counter() - before - 0.005
            if late > 0.03:
                stalls.append((time.time() - late, late))  # type: ignore[union-attr]

    app.run_worker(watch_loop(), exit_on_error=False)
    pane = app.main.query_one(UpgradesPane)
    show = pane._show

    def shown() -> None:  # the list drawn again after the fetch: the end of the wait
        began = time.perf_counter()
        show()
        if "fetch_end" in record and not pane.progress:
            record["shown"] = time.time()
            record["show_s"] = time.perf_counter() - began  # on the UI loop

    pane._show = shown  # type: ignore[method-assign]
    started()
    began = time.time()
    await asyncio.sleep(1.0)  # the typist's first key comes now
    await app.action_fetch_upgrades()
    await ended.wait()
    await asyncio.sleep(max(1.0, began + seconds - time.time()))
    app.call_after_refresh(finish, app)


# The bundled agents that work in the current folder (the engineer would make git worktrees
# of whatever repository the benchmark runs in).
AGENTS = ("architect", "researcher", "red-teamer", "designer", "qa-tester")


def start_agents(app: PaiApp, count: int) -> None:
    """Start `count` runs at once (the bundled agents in turn); finish once all have ended and
    the frame after the last one's end is drawn."""
    from pai_tui import events

    ended: list[float] = []

    def one_ended(event: events.TurnFinished) -> None:
        if event.agent is not None:
            ended.append(time.time())
            if len(ended) == count:
                record["ended"] = ended
                app.call_later(lambda: app.call_after_refresh(finish, app))

    def first_started(event: events.TurnStarted) -> None:
        # One transcript open, as a user watching a run would have it: the first run's, live.
        if event.agent is not None and "opened" not in record:
            record["opened"] = event.session_id
            chat = app.main.query_one(ChatPane)
            app.call_later(lambda: chat.open_session(event.session_id, "run"))

    app.cockpit.bus.subscribe(events.TurnFinished, one_ended)
    app.cockpit.bus.subscribe(events.TurnStarted, first_started)
    started()
    for index in range(count):
        app.start_agent(AGENTS[index % len(AGENTS)], f"task {index}")


original_ready = PaiApp.on_ready


def on_ready(self: PaiApp) -> None:
    original_ready(self)
    self.run_worker(go(self))


original_finish = ChatPane._finish


async def _finish(self: ChatPane, event) -> None:  # type: ignore[no-untyped-def]
    await original_finish(self, event)
    record["status"] = event.status
    self.call_after_refresh(finish, self.app)


original_flush = AnswerView.flush


async def flush(self: AnswerView) -> None:
    await original_flush(self)
    if MODE == "send" and "last_token_shown" not in record and ARGUMENT in self.body:
        self.call_after_refresh(lambda: record.setdefault("last_token_shown", time.time()))


def on_text_area_changed(self: ChatInput, _event: object) -> None:
    length = len(self.text)  # the benchmark types into an empty input: length k is key k
    self.call_after_refresh(lambda: record["echo"].append((length, time.time())))  # type: ignore[union-attr]


PaiApp.on_ready = on_ready  # type: ignore[method-assign]
ChatPane._finish = _finish  # type: ignore[method-assign]
AnswerView.flush = flush  # type: ignore[method-assign]
ChatInput.on_text_area_changed = on_text_area_changed  # type: ignore[attr-defined]

if __name__ == "__main__":
    import os

    from pai_tui.cli import main

    sys.argv = ["pai"]
    if os.environ.get("PAI_BENCH_PROFILE"):  # a cProfile of the whole run, for digging
        import cProfile

        cProfile.run("main()", os.environ["PAI_BENCH_PROFILE"])
    else:
        main()
