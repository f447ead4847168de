"""Campaigns: the auto-managed campaigns with this month's results, a campaign's tasks,
metrics and budget history, the metrics upload, "Run autopilot now" and the dry run."""

from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.routing import BuildError
from wtforms import SelectField

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, BudgetChange, Campaign, CampaignTask, JobRun
from webapp.services import ads
from webapp.services.autopilot import budget_undo, optimizer_runs
from webapp.services.autopilot import campaigns as campaign_service
from webapp.services.reporting import ad_csv
from webapp.services.reporting import ad_results as metrics_service
from webapp.services.reporting.ad_values import HEADER_ALIASES
from webapp.web import htmx as hx
from webapp.web.context import load, org_required
from webapp.web.forms import ConfirmForm
from webapp.web.query import id_arg

bp = Blueprint("campaigns", __name__)

JOB = "orchestrator"


def _config() -> AutopilotConfig | None:
    return db.session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == g.org.id)
    ).one_or_none()


def setup_url() -> str:
    try:
        return url_for("autopilot.setup")
    except BuildError:
        return "/autopilot"


def _running_run() -> JobRun | None:
    return db.session.scalars(
        select(JobRun)
        .where(JobRun.job == JOB, JobRun.org_id == g.org.id, JobRun.status == "running")
        .order_by(JobRun.id.desc())
        .limit(1)
    ).first()


def _list_context() -> dict:
    now = clock.now()
    config = _config()
    rows = campaign_service.list_campaigns(db.session, g.org, now=now)
    return {
        "config": config,
        "rows": rows,
        "total_budget": sum((r.campaign.monthly_budget for r in rows), 0),
        "total_spend": sum((r.spend for r in rows), 0),
        "month": campaign_service.local_today(now, g.org.timezone).strftime("%B %Y"),
        "setup_url": setup_url(),
        "can_change": not current_user.is_support,
        "label": campaign_service.channel_label,
    }


@bp.route("/campaigns")
@org_required
def index():
    return hx.page_or_partial(
        "campaigns/index.html", "campaigns/_table.html", **_list_context(), run=_running_run()
    )


@bp.route("/campaigns/<int:campaign_id>")
@org_required
def show(campaign_id: int):
    campaign = load(Campaign, campaign_id)
    now = clock.now()
    today = campaign_service.local_today(now, g.org.timezone)
    summary = next(
        (
            r
            for r in campaign_service.list_campaigns(db.session, g.org, now=now)
            if r.campaign.id == campaign.id
        ),
        None,
    )
    metrics = campaign_service.daily_metrics(db.session, campaign, today=today, days=30)
    return hx.page_or_partial(
        "campaigns/show.html",
        "campaigns/_metrics.html",
        campaign=campaign,
        summary=summary,
        metrics=metrics,
        history=campaign_service.budget_history(db.session, campaign),
        undoable={c.id for c in budget_undo.latest_move(db.session, g.org.id)},
        label=campaign_service.channel_label,
        can_change=not current_user.is_support,
        month=today.strftime("%B %Y"),
        ads_panel=ads.panel(db.session, g.org, campaign),
    )


