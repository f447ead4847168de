"""Template filters: times in the viewer's zone, durations in words, SMS sizes.

One rule for times on screens: the viewer's zone (their workspace's; support's own
workspace's when support reads other workspaces), and the footer says which
(`viewer_zone`). A row never brings its own workspace's zone along.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from webapp.services.messaging import measure_sms
from webapp.services.metrics import is_loss
from webapp.web.context import load_membership


def viewer_zone() -> str:
    """The signed-in viewer's zone: their current workspace's, else UTC."""
    membership = load_membership() if current_user.is_authenticated else None
    return membership.org.timezone if membership is not None else "UTC"


def localtime(value: datetime | None, tz: str | None = None) -> str:
    """'22 Nov 2026, 14:05' in the viewer's zone, or in `tz` when a page shows someone
    else's clock on purpose (a contact's, in the workflow simulator)."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(tz or viewer_zone()))
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
    app.add_template_global(viewer_zone, "viewer_zone")
    app.add_template_filter(duration, "duration")
    app.add_template_global(is_loss, "is_loss")  # an ROI under 1×: never shown in green
    app.add_template_filter(measure_sms, "sms_size")  # segments as carriers count them
