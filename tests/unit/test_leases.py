"""The lease that lets one pai run the scheduler for one database: taken, refused to another,
given up, fenced; on SQLite a silent holder loses it when it expires, on PostgreSQL a holder is
whoever holds the advisory lock, so a killed one is replaced at once and a live but slow one is
never pushed out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pai_tui.history.store import Store
from tests.conftest import REPO

NOON = datetime(2026, 12, 1, 12, 0)
TTL = timedelta(seconds=60)
LATER = NOON + timedelta(minutes=5)  # past the first holder's expiry


def open_two(url: str, tmp_path: Path) -> tuple[Store, Store]:
    return Store.open(url, tmp_path)[0], Store.open(url, tmp_path)[0]


def test_a_lease_is_one_holder_s_until_given_up(database_url: str, tmp_path: Path) -> None:
    first, second = open_two(database_url, tmp_path)
    lease = first.take_lease("jobs", "a:1:x", TTL, NOON, "next run 13:00")
    assert lease is not None and lease.token == 1
    assert second.take_lease("jobs", "b:2:y", TTL, NOON) is None
    held = second.lease("jobs")
    assert held is not None and (held.where, held.note) == ("a:1", "next run 13:00")
    renewed = first.renew_lease(lease, TTL, NOON + timedelta(seconds=20))
    assert renewed is not None and renewed.token == 1
    first.release_lease(renewed, NOON + timedelta(seconds=30))
    taken = second.take_lease("jobs", "b:2:y", TTL, NOON + timedelta(seconds=30))
    assert taken is not None and taken.token == 2  # a new holder: a larger token
    first.close()
    second.close()


def test_on_sqlite_a_silent_holder_loses_the_lease_when_it_expires(tmp_path: Path) -> None:
    from pai_tui.history.urls import sqlite_url

    first, second = open_two(sqlite_url(tmp_path / "pai.db"), tmp_path)
    lease = first.take_lease("jobs", "a:1:x", TTL, NOON)
    assert lease is not None
    assert second.take_lease("jobs", "b:2:y", TTL, LATER) is not None
    assert first.renew_lease(lease, TTL, LATER) is None  # fenced: it must stop
    first.close()
    second.close()


def test_on_postgresql_a_live_holder_keeps_the_lease_past_its_row_s_expiry(
        tmp_path: Path) -> None:
    from tests import postgres

    url = postgres.cluster().new_database()
    first, second = open_two(url, tmp_path)
    lease = first.take_lease("jobs", "a:1:x", TTL, NOON)
    assert lease is not None
    assert second.take_lease("jobs", "b:2:y", TTL, LATER) is None  # the lock says held
    assert first.renew_lease(lease, TTL, LATER) is not None  # a slow holder is not fenced
    first.close()  # its lock goes with its connection
    assert second.take_lease("jobs", "b:2:y", TTL, LATER) is not None
    second.close()


HOLD = """
import sys, time
from datetime import datetime, timedelta
from pai_tui.history.store import Store
store, _, _ = Store.open(sys.argv[1], None)
lease = store.take_lease("jobs", "killed:9:z", timedelta(hours=1), datetime(2026, 12, 1, 12))
print("held" if lease else "refused", flush=True)
time.sleep(300)
"""


def test_on_postgresql_a_killed_holder_is_replaced_at_once(tmp_path: Path) -> None:
    """Its row says an hour more; the server dropped its lock with its connection."""
    from tests import postgres

    url = postgres.cluster().new_database()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE,
                              text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = Store.open(url, tmp_path)[0]
        assert store.take_lease("jobs", "b:2:y", TTL, NOON) is None
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        taken = _eventually(lambda: store.take_lease("jobs", "b:2:y", TTL, NOON))
        assert taken is not None and taken.token == 2 and taken.where == "b:2"
        store.close()
    finally:
        holder.kill()
        holder.wait()


def _eventually(attempt):  # type: ignore[no-untyped-def]
    """The server notices a dead client's closed socket within moments."""
    import time

    deadline = time.monotonic() + 10
    while True:
        result = attempt()
        if result is not None or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


@pytest.mark.parametrize("name", ["jobs", "upgrade-scheduler"])
def test_lease_keys_are_stable_64_bit_numbers(name: str) -> None:
    from pai_tui.history.leases import _key

    assert _key(name) == _key(name) and -2**63 <= _key(name) < 2**63
    assert _key("jobs") != _key("upgrade-scheduler")
