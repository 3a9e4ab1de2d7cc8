"""Today, this week and this month start at local midnight with that day's UTC offset: a month
that began in winter time is counted from its real midnight after the clocks moved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pai_tui.history.service import local_midnight_utc, period_start


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def test_a_month_begun_before_the_clocks_moved_starts_at_its_own_midnight(berlin: None) -> None:
    now = datetime(2026, 3, 30, 10, 0)  # summer time (UTC+2) since March 29
    assert utc(period_start("month", now)) == datetime(2026, 2, 28, 23, 0)  # 1 March, UTC+1
    assert local_midnight_utc(now, month=True) == datetime(2026, 2, 28, 23, 0)
    assert local_midnight_utc(now) == datetime(2026, 3, 29, 22, 0)
    assert utc(period_start("week", datetime(2026, 4, 1, 9, 0))) == datetime(2026, 3, 29, 22, 0)
    assert utc(period_start("week", datetime(2026, 3, 29, 9, 0))) == datetime(2026, 3, 22, 23, 0)
