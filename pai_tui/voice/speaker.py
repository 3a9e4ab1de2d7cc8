"""The speech thread: the one thread that owns the engine (pyttsx3 is not thread-safe) and the
player, so nothing that speaks ever runs on the UI's event loop.

`say()` never blocks: it puts the utterance in a bounded queue and returns. Permission questions
go first. When the queue is full the oldest ordinary utterance is dropped, and one that waited
longer than `max_age` is dropped when its turn comes; both are said in the log. `stop()` ends the
clip playing now (its player killed with its process group) and empties the queue. Each clip is
a "speech" span on the bus (the status bar says "speaking" while one is open, the timeline
records it).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import tempfile
import threading
import time
from pathlib import Path

from pai_tui import events, spans
from pai_tui.safe_text import printable
from pai_tui.voice import players
from pai_tui.voice.engines import Engine
from pai_tui.voice.model import Utterance, VoiceError

log = logging.getLogger(__name__)



class Speaker:
    """Says utterances one at a time, in order (priority first), in a thread of its own.

    `output`: a player's argv, or a folder to keep clips in."""

    def __init__(self, engine: Engine, output: list[str] | Path, bus: events.Bus, *,
                 max_queue: int = 8, max_age: float = 60.0):
        self.engine, self.output, self.bus = engine, output, bus
        self.max_queue, self.max_age = max_queue, max_age
        self._urgent: collections.deque[Utterance] = collections.deque()
        self._waiting: collections.deque[Utterance] = collections.deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._current: asyncio.Task[None] | None = None
        self._closing = False
        self._ready = threading.Event()
        self.dropped = 0  # utterances given up (queue full, or stale)
        self.spoken = 0
        self.kept: list[Path] = []  # clips written to the folder, newest last (capped)
        self.last_error: str | None = None
        self.speaking = False  # a clip's span is open (made or played now)
        self._thread = threading.Thread(target=self._run, name="pai-speech", daemon=True)
        self._thread.start()
        self._ready.wait(5)

    # --- any thread ------------------------------------------------------------------------

    def say(self, utterance: Utterance) -> None:
        with self._lock:
            if self._closing:
                return
            queue = self._urgent if utterance.priority else self._waiting
            queue.append(utterance)
            while len(self._urgent) + len(self._waiting) > self.max_queue:
                old = (self._waiting or self._urgent).popleft()
                self._drop(old, "the queue is full")
        self._poke()

    def stop(self) -> int:
        """Stop the clip being said and forget what waits; how many were forgotten."""
        with self._lock:
            forgotten = len(self._urgent) + len(self._waiting)
            self._urgent.clear()
            self._waiting.clear()
        loop, current = self._loop, self._current
        if loop is not None and current is not None:
            loop.call_soon_threadsafe(current.cancel)
        return forgotten

    def pending(self) -> int:
        with self._lock:
            return len(self._urgent) + len(self._waiting)

    def busy(self) -> bool:
        return self._current is not None or self.pending() > 0

    def wait(self, timeout: float) -> bool:
        """Block until everything queued is said (a command waiting to exit); False if not
        within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.busy():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closing = True
        self.stop()
        self._poke()
        self._thread.join(timeout)

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    def _drop(self, utterance: Utterance, why: str) -> None:
        self.dropped += 1
        log.info("voice: not said (%s): %s", why, printable(utterance.text[:80]))

    # --- the speech thread -----------------------------------------------------------------

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        with tempfile.TemporaryDirectory(prefix="pai-speech-") as scratch:
            while True:
                utterance = self._next()
                if utterance is None:
                    if self._closing:
                        return
                    self._wake.clear()
                    if self.pending() == 0 and not self._closing:
                        await self._wake.wait()
                    continue
                self._current = asyncio.ensure_future(self._say(utterance, Path(scratch)))
                try:
                    await self._current
                except asyncio.CancelledError:
                    pass  # stopped: the next one
                finally:
                    self._current = None

    def _next(self) -> Utterance | None:
        with self._lock:
            while self._urgent or self._waiting:
                utterance = (self._urgent or self._waiting).popleft()
                if time.monotonic() - utterance.queued_at <= self.max_age:
                    return utterance
                self._drop(utterance, f"waited over {self.max_age:g} s")
        return None

    async def _say(self, utterance: Utterance, scratch: Path) -> None:
        span = spans.start_span(
            self.bus, "speech", f"speech {utterance.agent or 'main'}",
            trace_id=utterance.trace_id or spans.new_trace_id(),
            parent_span_id=utterance.parent_span_id, session_id=utterance.session_id,
            attributes={spans.SPEECH_KIND: utterance.kind, spans.SPEECH_VOICE: utterance.voice.id,
                        spans.SPEECH_CHARS: len(utterance.text),
                        spans.AGENT_NAME: utterance.agent},
            turn_id=utterance.turn_id, agent=utterance.agent)
        self.speaking = True
        clip = scratch / f"clip-{self.spoken + self.dropped}.wav"

        def end(status: spans.SpanStatus, attributes: dict[str, object]) -> None:
            self.speaking = False  # before the span's end is told: its listeners ask
            span.end(status, attributes)

        try:
            written = await self.engine.synthesize(utterance.text, utterance.voice, clip)
            seconds = players.wav_seconds(clip) if written else 0.0
            where: str | None = None
            if written and isinstance(self.output, Path):
                label = f"{utterance.agent or 'main'}-{utterance.kind}"
                kept = players.keep_in_folder(clip, self.output, label)
                self.kept = [*self.kept[-99:], kept]
                where = str(kept)
            elif written:
                run = await players.play(self.output, clip, seconds)
                if not run.ok:
                    raise VoiceError(f"{Path(self.output[0]).name} failed: {run.status()} "
                                     f"{run.stderr.strip()[:200]}")
            self.spoken += 1
            self.last_error = None
            end("ok", {spans.SPEECH_SECONDS: round(seconds, 2), spans.SPEECH_FILE: where})
        except asyncio.CancelledError:
            end("cancelled", {spans.STATUS_DETAIL: "stopped"})
            raise
        except (VoiceError, OSError) as error:
            self.last_error = str(error)
            log.warning("voice: %s", error)
            end("error", {spans.ERROR_TYPE: type(error).__name__,
                               spans.STATUS_DETAIL: str(error)[:300]})
        finally:
            clip.unlink(missing_ok=True)
