"""The one source of "now" for the edges (views, job runner, CLI).

Services take `now` as an argument; the edges ask this module. Tests travel in time by
setting `app.config["CLOCK"]` to a callable returning an aware UTC datetime.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from flask import current_app, has_app_context


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current time, aware and in UTC, honouring an injected clock."""
    if has_app_context():
        clock: Callable[[], datetime] | None = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return system_now()


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight at the start of `day` in `zone`, in UTC, for a "from" filter.

    The first and last days a datetime can hold (a typed 0001-01-01 or 9999-12-31) are
    clamped to datetime's own ends instead of overflowing.
    """
    try:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return (
            datetime.min.replace(tzinfo=UTC) if day.year == 1 else datetime.max.replace(tzinfo=UTC)
        )


def day_end(day: date, zone: tzinfo) -> datetime:
    """Midnight at the end of `day` in `zone` (exclusive), in UTC, for a "to" filter."""
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return day_start(day + timedelta(days=1), zone)
