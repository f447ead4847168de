"""Automation: the list of sequences and the sequence builder (name, schedule, activate, pause
and finish). The step views and preview live in `step_views.py`, the Automation tab in
`jobs_tab.py`, the outbox in `outbox.py`; their routes join this blueprint."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import Campaign
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.messaging import reach, sequence_lifecycle, sequences, templating
from webapp.services.messaging.send_windows import DEFAULT_SCHEDULE
from webapp.web import htmx as hx
from webapp.web.context import load, org_required
from webapp.web.forms import ConfirmForm
from webapp.web.messaging.forms import DAY_CHOICES, SequenceForm

bp = Blueprint("automation", __name__)


def can_change() -> bool:
    return not current_user.is_support


def load_sequence(campaign_id: int) -> Campaign:
    """The current workspace's sequence campaign with this id, or 404."""
    campaign = load(Campaign, campaign_id)
    if campaign.kind != "sequence":
        abort(404)
    return campaign


def sequence_steps(campaign: Campaign) -> list[SequenceStep]:
    return sequences.steps_of(db.session, campaign)


def field_error(form, exc: DomainError) -> str | None:
    """Put a service's refusal under the field it names; returns it when no field fits."""
    name = getattr(exc, "field", None)
    field = form._fields.get(name) if name else None
    if field is None:
        return str(exc)
    field.errors = [*field.errors, str(exc)]
    return None


def require_change() -> None:
    """Writes need a valid CSRF token (support is refused earlier, in `register_web`)."""
    if not ConfirmForm().validate_on_submit():
        abort(400, "Your form expired. Reload the page and try again.")


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SequenceRow:
    campaign: Campaign
    steps: int
    enrolled: int
    sent: int
    failed: int

    @property
    def success_rate(self) -> float | None:
        finished = self.sent + self.failed
        return self.sent / finished if finished else None


def _counts(column, *where) -> dict[int, int]:
    rows = db.session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return {campaign_id: n for campaign_id, n in rows}


def sequence_rows(org_id: int) -> list[SequenceRow]:
    """Each sequence with its steps, real (non-test) enrolments, and sent/failed messages."""
    campaigns = sequences.list_sequences(db.session, org_id)
    if not campaigns:
        return []
    steps = _counts(SequenceStep.campaign_id, SequenceStep.org_id == org_id)
    enrolled = _counts(
        Enrollment.campaign_id, Enrollment.org_id == org_id, Enrollment.test_mode.is_(False)
    )
    sent = _counts(
        Send.campaign_id,
        Send.org_id == org_id,
        Send.test_mode.is_(False),
        Send.status.in_(("sent", "delivered")),
    )
    failed = _counts(
        Send.campaign_id, Send.org_id == org_id, Send.test_mode.is_(False), Send.status == "failed"
    )
    return [
        SequenceRow(
            c, steps.get(c.id, 0), enrolled.get(c.id, 0), sent.get(c.id, 0), failed.get(c.id, 0)
        )
        for c in campaigns
    ]


@bp.route("/automation")
@org_required
def index():
    return hx.page_or_partial(
        "automation/index.html",
        "automation/index.html",
        rows=sequence_rows(g.org.id),
        can_change=can_change(),
    )


# --- name and schedule ------------------------------------------------------------------------


def _form_from(schedule: dict | None, name: str = "") -> SequenceForm:
    """A form showing a stored schedule (on GET), or the posted data (on POST)."""
    if request.method == "POST":
        return SequenceForm()
    from datetime import time

    s = {**DEFAULT_SCHEDULE, **(schedule or {})}
    hours = [time.fromisoformat(s["start"]), time.fromisoformat(s["end"])]
    return SequenceForm(
        name=name,
        days=list(s["days"]),
        start=hours[0],
        end=hours[1],
        timezone_mode=s.get("timezone_mode") or "workspace",
    )


def _schedule_words(schedule: dict | None) -> dict:
    s = {**DEFAULT_SCHEDULE, **(schedule or {})}
    names = dict(DAY_CHOICES)
    zone = g.org.timezone
    return {
        "days": ", ".join(names[d] for d in sorted(s["days"])) or "none",
        "hours": f"{s['start']}–{s['end']}",
        "zone": f"each contact's own where known (otherwise {zone})"
        if s.get("timezone_mode") == "contact"
        else f"the workspace's ({zone})",
    }


@bp.route("/automation/new", methods=["GET", "POST"])
@org_required
def new():
    if not can_change():
        abort(403)
    form = _form_from(None)
    context = {
        "action": url_for("automation.new"),
        "submit_label": "Create and add messages",
        "cancel_url": url_for("automation.index"),
    }
    if request.method == "POST":
        error = None
        if form.validate_on_submit():
            try:
                campaign = sequences.create_sequence(
                    db.session,
                    g.org.id,
                    name=form.name.data.strip(),
                    schedule=form.schedule(),
                    actor_id=current_user.id,
                    now=clock.now(),
                )
            except DomainError as exc:
                db.session.rollback()
                error = field_error(form, exc)
            else:
                db.session.commit()
                flash("Sequence created. Now write its messages.", "success")
                return hx.redirect_to(url_for("automation.edit", campaign_id=campaign.id))
        return hx.page_or_partial(
            "automation/new.html",
            "automation/_sequence_form.html",
            form=form,
            schedule_error=error,
            **context,
        ), 422
    return hx.page_or_partial(
        "automation/new.html", "automation/_sequence_form.html", form=form, **context
    )


