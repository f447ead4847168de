"""When a job runs: the APScheduler trigger, the schedule in words, and the period key.

The period key names the slot a run belongs to (`2026-11-22` for a daily job), so the
(job, period) unique row makes a slot run once however many processes tick. A slot starts
at its scheduled time, so a tick that the misfire grace lets run late (23:30 fired at
00:10) still counts for the slot it was scheduled in, not the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


@dataclass(frozen=True)
class EveryMinutes:
    """Every N minutes on the clock (N divides 60), or every hour at `at_minute` for N=60."""

    minutes: int
    at_minute: int = 0

    def __post_init__(self) -> None:
        if self.minutes != 60 and 60 % self.minutes:
            raise ValueError("minutes must divide 60, or be 60")

    def trigger(self) -> CronTrigger:
        if self.minutes == 60:
            return CronTrigger(minute=self.at_minute, timezone=UTC)
        return CronTrigger(minute=f"*/{self.minutes}", timezone=UTC)

    def describe(self) -> str:
        if self.minutes == 60:
            return f"Every hour at :{self.at_minute:02d}"
        return f"Every {self.minutes} minutes"

    def period(self, now: datetime) -> str:
        now = now.astimezone(UTC)
        if self.minutes == 60:
            slot = now.replace(minute=self.at_minute, second=0, microsecond=0)
            if slot > now:
                slot -= timedelta(hours=1)
        else:
            slot = now.replace(
                minute=now.minute - now.minute % self.minutes, second=0, microsecond=0
            )
        return slot.strftime("%Y-%m-%dT%H:%M")

    @property
    def misfire_grace_seconds(self) -> int:
        return max(60, self.minutes * 60 // 2)


@dataclass(frozen=True)
class Daily:
    hour: int
    minute: int = 0

    def trigger(self) -> CronTrigger:
        return CronTrigger(hour=self.hour, minute=self.minute, timezone=UTC)

    def describe(self) -> str:
        return f"Every day at {self.hour:02d}:{self.minute:02d} UTC"

    def period(self, now: datetime) -> str:
        now = now.astimezone(UTC)
        slot = now.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if slot > now:
            slot -= timedelta(days=1)
        return slot.strftime("%Y-%m-%d")

    misfire_grace_seconds = 3600


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    hour: int
    minute: int = 0

    def trigger(self) -> CronTrigger:
        return CronTrigger(
            day_of_week=DAYS[self.weekday], hour=self.hour, minute=self.minute, timezone=UTC
        )

    def describe(self) -> str:
        return f"{DAY_NAMES[self.weekday]} at {self.hour:02d}:{self.minute:02d} UTC"

    def period(self, now: datetime) -> str:
        now = now.astimezone(UTC)
        day = now - timedelta(days=(now.weekday() - self.weekday) % 7)
        slot = day.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if slot > now:
            slot -= timedelta(days=7)
        year, week, _ = slot.isocalendar()
        return f"{year}-W{week:02d}"

    misfire_grace_seconds = 3600


Schedule = EveryMinutes | Daily | Weekly


def next_run(schedule: Schedule, now: datetime) -> datetime | None:
    return schedule.trigger().get_next_fire_time(None, now)
