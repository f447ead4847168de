"""The scheduler page (cron monitor): each job, its schedule, last and recent runs, Run now."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.ops import job_history as scheduler_service
from webapp.web import htmx as hx
from webapp.web.context import all_workspaces, org_required, visible_org_ids
from webapp.web.forms import ConfirmForm
from webapp.web.query import id_arg

bp = Blueprint("scheduler", __name__)


def _service():
    service = current_app.extensions.get("jobs")
    if service is None:
        abort(503, "Scheduled jobs are not installed in this process.")
    return service


def _scope() -> list[int] | None:
    scope = visible_org_ids()
    if scope is None and id_arg("org") is not None:
        scope = [id_arg("org")]
    return scope


def _row_context(name: str) -> dict:
    service = _service()
    if name not in service.specs:
        abort(404)
    now = clock.now()
    scope = _scope()
    runs = scheduler_service.recent_runs(db.session, name, scope, limit=10)
    return {
        "job": service.specs[name],
        "schedule": service.describe(name),
        "next_run": service.next_run(name, now),
        "last": runs[0] if runs else None,
        "runs": runs,
        "now": now,
        "can_run": not current_user.is_support
        and (service.specs[name].per_org or g.membership.role == "owner"),
        "scope_note": "for this workspace"
        if service.specs[name].per_org
        else "for every workspace",
        "confirm": ConfirmForm(),
    }


@bp.route("/scheduler")
@org_required
def index():
    service = _service()
    rows = [_row_context(name) for name in service.specs]
    nodes = scheduler_service.live_nodes(db.session, now=clock.now())
    workspaces = all_workspaces() if current_user.is_support else []
    return hx.page_or_partial(
        "scheduler/index.html",
        "scheduler/_table.html",
        rows=rows,
        nodes=nodes,
        workspaces=workspaces,
        selected_org=request.args.get("org", ""),
    )


@bp.route("/scheduler/jobs/<job_name>")
@org_required
def row(job_name: str):
    return hx.partial("scheduler/_row.html", **_row_context(job_name))


@bp.route("/scheduler/jobs/<job_name>/run", methods=["POST"])
@org_required
def run_now(job_name: str):
    service = _service()
    if job_name not in service.specs:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    spec = service.specs[job_name]
    # A person runs a per-workspace job for their own workspace only; deployment-wide jobs
    # (housekeeping) touch every workspace, so only owners may start them.
    if not spec.per_org and g.membership.role != "owner":
        abort(403, "Only an owner can run this job.")
    org_id = g.org.id if spec.per_org else None
    actor_id = current_user.id
    # End this request's transaction first: on SQLite it holds the write lock the job needs.
    db.session.commit()
    outcome = service.start(job_name, trigger="manual", actor_id=actor_id, org_id=org_id)
    db.session.commit()  # drop any snapshot older than the job's run row
    context = _row_context(job_name)
    context["notice"] = {
        "running": "Started. This row updates when it finishes.",
        "locked": "Already running in another process; this row updates when it finishes.",
        "succeeded": "Finished.",
        "failed": "Failed: see the error below.",
    }.get(outcome.status, outcome.message)
    g.run_outcome = outcome
    return hx.partial("scheduler/_row.html", **context)