def _builder(campaign: Campaign, form: SequenceForm, **extra) -> dict:
    return {
        "campaign": campaign,
        "form": form,
        "steps": sequence_steps(campaign),
        "can_change": can_change(),
        "variables": templating.VARIABLES,
        "schedule_words": _schedule_words(campaign.settings.get("schedule")),
        "action": url_for("automation.edit", campaign_id=campaign.id),
        "submit_label": "Save name and schedule",
        **extra,
    }


@bp.route("/automation/<int:campaign_id>/edit", methods=["GET", "POST"])
@org_required
def edit(campaign_id: int):
    campaign = load_sequence(campaign_id)
    form = _form_from(campaign.settings.get("schedule"), campaign.name)
    if request.method == "GET":
        return hx.page_or_partial(
            "automation/edit.html", "automation/_sequence_form.html", **_builder(campaign, form)
        )
    if form.validate_on_submit():
        try:
            sequences.update_sequence(
                db.session,
                campaign,
                name=form.name.data.strip(),
                schedule=form.schedule(),
                actor_id=current_user.id,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
            return _schedule_answer(load_sequence(campaign_id), form, 422, schedule_error=error)
        db.session.commit()
        return hx.trigger(_schedule_answer(campaign, form, 200, saved=True), "activity-changed")
    return _schedule_answer(campaign, form, 422)


def _schedule_answer(campaign: Campaign, form: SequenceForm, status: int, **extra) -> Response:
    response = hx.page_or_partial(
        "automation/edit.html",
        "automation/_sequence_form.html",
        **_builder(campaign, form, **extra),
    )
    response.status_code = status
    return response


@bp.route("/automation/<int:campaign_id>/activate", methods=["POST"])
@org_required
def activate(campaign_id: int):
    """Activate for new contacts only, or (`who=existing`, after a confirmation step that
    shows the count) also for the contacts already in the workspace who match."""
    campaign = load_sequence(campaign_id)
    require_change()
    existing = request.form.get("who") == "existing"
    if existing and request.form.get("confirmed") != "yes":
        count = reach.existing_matching(
            db.session, campaign, sequence_steps(campaign), now=clock.now()
        )
        return render_template("automation/activate_confirm.html", campaign=campaign, count=count)
    try:
        enrolled = sequence_lifecycle.activate_sequence(
            db.session,
            campaign,
            actor_id=current_user.id,
            now=clock.now(),
            include_existing=existing,
        )
    except DomainError as exc:
        db.session.rollback()
        flash(f"Not activated: {exc}", "error")
        return hx.redirect_to(url_for("automation.edit", campaign_id=campaign_id))
    db.session.commit()
    also = (
        f" {enrolled:,} existing contact{'s' if enrolled != 1 else ''} enrolled, each at the "
        "first message it can receive."
        if existing
        else ""
    )
    flash(
        "Activated. New contacts are enrolled and their messages go out inside your allowed hours."
        + also,
        "success",
    )
    return hx.redirect_to(
        request.referrer
        if _same_site(request.referrer) and not existing
        else url_for("automation.show", campaign_id=campaign_id)
    )


@bp.app_template_global("existing_to_enrol")
def existing_to_enrol(campaign: Campaign) -> int:
    """The contacts already in the workspace that "also existing contacts" would enrol."""
    return reach.existing_matching(db.session, campaign, sequence_steps(campaign), now=clock.now())


@bp.app_template_global("step_reach")
def step_reach(step: SequenceStep) -> int:
    """How many contacts the step can reach (its channel's address, consent counts)."""
    return reach.step_reach(db.session, step)


@bp.route("/automation/<int:campaign_id>/pause", methods=["POST"])
@org_required
def pause(campaign_id: int):
    campaign = load_sequence(campaign_id)
    require_change()
    sequence_lifecycle.pause_sequence(
        db.session, campaign, actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    flash(
        "Paused. Nobody new is enrolled and waiting messages stay unsent until you activate it again.",
        "success",
    )
    return hx.redirect_to(
        request.referrer
        if _same_site(request.referrer)
        else url_for("automation.show", campaign_id=campaign_id)
    )


@bp.route("/automation/<int:campaign_id>/finish", methods=["POST"])
@org_required
def finish(campaign_id: int):
    campaign = load_sequence(campaign_id)
    require_change()
    done = sequence_lifecycle.finish_sequence(
        db.session, campaign, actor_id=current_user.id, now=clock.now()
    )
    db.session.commit()
    flash(
        "Completed: no message of it was left to send."
        if done
        else "Finishing: nobody new is enrolled; it completes once its last queued message is sent.",
        "success",
    )
    return hx.redirect_to(url_for("automation.show", campaign_id=campaign_id))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url) and "/automation/" in url


from webapp.web.messaging import jobs_tab, outbox, sms_size, step_views  # noqa: E402, F401  (their routes join this blueprint)
