"""The dashboard: where the workspace stands, and what the autopilot did lately."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from webapp import MIGRATIONS_DIR, clock
from webapp.extensions import db
from webapp.services import activity as activity_service
from webapp.services import dashboard as dashboard_service
from webapp.services import health as health_service
from webapp.web.context import org_required

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@org_required
def index():  # noqa: ANN201
    now = clock.now()
    summary = dashboard_service.dashboard_summary(db.session, g.org, now)
    rows, _ = activity_service.list_activity(
        db.session, activity_service.ActivityFilter(org_ids=[g.org.id]), limit=8
    )
    report = health_service.system_health(db.session, now=now, migrations_dir=MIGRATIONS_DIR)
    return render_template("dashboard/index.html", summary=summary, recent=rows, health=report)
