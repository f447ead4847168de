"""Analytics pages: the reports and templates, a report's definition form, its page
(figures with the previous period, charts, a table per dimension), its CSV, deleting it."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import AnalyticsReport
from webapp.services import analytics
from webapp.web.analytics.forms import ReportForm
from webapp.web.context import load, org_required

bp = Blueprint("analytics", __name__)

HOWS = {k: m.how for k, m in analytics.METRICS.items()} | {
    k: d.how for k, d in analytics.DIMENSIONS.items()
}
FIELDS = ("name", "report_type", "schedule", "send_hour", "metrics", "dimensions", "channel")


@bp.route("/analytics")
@org_required
def index():
    return render_template(
        "analytics/index.html",
        reports=analytics.list_reports(db.session, g.org.id),
        templates=analytics.TEMPLATES,
    )


def _fill(form: ReportForm, values: dict) -> None:
    form.process(
        data={
            **{k: values.get(k) for k in FIELDS if k != "channel"},
            "channel": (values.get("filters") or {}).get("channel", ""),
            "recipients": "\n".join(values.get("recipients") or []),
        }
    )


def _save(form: ReportForm, report: AnalyticsReport | None):
    template = "analytics/edit.html"
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template(template, form=form, report=report, hows=HOWS), status
    fields = {k: getattr(form, k).data for k in FIELDS} | {"recipients": form.recipients.data}
    try:
        if report is None:
            report = analytics.create_report(
                db.session, g.org.id, fields, actor_id=current_user.id, now=clock.now()
            )
        else:
            analytics.update_report(
                db.session, report, fields, actor_id=current_user.id, now=clock.now()
            )
    except analytics.ReportInvalid as exc:
        db.session.rollback()
        target = getattr(form, exc.field, form.name)
        target.errors = [*target.errors, str(exc)]
        return render_template(template, form=form, report=report, hows=HOWS), 422
    db.session.commit()
    flash(f"Report {report.name} saved.", "success")
    return redirect(url_for("analytics.show", analytics_report_id=report.id), code=303)


@bp.route("/analytics/new", methods=["GET", "POST"])
@org_required
def new():
    form = ReportForm()
    if request.method == "GET":
        start = analytics.template_fields(request.args.get("template", ""))
        _fill(form, start or {"report_type": "sales", "schedule": "weekly", "send_hour": 7})
        form.recipients.data = current_user.email
    return _save(form, None)


@bp.route("/analytics/<int:analytics_report_id>/edit", methods=["GET", "POST"])
@org_required
def edit(analytics_report_id: int):
    report = load(AnalyticsReport, analytics_report_id)
    form = ReportForm()
    if request.method == "GET":
        _fill(form, {c: getattr(report, c) for c in (*FIELDS[:-1], "filters", "recipients")})
    return _save(form, report)


def _period(report: AnalyticsReport):
    tz = g.org.timezone or "UTC"
    latest = analytics.last_complete(report.schedule, clock.now(), tz)
    key = request.args.get("period")
    if not key:
        return latest, latest, tz
    chosen = analytics.parse_key(report.schedule, key)
    if chosen is None or chosen.start > latest.start:
        abort(404)
    return chosen, latest, tz


@bp.route("/analytics/<int:analytics_report_id>")
@org_required
def show(analytics_report_id: int):
    report = load(AnalyticsReport, analytics_report_id)
    period, latest, tz = _period(report)
    figures = analytics.figures(db.session, report, period, tz)
    after = analytics.period_containing(report.schedule, period.end + timedelta(days=1))
    return render_template(
        "analytics/show.html",
        report=report,
        period=period,
        figures=figures,
        cards=analytics.cards(figures),
        charts=analytics.chart_series(figures),
        metrics=analytics.METRICS,
        dimensions=analytics.DIMENSIONS,
        fmt=analytics.format_value,
        previous_key=period.previous().key,
        next_key=None if period == latest else after.key,
        runs=analytics.latest_runs(db.session, report),
    )


@bp.route("/analytics/<int:analytics_report_id>/export.csv")
@org_required
def export(analytics_report_id: int):
    report = load(AnalyticsReport, analytics_report_id)
    period, _latest, tz = _period(report)
    figures = analytics.figures(db.session, report, period, tz)
    name = f"analytics-{report.id}-{period.key}.csv"
    return Response(
        analytics.figures_csv(report.name, figures),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/analytics/<int:analytics_report_id>/delete", methods=["POST"])
@org_required
def delete(analytics_report_id: int):
    report = load(AnalyticsReport, analytics_report_id)
    name = report.name
    analytics.delete_report(db.session, report, actor_id=current_user.id, now=clock.now())
    db.session.commit()
    flash(f"Report {name} deleted.", "success")
    return redirect(url_for("analytics.index"), code=303)
