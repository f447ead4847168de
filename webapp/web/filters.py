"""Template filters: times in the viewer's zone, durations in words, SMS sizes.

One rule for times on screens: the viewer's zone (their workspace's; support's own
workspace's when support reads other workspaces), and the footer says which
(`viewer_zone`). A row never brings its own workspace's zone along.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

from webapp.core.currency import from_minor
from webapp.services.activity import error_words, kind_label, plain
from webapp.services.messaging import measure_sms
from webapp.services.metrics import is_loss
from webapp.services.provisioning import step_title
from webapp.web.context import load_membership


def viewer_zone() -> str:
    """The signed-in viewer's zone: their current workspace's, else UTC."""
    membership = load_membership()
    return membership.org.timezone if membership is not None else "UTC"


def localtime(value: datetime | None, tz: str | None = None) -> str:
    """'22 Nov 2026, 14:05' in the viewer's zone, or in `tz` when a page shows someone
    else's clock on purpose (a contact's, in the workflow simulator)."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(tz or viewer_zone()))
    return local.strftime("%-d %b %Y, %H:%M")


def time_tag(value: datetime) -> Markup:
    """`<time datetime="…">22 Nov 2026, 14:05</time>`: the moment, shown in the viewer's zone."""
    return Markup(f'<time datetime="{value.isoformat()}">{escape(localtime(value))}</time>')


def score_title(reasons: list[dict]) -> Markup:
    """A score's reasons as a tooltip: one "+25 Email at a business domain" a line."""
    return Markup("&#10;".join(f"{int(r['points']):+d} {escape(r['reason'])}" for r in reasons))


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


def minor_money(amount: int | None, currency: str) -> str:
    """An amount in minor units as a person reads it, with its code: "12.50 USD", "1500 JPY"."""
    return f"{from_minor(amount or 0, currency)} {currency}"


def register_filters(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_global(viewer_zone, "viewer_zone")
    app.add_template_filter(time_tag, "time_tag")
    app.add_template_filter(score_title, "score_title")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(minor_money, "minor_money")
    app.add_template_global(is_loss, "is_loss")  # an ROI under 1×: never shown in green
    app.add_template_filter(measure_sms, "sms_size")  # segments as carriers count them
    # Plain words on screens (services/activity/words.py); raw values go under "Technical details".
    app.add_template_filter(plain, "plain")
    app.add_template_filter(kind_label, "kind_label")
    app.add_template_filter(error_words, "error_words")
    app.add_template_filter(step_title, "step_title")
