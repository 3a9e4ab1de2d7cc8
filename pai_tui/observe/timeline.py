"""The timeline recorder: a bus subscriber that writes spans to the store as they start and end.

Publishers (the turn, its model calls, steps, questions) must never wait for the database, so
spans are queued and written by one thread of the recorder's own, in a transaction per batch
about every quarter of a second: a killed pai loses at most that much of its timeline, and an
open span left in the store shows as incomplete. A batch the store refuses (a lock held too
long) is tried again with the next; the timeline never stops a turn.
"""

from __future__ import annotations

import logging
import threading
import time

from pai_tui import events
from pai_tui.history.service import History

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.25
KEPT_MAX = 10_000  # span events kept while the store refuses them
RETRY_SECONDS = 2.0


class TimelineRecorder:
    def __init__(self, history: History, bus: events.Bus):
        self._history = history
        self._started: list[events.SpanStarted] = []
        self._ended: list[events.SpanEnded] = []
        self._wake = threading.Condition()
        self._closing = False
        self._pause = 0.0  # seconds to wait before trying again after the store refused
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._unsubscribe = [bus.subscribe(events.SpanStarted, self._on_started),
                             bus.subscribe(events.SpanEnded, self._on_ended)]

    def _on_started(self, event: events.SpanStarted) -> None:
        with self._wake:
            self._started.append(event)
            self._ensure_thread()

    def _on_ended(self, event: events.SpanEnded) -> None:
        with self._wake:
            self._ended.append(event)
            self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._closing:
            self._thread = threading.Thread(target=self._loop, name="pai-timeline", daemon=True)
            self._thread.start()
        self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not (self._started or self._ended or self._closing):
                    self._wake.wait()
                if self._closing:
                    return
                # Let a batch gather: a turn tells several spans within milliseconds.
                deadline = time.monotonic() + BATCH_SECONDS + self._pause
                self._pause = 0.0
                while not self._closing and (left := deadline - time.monotonic()) > 0:
                    self._wake.wait(left)
                if self._closing:
                    return
            self.flush()

    def flush(self) -> None:
        """Write what is queued now (blocking)."""
        with self._writing:
            with self._wake:
                started, self._started = self._started, []
                ended, self._ended = self._ended, []
            if not (started or ended):
                return
            try:
                self._history.open().record_spans(started, ended)
            except Exception as error:
                self._keep(started, ended, self._history.redact(str(error)))

    def _keep(self, started: list[events.SpanStarted], ended: list[events.SpanEnded],
              why: str) -> None:
        """A batch the store refused waits for the next one (the database may be locked for a
        moment), up to KEPT_MAX events: beyond that the oldest are given up, and said."""
        with self._wake:
            self._started[:0], self._ended[:0] = started, ended
            over = len(self._started) + len(self._ended) - KEPT_MAX
            if over > 0:
                first = min(over, len(self._started))
                del self._started[:first]
                del self._ended[:over - first]
            self._pause = RETRY_SECONDS  # the answers' own saves go first meanwhile
        log.warning("the timeline could not be written (%s); %s", why,
                    f"{over} span events given up" if over > 0 else "it is tried again")

    def close(self) -> None:
        """Stop listening, and write what is left."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        with self._wake:
            self._closing = True
            self._wake.notify()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self.flush()
