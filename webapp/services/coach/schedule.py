"""When the WhatsApp coach writes: its frequency inside a daily window of local time.

- daily: every day;
- three_per_week: Monday, Wednesday and Friday;
- weekly: every 7 days.

The window ("09:00"–"18:00") is wall-clock time in the contact's own zone (`contact_zone`:
the contact's saved zone, else the one its phone number belongs to, else the workspace's);
send_windows does the DST-aware arithmetic. The first follow-up goes out at the next allowed moment; each
next one a period later, at the same local time of day, moved into the window when needed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import phonenumbers
from phonenumbers import timezone as phone_zones

from webapp.models import CoachSettings
from webapp.services.messaging import next_allowed, parse_hhmm, zone

EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
MON_WED_FRI = [0, 2, 4]
FREQUENCIES = {
    "daily": "Every day",
    "three_per_week": "3× a week (Mon, Wed, Fri)",
    "weekly": "Once a week",
}
# Who the coach writes to, by lead status (webapp.models.lead.LEAD_STATUSES); None = everyone.
AUDIENCES: dict[str, tuple[str, ...] | None] = {
    "all_contacts": None,
    "new_leads": ("new", "contacted"),
    "qualified": ("qualified",),
}
AUDIENCE_LABELS = {
    "all_contacts": "All contacts who agreed to WhatsApp messages",
    "new_leads": "New leads (status new or contacted)",
    "qualified": "Qualified leads",
}


def contact_zone(lead_timezone: str | None, phone: str | None, workspace_zone: str | None) -> str:
    """The zone the coach's window is read in for one contact: its own saved zone, else the
    single zone its number belongs to (+1 415 → America/Los_Angeles; a country spanning
    several zones, like +1 in general, gives no answer), else the workspace's, else UTC."""
    if zone(lead_timezone) is not None:
        return lead_timezone  # type: ignore[return-value]
    try:
        places = phone_zones.time_zones_for_number(phonenumbers.parse(phone or "", None))
    except phonenumbers.NumberParseException:
        places = ()
    if len(places) == 1 and zone(places[0]) is not None:
        return places[0]
    return workspace_zone if zone(workspace_zone) is not None else "UTC"  # type: ignore[return-value]


def window_schedule(settings: CoachSettings) -> dict:
    """The settings as a send_windows schedule: allowed days and the daily window."""
    days = MON_WED_FRI if settings.frequency == "three_per_week" else EVERY_DAY
    return {"days": days, "start": settings.window_start, "end": settings.window_end}


def first_due(settings: CoachSettings, now: datetime, tz: str) -> datetime:
    """The first moment at or after `now` the coach may write (allowed day, inside the window)."""
    return next_allowed(now, window_schedule(settings), tz)


def next_due(settings: CoachSettings, after: datetime, tz: str) -> datetime:
    """When the follow-up after one sent at `after` is due, by frequency, inside the window.

    A period later (1 day, the next of Mon/Wed/Fri, or 7 days) at the same local time of day;
    a time before the window waits for its opening, a time after it takes that day's opening.
    """
    place = zone(tz) or UTC
    local = after.astimezone(place)
    if settings.frequency == "three_per_week":
        step = next(d for d in range(1, 8) if (local.weekday() + d) % 7 in MON_WED_FRI)
    elif settings.frequency == "daily":
        step = 1
    else:
        step = 7
    day = local.date() + timedelta(days=step)
    wall = local.time().replace(tzinfo=None)
    if wall >= parse_hhmm(
        settings.window_end
    ):  # sent after hours: that day's opening, not the day after
        wall = parse_hhmm(settings.window_start)
    candidate = datetime.combine(day, wall, tzinfo=place)
    # Wall-clock arithmetic: round-trip through UTC so a DST change lands on a real instant.
    candidate = candidate.astimezone(UTC)
    return next_allowed(candidate, window_schedule(settings), tz)


def is_open(settings: CoachSettings, at: datetime, tz: str) -> bool:
    """Whether `at` is inside the window on an allowed day."""
    return next_allowed(at, window_schedule(settings), tz) == at.astimezone(UTC)


def window_problems(start: str, end: str) -> dict[str, str]:
    """Why a window cannot be used, by field (window_start, window_end); empty when it can."""
    problems: dict[str, str] = {}
    times = {}
    for name, value in (("window_start", start), ("window_end", end)):
        try:
            if len(value.strip()) != 5:
                raise ValueError(value)
            times[name] = parse_hhmm(value)
        except ValueError:
            problems[name] = "Use the 24-hour format HH:MM, for example 09:00."
    if problems:
        return problems
    opens, closes = times["window_start"], times["window_end"]
    if closes <= opens:
        problems["window_end"] = "The window must end after it starts (on the same day)."
    elif (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute) < 30:
        problems["window_end"] = "Leave at least 30 minutes between the start and the end."
    return problems


def describe(settings: CoachSettings, tz: str) -> str:
    """The schedule in words, e.g. "3× a week (Mon, Wed, Fri), 09:00–18:00 in each contact's
    local time (else Europe/London)"."""
    return (
        f"{FREQUENCIES.get(settings.frequency, settings.frequency)}, "
        f"{settings.window_start}–{settings.window_end} in each contact's local time (else {tz})"
    )
