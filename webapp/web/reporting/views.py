"""Weekly reports: the latest report with its charts, the history, and "Generate report now"."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.core.extensions import db
from webapp.models import JobRun, WeeklyReport
from webapp.services.reporting import display
from webapp.services.reporting import reports as report_service
from webapp.web import htmx as hx
from webapp.web.context import load, org_required
from webapp.web.forms import ConfirmForm
from webapp.web.query import page_arg

bp = Blueprint("reports", __name__)

JOB = "weekly_report"


def _page_number() -> int:
    return page_arg()


def _report_context(report: WeeklyReport) -> dict:
    return {
        "report": report,
        "dates": display.week_label(report.week_start, report.week_end),
        "cards": display.headline_cards(report),
        "charts": display.chart_data(report),
        "channel_label": report_service.channel_label,
    }


def _running_run() -> JobRun | None:
    """This workspace's report run still in progress, if any (the button then shows progress)."""
    return db.session.scalars(
        select(JobRun)
        .where(JobRun.job == JOB, JobRun.org_id == g.org.id, JobRun.status == "running")
        .order_by(JobRun.id.desc())
        .limit(1)
    ).first()


def _history_context() -> dict:
    rows, pages = report_service.report_history(db.session, g.org.id, _page_number())
    page = min(_page_number(), pages)
    return {
        "history": rows,
        "page_no": page,
        "pages": pages,
        "week_label": display.week_label,
        "channel_label": report_service.channel_label,
    }


@bp.route("/reports")
@org_required
def index():
    latest = report_service.latest_report(db.session, g.org.id)
    context = {
        **_history_context(),
        "latest": latest,
        "run": _running_run(),
        "can_generate": not current_user.is_support,
    }
    if latest is not None:
        context.update(_report_context(latest))
    return hx.page_or_partial("reports/index.html", "reports/_history.html", **context)


@bp.route("/reports/<int:report_id>")
@org_required
def show(report_id: int):
    report = load(WeeklyReport, report_id)
    return hx.page_or_partial(
        "reports/show.html",
        "reports/_report.html",
        previous=report_service.previous_report(db.session, report),
        **_report_context(report),
    )


@bp.route("/reports/generate", methods=["POST"])
@org_required
def generate():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service = current_app.extensions.get("jobs")
    if service is None:
        abort(503, "Scheduled jobs are not installed in this process.")
    org_id, user_id = g.org.id, current_user.id  # read before the commit expires them
    # End this request's transaction first: on SQLite it holds the write lock the job needs.
    # Nothing may read between here and start(): a new read would pin a snapshot older
    # than the run row the job is about to commit.
    db.session.commit()
    outcome = service.start(JOB, trigger="manual", org_id=org_id, actor_id=user_id)
    run = db.session.get(JobRun, outcome.run_id) if outcome.run_id else None
    if not hx.is_partial():
        if outcome.status == "locked":
            flash("A report run is already in progress. Try again in a minute.", "info")
        elif outcome.status == "failed":
            flash(f"The report could not be generated: {outcome.message}", "error")
        else:
            flash(
                "Generating the report: it appears here when it is ready (reload in a moment).",
                "info",
            )
        return redirect(url_for("reports.index"), code=303)
    return _status(run, outcome.status, outcome.message)


@bp.route("/reports/runs/<int:run_id>")
@org_required
def run_status(run_id: int):
    run = load(JobRun, run_id)
    if run.job != JOB:
        abort(404)
    if not hx.is_partial():
        return redirect(_report_url(run) or url_for("reports.index"))
    return _status(run, run.status, run.error or "")


def _report_url(run: JobRun) -> str | None:
    ids = (run.summary or {}).get("report_ids") or []
    return url_for("reports.show", report_id=ids[0]) if run.status == "succeeded" and ids else None


def _status(run: JobRun | None, status: str, message: str):
    """The generate panel: polling while running, the new report when done, else why not."""
    if run is not None and run.status == "succeeded":
        flash("The report is ready.", "success")
        return hx.redirect_to(_report_url(run) or url_for("reports.index"))
    notice = None
    if status == "locked":
        notice = "A report run is already in progress (perhaps the Monday run for every workspace). Try again in a minute."
    elif status == "failed":
        notice = f"The report could not be generated: {message or 'see the scheduler page'}."
    elif run is None:
        notice = "Started. Reload this page in a moment to see the report."
    return hx.partial(
        "reports/_generate.html",
        run=run if status == "running" else None,
        notice=notice,
        can_generate=True,
    )
