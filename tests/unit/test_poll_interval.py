"""How often a healthy source is asked again (upgrade/poll.py `interval`): by its own pace of
posting, around `every`, bounded, and jittered the same way for the same source and time."""

from __future__ import annotations

from datetime import datetime, timedelta

from pai_tui.upgrade.poll import FASTEST, SLOWEST, interval

NOW = datetime(2026, 12, 1, 12, 0)
HOUR = timedelta(hours=1)


def posts(every: timedelta, count: int = 10, last: timedelta = timedelta(0)) -> list[datetime]:
    """`count` posts `every` apart, the newest `last` ago."""
    return [NOW - last - every * n for n in range(count)]


def within(value: timedelta, expected: timedelta, jitter: float = 0.1) -> bool:
    return expected * (1 - jitter) <= value <= expected * (1 + jitter)


def test_a_daily_poster_is_asked_every_hour_a_busy_one_sooner_a_quiet_one_later() -> None:
    daily = interval("daily", posts(timedelta(days=1)), NOW)
    busy = interval("busy", posts(timedelta(hours=6)), NOW)
    weekly = interval("weekly", posts(timedelta(days=7)), NOW)
    assert within(daily, HOUR)
    assert within(busy, HOUR / 4)
    assert within(weekly, 7 * HOUR)
    assert busy < daily < weekly


def test_the_interval_is_bounded() -> None:
    every_minute = posts(timedelta(minutes=1))
    yearly = posts(timedelta(days=365))
    assert interval("firehose", every_minute, NOW) == FASTEST
    assert interval("archive", yearly, NOW) == SLOWEST
    # The user's own `every` is always within reach, beyond the bounds too.
    assert interval("firehose", every_minute, NOW, every=timedelta(minutes=5)) == \
        timedelta(minutes=5)
    assert interval("archive", yearly, NOW, every=timedelta(days=2)) == timedelta(days=2)


def test_a_source_that_went_quiet_slows_down() -> None:
    lately = interval("s", posts(timedelta(hours=6)), NOW)
    silent = interval("s", posts(timedelta(hours=6), last=timedelta(days=5)), NOW)
    assert within(silent, 5 * HOUR) and silent > lately


def test_without_dated_posts_it_is_every_and_future_dates_are_ignored() -> None:
    assert within(interval("new", [], NOW), HOUR)
    assert within(interval("new", [], NOW, every=3 * HOUR), 3 * HOUR)
    future = [NOW + timedelta(days=n) for n in range(1, 5)]
    assert within(interval("odd clock", future + posts(timedelta(days=1)), NOW), HOUR)


def test_the_jitter_is_the_same_for_the_same_source_and_time_and_spreads_sources() -> None:
    week = posts(timedelta(days=1))
    assert interval("a", week, NOW) == interval("a", week, NOW)
    spread = {interval(f"source {n}", week, NOW) for n in range(20)}
    assert len(spread) > 15  # twenty sources do not all come due at once
    assert all(within(value, HOUR) for value in spread)
    assert interval("a", week, NOW) != interval("a", week, NOW + timedelta(seconds=1))
