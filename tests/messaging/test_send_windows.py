"""Send windows: local wall-clock windows per zone, waiting for the next opening, DST-correct."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.services.messaging.send_windows import describe, is_open, next_allowed, schedule_zone

WEEKDAYS_9_18 = {
    "days": [0, 1, 2, 3, 4],
    "start": "09:00",
    "end": "18:00",
    "timezone_mode": "workspace",
}
LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def test_it_sends_a_friday_1759_message_at_once():
    due = local(LONDON, 2026, 11, 27, 17, 59)  # a Friday
    assert next_allowed(due, WEEKDAYS_9_18, LONDON) == due.astimezone(UTC)


def test_it_holds_a_friday_evening_message_until_monday_morning():
    for due in (
        local(LONDON, 2026, 11, 27, 18, 0),
        local(LONDON, 2026, 11, 27, 17, 59) + timedelta(minutes=2),
    ):
        assert next_allowed(due, WEEKDAYS_9_18, LONDON) == local(
            LONDON, 2026, 11, 30, 9, 0
        ).astimezone(UTC)


def test_it_waits_for_the_window_to_open_and_skips_the_weekend():
    assert next_allowed(local(LONDON, 2026, 11, 24, 6, 30), WEEKDAYS_9_18, LONDON) == local(
        LONDON, 2026, 11, 24, 9, 0
    )
    assert next_allowed(local(LONDON, 2026, 11, 28, 12, 0), WEEKDAYS_9_18, LONDON) == local(
        LONDON, 2026, 11, 30, 9, 0
    )
    weekends = {**WEEKDAYS_9_18, "days": [5, 6]}
    assert next_allowed(local(LONDON, 2026, 11, 24, 12, 0), weekends, LONDON) == local(
        LONDON, 2026, 11, 28, 9, 0
    )


def test_it_returns_utc():
    result = next_allowed(local(NEW_YORK, 2026, 11, 24, 12, 0), WEEKDAYS_9_18, NEW_YORK)
    assert result.tzinfo is UTC and result == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "friday", "monday", "before", "after"),
    [
        # Europe/London springs forward on Sunday 29 March 2026 (GMT → BST) ...
        (LONDON, (2026, 3, 27), (2026, 3, 30), 9, 8),
        # ... and falls back on Sunday 25 October 2026 (BST → GMT).
        (LONDON, (2026, 10, 23), (2026, 10, 26), 8, 9),
        # America/New_York: Sunday 8 March 2026 (EST → EDT) and Sunday 1 November 2026 (EDT → EST).
        (NEW_YORK, (2026, 3, 6), (2026, 3, 9), 14, 13),
        (NEW_YORK, (2026, 10, 30), (2026, 11, 2), 13, 14),
    ],
)
def test_it_keeps_the_local_opening_hour_across_a_dst_change(zone, friday, monday, before, after):
    # A message due on Friday evening opens at 09:00 local on Monday, whatever the offset did.
    due = local(zone, *friday, 20, 0)
    opened = next_allowed(due, WEEKDAYS_9_18, zone)
    assert opened == datetime(*monday, after, 0, tzinfo=UTC)
    assert opened.astimezone(ZoneInfo(zone)).hour == 9
    assert next_allowed(local(zone, *friday, 8, 0), WEEKDAYS_9_18, zone) == datetime(
        *friday, before, 0, tzinfo=UTC
    )


def test_it_moves_a_window_start_in_the_dst_gap_to_the_first_valid_instant():
    sunday_night = {"days": [6], "start": "01:30", "end": "05:00"}
    # London, 29 March 2026: 01:00 GMT jumps to 02:00 BST, so 01:30 does not exist.
    due = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert next_allowed(due, sunday_night, LONDON) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    # New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT.
    gap = {"days": [6], "start": "02:15", "end": "05:00"}
    assert next_allowed(datetime(2026, 3, 8, 5, 0, tzinfo=UTC), gap, NEW_YORK) == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC
    )


def test_it_opens_an_ambiguous_start_at_its_first_occurrence():
    # London, 25 October 2026: 01:00–02:00 happens twice; 01:30 opens at the first (BST) one.
    window = {"days": [6], "start": "01:30", "end": "05:00"}
    assert next_allowed(datetime(2026, 10, 24, 23, 0, tzinfo=UTC), window, LONDON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_it_reads_the_window_in_the_contacts_own_zone_when_asked():
    per_contact = {**WEEKDAYS_9_18, "timezone_mode": "contact"}
    due = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Monday: 16:00 in London, 08:00 in Los Angeles
    assert schedule_zone(per_contact, LONDON, "America/Los_Angeles") == "America/Los_Angeles"
    assert next_allowed(
        due, per_contact, schedule_zone(per_contact, LONDON, "America/Los_Angeles")
    ) == (datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    # Unknown or missing contact zone: the workspace's.
    assert schedule_zone(per_contact, LONDON, None) == LONDON
    assert schedule_zone(per_contact, LONDON, "Mars/Olympus") == LONDON
    # Workspace mode ignores the contact's zone; an explicit schedule zone wins over the workspace's.
    assert schedule_zone(WEEKDAYS_9_18, LONDON, "America/Los_Angeles") == LONDON
    assert schedule_zone({**WEEKDAYS_9_18, "timezone": "Asia/Tokyo"}, LONDON, None) == "Asia/Tokyo"
    assert next_allowed(due, WEEKDAYS_9_18, LONDON) == due


def test_it_sends_at_once_without_a_schedule():
    due = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert next_allowed(due, None, LONDON) == due
    assert next_allowed(due, {"days": []}, LONDON) == due
    assert is_open(due, None, LONDON)
    assert not is_open(due, WEEKDAYS_9_18, LONDON)


def test_it_describes_a_schedule_in_words():
    assert describe(WEEKDAYS_9_18) == "Mon–Fri, 09:00–18:00 (workspace time zone)"
    assert describe({**WEEKDAYS_9_18, "days": [0, 2], "timezone_mode": "contact"}).startswith(
        "Mon, Wed, 09:00–18:00"
    )
