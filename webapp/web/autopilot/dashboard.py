"""The dashboard: where the workspace stands, and what the autopilot did lately."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from flask import Blueprint, current_app, g, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from webapp import MIGRATIONS_DIR
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.activity import log as activity_service
from webapp.services.autopilot import channel_label
from webapp.services.autopilot import dashboard as dashboard_service
from webapp.services.ops import system_health as health_service
from webapp.web.context import org_required

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@org_required
def index():
    if current_user.is_support:  # support's home is every workspace's health, not its own
        return redirect(url_for("health.support"))
    now = clock.now()
    summary, trend = dashboard_service.dashboard(db.session, g.org, now)
    rows, _ = activity_service.list_activity(
        db.session, activity_service.ActivityFilter(org_ids=[g.org.id]), limit=8
    )
    report = health_service.system_health(db.session, now=now, migrations_dir=MIGRATIONS_DIR)
    return render_template(
        "dashboard/index.html",
        summary=summary,
        recent=rows,
        health=report,
        charts=charts_section(g.org.id, trend),
    )


CHARTS_KEPT = 512  # workspaces a worker keeps the charts of (a few KB each)


def charts_section(org_id: int, trend: dashboard_service.Trend) -> Markup:
    """The charts' HTML, rendered again only when the dashboard's figures give a new
    `trend` (they are kept per results stamp and minute): the weeks' table and the JSON
    block were a fifth of the page's template."""
    kept, lock = current_app.extensions.setdefault("dashboard_charts", (OrderedDict(), Lock()))
    with lock:
        drawn = kept.get(org_id)
        if drawn is not None and drawn[0] is trend:
            kept.move_to_end(org_id)
            return drawn[1]
    html = Markup(render_template("dashboard/_charts.html", charts=chart_data(trend)))
    with lock:
        kept[org_id] = (trend, html)  # the trend itself, held: compared by identity
        kept.move_to_end(org_id)
        while len(kept) > CHARTS_KEPT:
            kept.popitem(last=False)
    return html


def chart_data(trend: dashboard_service.Trend) -> dict:
    """The charts' JSON block: the service's figures as they are (amounts as strings, so
    no cent is lost), with week and channel labels. `spend` is in the shape reports.js draws
    (a stacked bar a channel)."""
    labels = [f"{monday.day} {monday:%b}" for monday in trend.weeks]
    labels[-1] = "This week"
    return {
        "day_labels": labels,
        "leads": trend.leads,
        "revenue": [str(amount) for amount in trend.revenue],
        "spend_total": [str(amount) for amount in trend.spend],
        "spend": [
            {"channel": key, "label": channel_label(key), "values": [str(v) for v in values]}
            for key, values in trend.channels.items()
        ],
    }
