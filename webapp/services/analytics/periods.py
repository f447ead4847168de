"""A report's periods in the workspace's time zone: yesterday, last week (Monday to
Sunday) or last month, the one before it for comparison, and their UTC edges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    schedule: str
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        if self.schedule == "daily":
            return self.start.isoformat()
        if self.schedule == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.strftime("%Y-%m")

    @property
    def label(self) -> str:
        if self.schedule == "daily":
            return self.start.strftime("%a %d %b %Y")
        if self.schedule == "weekly":
            return f"{self.start:%d %b} – {self.end:%d %b %Y}"
        return self.start.strftime("%B %Y")

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def previous(self) -> Period:
        return period_containing(self.schedule, self.start - timedelta(days=1))


def period_containing(schedule: str, day: date) -> Period:
    if schedule == "daily":
        return Period(schedule, day, day)
    if schedule == "weekly":
        start = day - timedelta(days=day.weekday())
        return Period(schedule, start, start + timedelta(days=6))
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(schedule, start, following - timedelta(days=1))


def local_today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def last_complete(schedule: str, now: datetime, tz: str) -> Period:
    """The latest period that has ended by `now` in the workspace's zone."""
    today = local_today(now, tz)
    return period_containing(schedule, today).previous()


def due(schedule: str, now: datetime, tz: str, send_hour: int) -> Period | None:
    """The period whose report is due at `now`: the last complete one, once the local
    clock has passed `send_hour` on the day after it ended. None before that hour."""
    period = last_complete(schedule, now, tz)
    opens = local_edge(period.end + timedelta(days=1), tz) + timedelta(hours=send_hour)
    return period if now >= opens else None


def local_edge(day: date, tz: str) -> datetime:
    """Local midnight starting `day`, in UTC (correct across daylight-saving changes)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def utc_bounds(period: Period, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the period in UTC."""
    return local_edge(period.start, tz), local_edge(period.end + timedelta(days=1), tz)


def parse_key(schedule: str, key: str) -> Period | None:
    """The period a key names (from the page's period picker); None when it names none."""
    try:
        if schedule == "daily":
            return period_containing(schedule, date.fromisoformat(key))
        if schedule == "weekly":
            year, week = key.split("-W")
            return period_containing(schedule, date.fromisocalendar(int(year), int(week), 1))
        return period_containing(schedule, date.fromisoformat(f"{key}-01"))
    except (ValueError, TypeError):
        return None
