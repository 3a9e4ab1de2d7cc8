"""Who is writing a message: a row being written (`streaming`) records its writer (host,
process id and the process's start time), so that a pai starting up marks as *interrupted* only
the rows whose writer is gone, never another live pai's answer. A writer on another machine
(a shared PostgreSQL) cannot be looked at: its row is taken as abandoned once it has not been
saved for STALE_AFTER (a streaming answer is saved about every second)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import cache

STALE_AFTER = timedelta(minutes=15)


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), which tells a live process
    from a later one that got the same id; None where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@cache
def this_writer() -> str:
    """This process, as rows record it: `host:pid:start`."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or '?'}"


def is_gone(writer: str | None, saved_at: datetime, now: datetime) -> bool:
    """Whether the writer of a `streaming` row has stopped without finishing it."""
    if not writer:
        return True  # written by a pai from before writers were recorded
    host, _, rest = writer.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        return now - saved_at > STALE_AFTER
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    if pid == os.getpid():
        return started != this_writer().rsplit(":", 1)[1]
    now_started = _start_time(pid)
    if now_started is None:
        try:
            os.kill(pid, 0)  # no /proc: is there a process with that id at all?
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return now_started != started
