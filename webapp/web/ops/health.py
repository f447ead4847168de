"""Health: `/healthz` for machines, the workspace's health page and dashboard widget for
people, and the support view of every workspace. All read one service
(`webapp.services.ops.workspace_health`) plus the deployment checks."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp import MIGRATIONS_DIR
from webapp.core import clock
from webapp.core.extensions import csrf, db
from webapp.core.tenancy import storable_id
from webapp.models import HealthAlert, Organization
from webapp.services.ops import health_rows
from webapp.services.ops import workspace_health as wh
from webapp.services.ops.system_health import migration_heads, system_health
from webapp.web import htmx as hx
from webapp.web.context import load_membership, org_required

bp = Blueprint("health", __name__)
SUPPORT_PAGE_SIZE = 100
# Read the migration scripts' head once, when the app is built, not on the first poll.
bp.record_once(lambda _state: migration_heads(MIGRATIONS_DIR))


def _jobs():
    return current_app.extensions.get("jobs")


def _report():
    jobs = _jobs()
    return system_health(
        db.session,
        now=clock.now(),
        migrations_dir=MIGRATIONS_DIR,
        job_names=list(jobs.specs) if jobs else [],
    )


@bp.route("/healthz")
@csrf.exempt
def healthz():
    """The deployment only (database, its writes, migrations, scheduler, last job runs): a
    fixed handful of statements however many workspaces there are."""
    jobs = _jobs()
    report = system_health(
        db.session,
        now=clock.now(),
        migrations_dir=MIGRATIONS_DIR,
        job_names=list(jobs.specs) if jobs else [],
        probe_writes=True,
    )
    return jsonify(report.as_json()), 200 if report.healthy else 503


def _page(org: Organization, *, support_view: bool):
    now = clock.now()
    health = _health_of(org)
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
def page():
    return _page(g.org, support_view=False)


def _health_of(org: Organization) -> wh.WorkspaceHealth:
    """One workspace's health, computed once per request whoever asks (the layout, the
    dashboard's widget, the health page)."""
    # Kept on the request, not on `g`: an app context can outlive a request (tests, CLI).
    cache = request.environ.setdefault("autopilot.workspace_health", {})
    if org.id not in cache:
        cache[org.id] = wh.workspace_health(
            db.session, org.id, now=clock.now(), jobs=_jobs(), name=org.name
        )
    return cache[org.id]


@bp.route("/health/widget")
@org_required
def widget():
    return hx.partial("health/_widget.html", wh=_health_of(g.org))


@bp.app_template_global("workspace_health_now")
def workspace_health_now() -> wh.WorkspaceHealth | None:
    """The current workspace's health, for pages that include the widget (the dashboard)."""
    membership = load_membership() if current_user.is_authenticated else None
    if membership is None:
        return None
    return _health_of(membership.org)


def _support_only() -> None:
    # Not a support account: the page does not exist for you (as for any other workspace's data).
    if not current_user.is_support:
        abort(404)


@bp.route("/support/health")
@login_required
def support():
    _support_only()
    wanted = request.args.get("status", "")
    status = wanted if wanted in wh.RANK else ""
    page = health_rows.support_page(
        db.session,
        status=status,
        page_no=request.args.get("page", 1, type=int) or 1,
        size=SUPPORT_PAGE_SIZE,
    )
    return render_template(
        "health/support.html",
        page=page,
        rows=page.rows,
        counts=page.counts,
        total=page.total,
        shown=page.shown,
        status=status,
        page_no=page.page_no,
        pages=page.pages,
        first=(page.page_no - 1) * SUPPORT_PAGE_SIZE + 1,
        labels=wh.LABELS,
    )


@bp.route("/support/health/<int:org_id>")
@login_required
def support_workspace(org_id: int):
    _support_only()
    org = db.session.get(Organization, org_id) if storable_id(org_id) else None
    if org is None:
        abort(404)
    return _page(org, support_view=True)
