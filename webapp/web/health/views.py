"""Health: `/healthz` for machines, the workspace's health page and dashboard widget for
people, and the support view of every workspace. All read one service
(`webapp.services.workspace_health`) plus the deployment checks."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp import MIGRATIONS_DIR, clock
from webapp.extensions import csrf, db
from webapp.models import HealthAlert, Organization
from webapp.services import workspace_health as wh
from webapp.services.health import health_overview, system_health
from webapp.services.tenancy import storable_id
from webapp.web import htmx as hx
from webapp.web.context import load_membership, org_required

bp = Blueprint("health", __name__)
SUPPORT_PAGE_SIZE = 100


def _jobs():  # noqa: ANN202
    return current_app.extensions.get("jobs")


def _report():  # noqa: ANN202
    jobs = _jobs()
    return system_health(
        db.session,
        now=clock.now(),
        migrations_dir=MIGRATIONS_DIR,
        job_names=list(jobs.specs) if jobs else [],
    )


@bp.route("/healthz")
@csrf.exempt
def healthz():  # noqa: ANN201
    jobs = _jobs()
    report, counts = health_overview(
        db.session,
        now=clock.now(),
        migrations_dir=MIGRATIONS_DIR,
        jobs=jobs,
    )
    body = report.as_json()
    body["workspaces"] = counts
    return jsonify(body), 200 if report.healthy else 503


def _page(org: Organization, *, support_view: bool):  # noqa: ANN202
    now = clock.now()
    health = wh.workspace_health(db.session, org.id, now=now, jobs=_jobs())
    resolved = list(
        db.session.scalars(
            select(HealthAlert)
            .where(HealthAlert.org_id == org.id, HealthAlert.status == "resolved")
            .order_by(HealthAlert.resolved_at.desc())
            .limit(5)
        )
    )
    return render_template(
        "health/index.html",
        wh=health,
        report=_report(),
        org=org,
        now=now,
        resolved=resolved,
        support_view=support_view,
        is_support=current_user.is_support,
    )


@bp.route("/health")
@org_required
def page():  # noqa: ANN201
    return _page(g.org, support_view=False)


@bp.route("/health/widget")
@org_required
def widget():  # noqa: ANN201
    health = wh.workspace_health(db.session, g.org.id, now=clock.now(), jobs=_jobs())
    return hx.partial("health/_widget.html", wh=health)


@bp.app_template_global("workspace_health_now")
def workspace_health_now() -> wh.WorkspaceHealth | None:
    """The current workspace's health, for pages that include the widget (the dashboard)."""
    membership = load_membership() if current_user.is_authenticated else None
    if membership is None:
        return None
    return wh.workspace_health(db.session, membership.org_id, now=clock.now(), jobs=_jobs())


def _support_only() -> None:
    # Not a support account: the page does not exist for you (as for any other workspace's data).
    if not current_user.is_support:
        abort(404)


@bp.route("/support/health")
@login_required
def support():  # noqa: ANN201
    _support_only()
    healths = wh.all_workspaces_health(db.session, now=clock.now(), jobs=_jobs())
    counts = wh.status_counts(healths)
    wanted = request.args.get("status", "")
    shown = [h for h in healths if h.status == wanted] if wanted in wh.RANK else healths
    pages = max(1, -(-len(shown) // SUPPORT_PAGE_SIZE))
    page_no = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    start = (page_no - 1) * SUPPORT_PAGE_SIZE
    return render_template(
        "health/support.html",
        rows=shown[start : start + SUPPORT_PAGE_SIZE],
        counts=counts,
        total=len(healths),
        shown=len(shown),
        status=wanted if wanted in wh.RANK else "",
        page_no=page_no,
        pages=pages,
        first=start + 1,
        labels=wh.LABELS,
    )


@bp.route("/support/health/<int:org_id>")
@login_required
def support_workspace(org_id: int):  # noqa: ANN201
    _support_only()
    org = db.session.get(Organization, org_id) if storable_id(org_id) else None
    if org is None:
        abort(404)
    return _page(org, support_view=True)
