"""Send windows: when a sequence may send, in local wall-clock time of the right zone.

A schedule allows some weekdays (Monday=0) and a daily window [start, end) of local time,
for example 09:00–18:00 Monday to Friday. A message due outside it waits for the next
opening. Windows are wall-clock times in the zone (the workspace's, or the contact's own
when the schedule says so and it is known), so "09:00" stays 09:00 across DST changes.
A window edge that falls in a DST gap (a wall time that does not exist that day) moves
to the first instant that exists after it — the moment the clocks jump.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SCHEDULE = {
    "days": [0, 1, 2, 3, 4],
    "start": "09:00",
    "end": "18:00",
    "timezone_mode": "workspace",
    "timezone": None,
}


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The zone called `name`, or None when the name is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def schedule_zone(
    schedule: dict | None, org_timezone: str, lead_timezone: str | None = None
) -> str:
    """The zone a schedule's window is read in for one contact.

    "contact" mode uses the contact's own zone when it is known and valid; otherwise (and in
    "workspace" mode) the schedule's zone if set, else the workspace's.
    """
    schedule = schedule or {}
    if schedule.get("timezone_mode") == "contact" and zone(lead_timezone) is not None:
        return lead_timezone  # type: ignore[return-value]
    explicit = schedule.get("timezone")
    if zone(explicit) is not None:
        return explicit
    return org_timezone if zone(org_timezone) is not None else "UTC"


def parse_hhmm(value: str) -> time:
    hours, minutes = str(value).strip().split(":")
    return time(int(hours), int(minutes))


def _resolve(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `day` `wall` in `tz`; a wall time inside a DST gap gives the gap's end."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)  # exists (for an ambiguous time: its first occurrence)
    # In a gap: fold=1 reads it with the offset after the jump (an earlier instant, whose
    # wall time is before the gap), fold=0 with the offset before (a later instant, after
    # the gap). The first instant whose wall time reaches `naive` is the jump itself.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    if low > high:
        low, high = high, low
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def next_allowed(due: datetime, schedule: dict | None, tz: str) -> datetime:
    """The first instant at or after `due` inside the schedule's window, in UTC.

    `due` is aware (any zone); `tz` names the zone the window is read in. With no
    schedule, or no days allowed, `due` itself is returned (nothing to wait for).
    """
    due = due.astimezone(UTC)
    if not schedule or not schedule.get("days"):
        return due
    days = {int(d) for d in schedule["days"]}
    start = parse_hhmm(schedule.get("start") or "00:00")
    end = parse_hhmm(schedule.get("end") or "23:59")
    place = zone(tz) or UTC
    local_day = due.astimezone(place).date()
    for offset in range(0, 9):
        day = local_day + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        opens = _resolve(day, start, place)
        closes = _resolve(day, end, place)
        if due < opens:
            return opens
        if due < closes:
            return due
    return due  # unreachable with at least one allowed day


def is_open(at: datetime, schedule: dict | None, tz: str) -> bool:
    return next_allowed(at, schedule, tz) == at.astimezone(UTC)


def describe(schedule: dict | None) -> str:
    """The schedule in words, e.g. "Mon–Fri, 09:00–18:00 (workspace time zone)"."""
    if not schedule or not schedule.get("days"):
        return "Any time"
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    days = sorted({int(d) for d in schedule["days"]})
    if days == list(range(7)):
        day_words = "Every day"
    elif days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        day_words = f"{names[days[0]]}–{names[days[-1]]}"
    else:
        day_words = ", ".join(names[d] for d in days)
    if schedule.get("timezone_mode") == "contact":
        where = "each contact's time zone where known"
    elif schedule.get("timezone"):
        where = schedule["timezone"]
    else:
        where = "workspace time zone"
    return f"{day_words}, {schedule.get('start', '00:00')}–{schedule.get('end', '23:59')} ({where})"
