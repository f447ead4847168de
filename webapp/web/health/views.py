"""`/healthz` for machines and the Health page for people: the same report."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from webapp import MIGRATIONS_DIR, clock
from webapp.extensions import csrf, db
from webapp.services.health import system_health
from webapp.web.context import org_required

bp = Blueprint("health", __name__)


def _report():  # noqa: ANN202
    jobs = current_app.extensions.get("jobs")
    return system_health(
        db.session, now=clock.now(), migrations_dir=MIGRATIONS_DIR,
        job_names=list(jobs.specs) if jobs else [],
    )


@bp.route("/healthz")
@csrf.exempt
def healthz():  # noqa: ANN201
    report = _report()
    return jsonify(report.as_json()), 200 if report.healthy else 503


@bp.route("/health")
@org_required
def page():  # noqa: ANN201
    return render_template("health/index.html", report=_report())