@bp.route("/campaigns/tasks/<int:task_id>/toggle", methods=["POST"])
@org_required
def toggle_task(task_id: int):
    task = load(CampaignTask, task_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    campaign_service.toggle_task(
        db.session, task, actor_id=current_user.id, actor_name=current_user.name, now=clock.now()
    )
    db.session.commit()
    if not hx.is_partial():
        return hx.redirect_to(url_for("campaigns.show", campaign_id=task.campaign_id))
    response = hx.partial("campaigns/_task.html", task=task, can_change=True)
    return hx.trigger(response, "activity-changed")


@bp.route("/campaigns/moves/<int:change_id>/undo", methods=["POST"])
@org_required
def undo_move(change_id: int):
    if current_user.is_support or not ConfirmForm().validate_on_submit():
        abort(400)
    change = load(BudgetChange, change_id)
    try:
        budget_undo.undo_latest_move(
            db.session, g.org, change.id, actor_id=current_user.id, now=clock.now()
        )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("The move is undone: the budgets are back to what they were.", "success")
    return hx.redirect_to(url_for("campaigns.show", campaign_id=change.campaign_id))


# --- the autopilot: dry run and run now ----------------------------------------------------------


@bp.route("/campaigns/preview")
@org_required
def preview():
    config = _config()
    plan = optimizer_runs.preview(db.session, g.org, now=clock.now()) if config else None
    return hx.page_or_partial(
        "campaigns/preview.html",
        "campaigns/_preview.html",
        config=config,
        plan=plan,
        setup_url=setup_url(),
        label=campaign_service.channel_label,
    )


@bp.route("/campaigns/run", methods=["POST"])
@org_required
def run_now():
    service = current_app.extensions.get("jobs")
    if service is None:
        abort(503, "Scheduled jobs are not installed in this process.")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    org_id, actor_id = g.org.id, current_user.id
    # End this request's transaction first: on SQLite it holds the write lock the job needs,
    # and the answer below is built from the outcome, not from a snapshot older than the run.
    db.session.commit()
    outcome = service.start(JOB, trigger="manual", org_id=org_id, actor_id=actor_id)
    if outcome.status == "running" and outcome.run_id:
        return hx.partial("campaigns/_run.html", run_id=outcome.run_id, state="running")
    if outcome.status == "locked":
        notice = "The autopilot is already running (the daily run, or a run for another workspace). Try again in a minute."
    else:
        notice = outcome.message or f"The run {outcome.status}."
    return hx.partial("campaigns/_run.html", state="refused", notice=notice)


@bp.route("/campaigns/runs/<int:run_id>")
@org_required
def run_status(run_id: int):
    run = load(JobRun, run_id)
    if run.job != JOB:
        abort(404)
    if run.status == "running":
        return hx.partial("campaigns/_run.html", run_id=run.id, state="running", run=run)
    response = hx.partial(
        "campaigns/_run.html", state=run.status, run=run, lines=describe_run(run.summary or {})
    )
    return hx.trigger(response, "campaigns-changed", "activity-changed")


def describe_run(summary: dict) -> list[str]:
    """The run's summary in a few plain sentences for the person who pressed the button."""
    lines = []
    if summary.get("not_active"):
        return [
            "The autopilot of this workspace is not active, so nothing was done. Activate it in the setup."
        ]
    if summary.get("campaigns_created"):
        lines.append(
            f"Created {summary['campaigns_created']} campaigns from your strategy, each with its budget and tasks."
        )
    if summary.get("workspaces_without_strategy"):
        lines.append(
            "The strategy has no channels with a budget share, so no campaigns were created. Re-run the setup."
        )
    if summary.get("workspaces_replanned"):
        lines.append(
            "Followed your new plan: "
            f"{summary.get('campaigns_changed_by_new_plan', 0)} campaign budgets changed, "
            f"{summary.get('campaigns_created_by_new_plan', 0)} campaigns added, "
            f"{summary.get('campaigns_paused_by_new_plan', 0)} paused."
        )
    if summary.get("workspaces_skipped"):
        lines.append(
            "Budgets were already checked today (or the campaigns are new); they change at most once a day."
        )
    if summary.get("workspaces_optimized"):
        changes = summary.get("budget_changes", 0)
        lines.append(
            f"Checked the budgets: {changes} change{'s' if changes != 1 else ''}"
            f" ({summary.get('budget_cuts', 0)} cut, {summary.get('budget_raises', 0)} raised)."
            if changes
            else "Checked the budgets: no change was needed."
        )
    if summary.get("leads_linked"):
        lines.append(f"Linked {summary['leads_linked']} recent leads to their campaigns.")
    return lines or ["Nothing needed doing."]


# --- metrics upload -----------------------------------------------------------------------------


class UploadForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file exported from your ad platform or spreadsheet.")
        ],
    )
    campaign = SelectField("Campaign", choices=[], default="")


def _upload_form() -> UploadForm:
    form = UploadForm()
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.org_id == g.org.id).order_by(Campaign.id)
    ).all()
    form.campaign.choices = [("", "Use the file's campaign column")] + [
        (str(c.id), c.name) for c in campaigns
    ]
    if request.method == "GET" and id_arg("campaign") is not None:
        form.campaign.data = str(id_arg("campaign"))
    return form


@bp.route("/campaigns/metrics/upload", methods=["GET", "POST"])
@org_required
def upload():
    form = _upload_form()
    report, file_error, status = None, None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            try:
                report = metrics_service.import_csv(
                    db.session,
                    g.org,
                    upload.read(ad_csv.MAX_BYTES + 1),
                    actor_id=current_user.id,
                    actor_name=current_user.name,
                    now=clock.now(),
                    campaign_id=int(form.campaign.data) if form.campaign.data else None,
                    filename=(upload.filename or "")[:120],
                )
                db.session.commit()
            except ad_csv.MetricsError as exc:
                db.session.rollback()
                file_error, status = str(exc), 422
        else:
            status = 422
    return hx.page_or_partial(
        "campaigns/upload.html",
        "campaigns/_upload.html",
        form=form,
        report=report,
        file_error=file_error,
        has_campaigns=len(form.campaign.choices) > 1,
        campaign_names=[name for value, name in form.campaign.choices if value],
        aliases=HEADER_ALIASES,
    ), status


@bp.route("/campaigns/metrics/template.csv")
@org_required
def template_csv() -> Response:
    today = campaign_service.local_today(clock.now(), g.org.timezone)
    names = db.session.scalars(
        select(Campaign.name)
        .where(Campaign.org_id == g.org.id, Campaign.kind == "auto")
        .order_by(Campaign.id)
    ).all() or ["Meta ads"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["date", "campaign", "impressions", "clicks", "spend", "leads", "conversions", "revenue"]
    )
    for name in names:
        writer.writerow([today.isoformat(), name, 0, 0, "0.00", 0, 0, "0.00"])
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=campaign-results-template.csv"
    return response
