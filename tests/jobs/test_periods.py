"""Schedules: the period key a tick belongs to, the schedule in words, the next run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jobs.periods import Daily, EveryMinutes, Weekly, next_run


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)  # 23 Nov 2026 is a Monday


def test_it_keys_every_fifteen_minutes_by_the_quarter_hour():
    every = EveryMinutes(15)
    assert every.period(at(23, 10, 14, 59)) == "2026-11-23T10:00"
    assert every.period(at(23, 10, 15, 0)) == "2026-11-23T10:15"
    assert every.describe() == "Every 15 minutes"


def test_it_keys_by_utc_whatever_the_zone_of_now():
    paris = timezone(timedelta(hours=1))
    assert (
        EveryMinutes(15).period(datetime(2026, 11, 23, 11, 20, tzinfo=paris)) == "2026-11-23T10:15"
    )


def test_it_refuses_minutes_that_do_not_divide_the_hour():
    with pytest.raises(ValueError):
        EveryMinutes(7)


def test_it_describes_and_keys_an_hourly_job_from_its_minute():
    hourly = EveryMinutes(60, at_minute=5)
    assert hourly.describe() == "Every hour at :05"
    assert hourly.period(at(23, 10, 5)) == "2026-11-23T10:05"
    assert hourly.period(at(23, 11, 4, 59)) == "2026-11-23T10:05"
    assert hourly.period(at(23, 11, 5)) == "2026-11-23T11:05"


def test_it_describes_and_keys_a_daily_job():
    daily = Daily(2)
    assert daily.describe() == "Every day at 02:00 UTC"
    assert daily.period(at(23, 2)) == "2026-11-23"
    assert daily.period(at(23, 23, 59)) == "2026-11-23"
    # Before 02:00 the slot that began last is yesterday's.
    assert daily.period(at(24, 1, 59, 59)) == "2026-11-23"


def test_it_counts_a_late_daily_tick_for_the_day_it_was_scheduled():
    # Misfire grace lets a 23:30 tick run up to an hour late; past midnight it must still
    # be that day's run, or the next day's tick would find its slot taken and skip.
    late_evening = Daily(23, 30)
    assert late_evening.period(at(23, 23, 30)) == "2026-11-23"
    assert late_evening.period(at(24, 0, 10)) == "2026-11-23"
    assert late_evening.period(at(24, 23, 30)) == "2026-11-24"


def test_it_keys_a_weekly_job_by_iso_week():
    weekly = Weekly(0, 9)
    assert weekly.describe() == "Mondays at 09:00 UTC"
    assert weekly.period(at(23, 9)) == "2026-W48"
    assert weekly.period(at(29, 23, 59)) == "2026-W48"  # Sunday, same ISO week
    assert weekly.period(at(30, 9)) == "2026-W49"
    assert weekly.period(at(30, 8, 59)) == "2026-W48"  # next Monday, before its 09:00


def test_it_keys_a_late_sunday_tick_by_the_week_it_was_scheduled_in():
    sunday_night = Weekly(6, 23, 30)
    assert sunday_night.describe() == "Sundays at 23:30 UTC"
    assert sunday_night.period(at(29, 23, 45)) == "2026-W48"
    assert sunday_night.period(at(30, 0, 15)) == "2026-W48"


def test_it_keys_across_a_year_boundary_by_iso_year():
    # 1 Jan 2027 is a Friday in ISO week 53 of 2026.
    assert Weekly(4, 9).period(datetime(2027, 1, 1, 12, tzinfo=UTC)) == "2026-W53"


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    [
        (EveryMinutes(15), at(23, 10, 14, 59), at(23, 10, 15)),
        (EveryMinutes(15), at(23, 10, 15), at(23, 10, 15)),
        (EveryMinutes(60, at_minute=5), at(23, 10, 6), at(23, 11, 5)),
        (Daily(2), at(23, 10), at(24, 2)),
        (Daily(2), at(23, 1), at(23, 2)),
        (Weekly(0, 9), at(23, 10), at(30, 9)),
        (Weekly(0, 9), at(23, 8), at(23, 9)),
    ],
)
def test_it_computes_the_next_run(schedule, now, expected):
    nxt = next_run(schedule, now)
    assert nxt == expected
    assert nxt.utcoffset() == timedelta(0)


def test_it_gives_daily_and_weekly_jobs_an_hour_of_misfire_grace():
    assert Daily(2).misfire_grace_seconds >= 3600
    assert Weekly(0, 9).misfire_grace_seconds >= 3600
    assert EveryMinutes(1).misfire_grace_seconds >= 60
    assert EveryMinutes(60, at_minute=5).misfire_grace_seconds >= 60
