"""Reading what a poll fetched (feeds, pages) in worker processes of pai's own. feedparser is
pure Python: read in threads, 200 feeds took ~4 s of the GIL the cockpit's keys wait for (key
echo p95 ~0.4 s while polling; benchmarks/poll_speed.py). A worker (`python -m
pai_tui.upgrade.reader`, started on a poll's first document, one per spare core) reads the
documents it is sent and answers each with what it read; if a worker cannot start or dies, that
document and the rest are read in a thread, as before. Frames are an 8-byte length and a pickle,
between pai and a child running pai's own code."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import struct
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

from pai_tui.upgrade.parse import FeedError, ParsedFeed, parse_feed

if TYPE_CHECKING:
    from pai_tui.upgrade.fetch import Fetched
    from pai_tui.upgrade.sources import Source

_LENGTH = struct.Struct(">Q")
MOST_WORKERS = 4


def read_document(source: Source, fetched: Fetched) -> ParsedFeed:
    """The items of what was fetched: a feed, or the matching links of a page."""
    return read(source.kind, source.pattern, fetched.body, fetched.url, fetched.content_type)


def read(kind: str, pattern: str | None, body: bytes, url: str,
         content_type: str | None) -> ParsedFeed:
    if kind == "page":
        from pai_tui.upgrade.page import parse_page

        return parse_page(body, url, pattern or ".")
    return parse_feed(body, url, content_type)


def spare_cores() -> int:
    """Workers for a poll: the cores but one (the cockpit's), at least one."""
    return max(1, min(MOST_WORKERS, (os.cpu_count() or 2) - 1))


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process

    async def ask(self, request: tuple[Any, ...]) -> tuple[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        data = pickle.dumps(request, pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(_LENGTH.pack(len(data)) + data)
        await self.process.stdin.drain()
        (length,) = _LENGTH.unpack(await self.process.stdout.readexactly(_LENGTH.size))
        return pickle.loads(await self.process.stdout.readexactly(length))  # type: ignore[no-any-return]

    async def stop(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


class Readers:
    """Up to `workers` worker processes for one poll; `close()` when it is over."""

    def __init__(self, workers: int | None = None):
        self.workers = workers if workers is not None else spare_cores()
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()  # None: broken
        self._all: list[_Worker] = []
        self._started = 0
        self._broken = False  # a worker would not start or died: threads from now on

    async def read(self, source: Source, fetched: Fetched) -> ParsedFeed:
        """What `read_document` returns (or raises), read by a worker."""
        worker = None if self._broken else await self._take()
        if worker is None:
            return await asyncio.to_thread(read_document, source, fetched)
        try:
            outcome, value = await worker.ask((source.kind, source.pattern, fetched.body,
                                               fetched.url, fetched.content_type))
        except (OSError, EOFError, asyncio.IncompleteReadError, pickle.PickleError):
            self._break()
            return await asyncio.to_thread(read_document, source, fetched)
        self._idle.put_nowait(worker)
        if outcome == "read":
            return value  # type: ignore[no-any-return]
        if outcome == "not a feed":
            raise FeedError(value)
        # Something unforeseen: read it here, where what goes wrong is raised as before.
        return await asyncio.to_thread(read_document, source, fetched)

    def _break(self) -> None:
        """Threads from now on; whoever waits for a worker is told (None goes round)."""
        self._broken = True
        self._idle.put_nowait(None)

    async def _take(self) -> _Worker | None:
        if self._idle.empty() and self._started < self.workers:
            from pai_tui.scrub import scrubbed_environment

            self._started += 1  # before the await: the others wait for this one
            try:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "pai_tui.upgrade.reader",
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
                    env=scrubbed_environment(os.environ))
            except OSError:
                self._break()
                return None
            worker = _Worker(process)
            self._all.append(worker)
            return worker
        taken = await self._idle.get()
        if taken is None:
            self._idle.put_nowait(None)
        return taken

    async def close(self) -> None:
        workers, self._all = self._all, []
        await asyncio.gather(*(worker.stop() for worker in workers))


def _serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """The worker: a document in, what was read out, until pai closes the pipe."""
    while header := requests.read(_LENGTH.size):
        (length,) = _LENGTH.unpack(header)
        kind, pattern, body, url, content_type = pickle.loads(requests.read(length))
        answer: tuple[str, Any]
        try:
            answer = ("read", read(kind, pattern, body, url, content_type))
        except FeedError as error:
            answer = ("not a feed", str(error))
        except Exception as error:  # said to pai, which reads it again itself
            answer = ("failed", repr(error))
        data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        answers.write(_LENGTH.pack(len(data)) + data)
        answers.flush()


if __name__ == "__main__":
    with contextlib.suppress(OSError):  # background work: the cockpit's keys come first
        os.nice(10)
    _serve(sys.stdin.buffer, sys.stdout.buffer)
