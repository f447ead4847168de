"""Template filters: times in the reader's workspace zone, durations in words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g


def localtime(value: datetime | None, tz: str | None = None) -> str:
    """'22 Nov 2026, 14:05' in `tz`, else the current workspace's zone, else UTC."""
    if value is None:
        return "—"
    zone = tz or (g.org.timezone if "org" in g else "UTC")
    local = value.astimezone(ZoneInfo(zone))
    return local.strftime("%-d %b %Y, %H:%M")


def duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s"


def register_filters(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(duration, "duration")
