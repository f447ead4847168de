"""Quiet hours for texts: no SMS or WhatsApp between 21:00 and 08:00 in the contact's zone.

Whatever a sequence's, broadcast's or workflow's window says, a text due in the quiet hours
waits until the morning (TCPA and most carriers' codes of conduct forbid late texts). A
workspace may narrow the texting hours (say 09:00–20:00), never widen them.

The contact's zone is its own when it has one; else it is inferred from the phone number
with `phonenumbers.timezone`. A number that maps to several zones (a US toll-free or an
unknown area code, a country spanning zones) resolves deterministically: the workspace's
zone when it is one of them (a business mostly texts its neighbours), else the first of
them in alphabetical order. A number that maps to none falls back to the workspace's zone.
"""

from __future__ import annotations

from datetime import datetime, time

import phonenumbers
from phonenumbers import timezone as number_zones

from webapp.services.messaging.send_windows import next_allowed, parse_hhmm, zone

TEXTING_FROM = "08:00"  # the earliest a text may go out, local time
TEXTING_UNTIL = "21:00"  # the latest: from here until TEXTING_FROM is quiet
TEXT_CHANNELS = ("sms", "whatsapp")
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
UNKNOWN_ZONE = "Etc/Unknown"  # what phonenumbers answers for a number it cannot place


def zones_for_number(phone: str | None) -> tuple[str, ...]:
    """The zones `phone` (E.164) may be in, as phonenumbers knows them; () when unknown."""
    if not phone:
        return ()
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(
        z
        for z in number_zones.time_zones_for_number(number)
        if z != UNKNOWN_ZONE and zone(z) is not None
    )


def contact_zone(lead_timezone: str | None, phone: str | None, org_timezone: str | None) -> str:
    """The zone a contact's quiet hours are read in (see the module's note for the rule)."""
    if zone(lead_timezone) is not None:
        return lead_timezone  # type: ignore[return-value]
    candidates = zones_for_number(phone)
    if candidates:
        if org_timezone in candidates:
            return org_timezone  # type: ignore[return-value]
        return sorted(candidates)[0]
    return org_timezone if zone(org_timezone) is not None else "UTC"  # type: ignore[return-value]


def texting_hours(org) -> tuple[str, str]:
    """The workspace's texting hours (HH:MM, HH:MM), within the legal 08:00–21:00."""
    start = getattr(org, "texting_from", None) or TEXTING_FROM
    end = getattr(org, "texting_until", None) or TEXTING_UNTIL
    if check_texting_hours(start, end):
        return TEXTING_FROM, TEXTING_UNTIL  # a bad stored value never widens the hours
    return start, end


def check_texting_hours(start: str, end: str) -> str | None:
    """Why these texting hours are not allowed, or None when they are."""
    try:
        opens, closes = parse_hhmm(start), parse_hhmm(end)
    except (ValueError, TypeError):
        return "Enter times as HH:MM, e.g. 09:00."
    if opens < parse_hhmm(TEXTING_FROM):
        return f"Texts may not go out before {TEXTING_FROM}: choose {TEXTING_FROM} or later."
    if closes > parse_hhmm(TEXTING_UNTIL):
        return f"Texts may not go out after {TEXTING_UNTIL}: choose {TEXTING_UNTIL} or earlier."
    if opens >= closes:
        return "The texting hours must start before they end."
    return None


def held_until(at: datetime, tz: str, hours: tuple[str, str]) -> datetime | None:
    """When a text due `at` may go out in zone `tz`, or None when it may go now."""
    schedule = {"days": EVERY_DAY, "start": hours[0], "end": hours[1]}
    opens = next_allowed(at, schedule, tz)
    return None if opens == at.astimezone(opens.tzinfo) else opens


def quiet_until(lead, org, at: datetime) -> tuple[datetime, str] | None:
    """When a text to `lead` due `at` may go, and why it waits; None when it may go now."""
    tz = contact_zone(lead.timezone, lead.phone, org.timezone)
    hours = texting_hours(org)
    opens = held_until(at, tz, hours)
    return None if opens is None else (opens, hold_reason(hours[0], tz))


def hold_reason(opens_at: time | str, tz: str) -> str:
    """The words shown on a text that waits for the morning."""
    return f"Held until {opens_at} in the contact's time zone ({tz}): no texts at night."
