"""Automation: the list of sequences and the sequence builder (name, schedule, steps, preview,
activate and pause). The Automation tab lives in `tab.py`, the outbox in `outbox.py`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from webapp import clock
from webapp.extensions import db
from webapp.models import Campaign, Lead
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services import sequences, templating
from webapp.services.errors import DomainError
from webapp.services.send_windows import DEFAULT_SCHEDULE
from webapp.web import htmx as hx
from webapp.web.automation.forms import DAY_CHOICES, SequenceForm, StepForm
from webapp.web.context import load, org_required
from webapp.web.forms import ConfirmForm
from webapp.web.query import id_arg

bp = Blueprint("automation", __name__)

PREVIEW_CONTACTS = 50


def can_change() -> bool:
    return not current_user.is_support


def load_sequence(campaign_id: int) -> Campaign:
    """The current workspace's sequence campaign with this id, or 404."""
    campaign = load(Campaign, campaign_id)
    if campaign.kind != "sequence":
        abort(404)
    return campaign


def _steps(campaign: Campaign) -> list[SequenceStep]:
    return sequences.steps_of(db.session, campaign)


def field_error(form, exc: DomainError) -> str | None:  # noqa: ANN001
    """Put a service's refusal under the field it names; returns it when no field fits."""
    name = getattr(exc, "field", None)
    field = form._fields.get(name) if name else None
    if field is None:
        return str(exc)
    field.errors = [*field.errors, str(exc)]
    return None


def _require_change() -> None:
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


def _counts(column, *where) -> dict[int, int]:  # noqa: ANN001, ANN002
    rows = db.session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return {campaign_id: n for campaign_id, n in rows}


def sequence_rows(org_id: int) -> list[SequenceRow]:
    """Each sequence with its steps, real (non-test) enrolments, and sent/failed messages."""
    campaigns = sequences.list_sequences(db.session, org_id)
    if not campaigns:
        return []
    steps = _counts(SequenceStep.campaign_id, SequenceStep.org_id == org_id)
    enrolled = _counts(Enrollment.campaign_id, Enrollment.org_id == org_id, Enrollment.test_mode.is_(False))
    sent = _counts(Send.campaign_id, Send.org_id == org_id, Send.test_mode.is_(False), Send.status.in_(("sent", "delivered")))
    failed = _counts(Send.campaign_id, Send.org_id == org_id, Send.test_mode.is_(False), Send.status == "failed")
    return [
        SequenceRow(c, steps.get(c.id, 0), enrolled.get(c.id, 0), sent.get(c.id, 0), failed.get(c.id, 0))
        for c in campaigns
    ]


@bp.route("/automation")
@org_required
def index():  # noqa: ANN201
    return hx.page_or_partial(
        "automation/index.html", "automation/index.html", rows=sequence_rows(g.org.id), can_change=can_change(),
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
        name=name, days=list(s["days"]), start=hours[0], end=hours[1], timezone_mode=s.get("timezone_mode") or "workspace",
    )


def _schedule_words(schedule: dict | None) -> dict:
    s = {**DEFAULT_SCHEDULE, **(schedule or {})}
    names = dict(DAY_CHOICES)
    zone = g.org.timezone
    return {
        "days": ", ".join(names[d] for d in sorted(s["days"])) or "none",
        "hours": f"{s['start']}–{s['end']}",
        "zone": f"each contact's own where known (otherwise {zone})" if s.get("timezone_mode") == "contact" else f"the workspace's ({zone})",
    }


@bp.route("/automation/new", methods=["GET", "POST"])
@org_required
def new():  # noqa: ANN201
    if not can_change():
        abort(403)
    form = _form_from(None)
    context = {"action": url_for("automation.new"), "submit_label": "Create and add messages", "cancel_url": url_for("automation.index")}
    if request.method == "POST":
        error = None
        if form.validate_on_submit():
            try:
                campaign = sequences.create_sequence(
                    db.session, g.org.id, name=form.name.data.strip(), schedule=form.schedule(),
                    actor_id=current_user.id, now=clock.now(),
                )
            except DomainError as exc:
                db.session.rollback()
                error = field_error(form, exc)
            else:
                db.session.commit()
                flash("Sequence created. Now write its messages.", "success")
                return hx.redirect_to(url_for("automation.edit", campaign_id=campaign.id))
        return hx.page_or_partial("automation/new.html", "automation/_sequence_form.html", form=form, schedule_error=error, **context), 422
    return hx.page_or_partial("automation/new.html", "automation/_sequence_form.html", form=form, **context)


def _builder(campaign: Campaign, form: SequenceForm, **extra) -> dict:
    return {
        "campaign": campaign, "form": form, "steps": _steps(campaign), "can_change": can_change(),
        "variables": templating.VARIABLES, "schedule_words": _schedule_words(campaign.settings.get("schedule")),
        "action": url_for("automation.edit", campaign_id=campaign.id), "submit_label": "Save name and schedule",
        **extra,
    }


@bp.route("/automation/<int:campaign_id>/edit", methods=["GET", "POST"])
@org_required
def edit(campaign_id: int):  # noqa: ANN201
    campaign = load_sequence(campaign_id)
    form = _form_from(campaign.settings.get("schedule"), campaign.name)
    if request.method == "GET":
        return hx.page_or_partial("automation/edit.html", "automation/_sequence_form.html", **_builder(campaign, form))
    if form.validate_on_submit():
        try:
            sequences.update_sequence(
                db.session, campaign, name=form.name.data.strip(), schedule=form.schedule(),
                actor_id=current_user.id, now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            error = field_error(form, exc)
            return _schedule_answer(load_sequence(campaign_id), form, 422, schedule_error=error)
        db.session.commit()
        return hx.trigger(_schedule_answer(campaign, form, 200, saved=True), "activity-changed")
    return _schedule_answer(campaign, form, 422)


def _schedule_answer(campaign: Campaign, form: SequenceForm, status: int, **extra) -> Response:
    response = hx.page_or_partial("automation/edit.html", "automation/_sequence_form.html", **_builder(campaign, form, **extra))
    response.status_code = status
    return response


@bp.route("/automation/<int:campaign_id>/activate", methods=["POST"])
@org_required
def activate(campaign_id: int):  # noqa: ANN201
    campaign = load_sequence(campaign_id)
    _require_change()
    try:
        sequences.activate_sequence(db.session, campaign, actor_id=current_user.id, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(f"Not activated: {exc}", "error")
        return hx.redirect_to(url_for("automation.edit", campaign_id=campaign_id))
    db.session.commit()
    flash("Activated. New contacts are enrolled and their messages go out inside your allowed hours.", "success")
    return hx.redirect_to(request.referrer if _same_site(request.referrer) else url_for("automation.show", campaign_id=campaign_id))


@bp.route("/automation/<int:campaign_id>/pause", methods=["POST"])
@org_required
def pause(campaign_id: int):  # noqa: ANN201
    campaign = load_sequence(campaign_id)
    _require_change()
    sequences.pause_sequence(db.session, campaign, actor_id=current_user.id, now=clock.now())
    db.session.commit()
    flash("Paused. Nobody new is enrolled and waiting messages stay unsent until you activate it again.", "success")
    return hx.redirect_to(request.referrer if _same_site(request.referrer) else url_for("automation.show", campaign_id=campaign_id))


@bp.route("/automation/<int:campaign_id>/finish", methods=["POST"])
@org_required
def finish(campaign_id: int):  # noqa: ANN201
    campaign = load_sequence(campaign_id)
    _require_change()
    done = sequences.finish_sequence(db.session, campaign, actor_id=current_user.id, now=clock.now())
    db.session.commit()
    flash("Completed: no message of it was left to send." if done else
          "Finishing: nobody new is enrolled; it completes once its last queued message is sent.", "success")
    return hx.redirect_to(url_for("automation.show", campaign_id=campaign_id))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url) and "/automation/" in url


# --- steps ----------------------------------------------------------------------------------


def _steps_answer(campaign: Campaign, status: int = 200, **extra) -> Response:
    response = hx.partial("automation/_steps.html", status=status, campaign=campaign, steps=_steps(campaign), can_change=can_change(), **extra)
    return hx.trigger(response, "activity-changed") if status == 200 else response


def _step_place(step: SequenceStep) -> dict:
    """`first`, `last` and `number` of a step in its sequence (for rendering it alone)."""
    ids = [s.id for s in _steps(db.session.get(Campaign, step.campaign_id))]
    index = ids.index(step.id) if step.id in ids else 0
    return {"first": index == 0, "last": index == len(ids) - 1, "number": index + 1}


def _step_form_answer(campaign: Campaign, form: StepForm, step: SequenceStep | None, status: int = 200, error: str | None = None) -> Response:
    if step is None:
        place = {"first": not _steps(campaign), "number": len(_steps(campaign)) + 1}
        action, cancel = url_for("automation.new_step", campaign_id=campaign.id), url_for("automation.new_step", campaign_id=campaign.id, cancel=1)
    else:
        place = _step_place(step)
        action, cancel = url_for("automation.edit_step", step_id=step.id), url_for("automation.step", step_id=step.id)
    return hx.partial(
        "automation/_step_form.html", status=status, campaign=campaign, form=form, step=step,
        action=action, cancel_url=cancel, error=error, **place,
    )


@bp.route("/automation/<int:campaign_id>/steps/new", methods=["GET", "POST"])
@org_required
def new_step(campaign_id: int):  # noqa: ANN201
    campaign = load_sequence(campaign_id)
    if not can_change():
        abort(403)
    if request.method == "GET":
        if request.args.get("cancel"):
            return hx.partial("automation/_new_step.html", campaign=campaign)
        previous = _steps(campaign)
        defaults = {"delay_value": 0, "delay_unit": "days"} if not previous else {"delay_value": 2, "delay_unit": "days"}
        return _step_form_answer(campaign, StepForm(**defaults), None)
    form = StepForm()
    if not form.validate_on_submit():
        return _step_form_answer(campaign, form, None, 422)
    try:
        sequences.add_step(db.session, campaign, **form.fields(), actor_id=current_user.id, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        return _step_form_answer(load_sequence(campaign_id), form, None, 422, error=field_error(form, exc))
    db.session.commit()
    response = _steps_answer(campaign, notice="Message added.")
    response.headers["HX-Retarget"] = "#sequence-steps"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.route("/automation/steps/<int:step_id>")
@org_required
def step(step_id: int):  # noqa: ANN201
    row = load(SequenceStep, step_id)
    campaign = load_sequence(row.campaign_id)
    return hx.partial("automation/_step.html", step=row, campaign=campaign, can_change=can_change(), **_step_place(row))


@bp.route("/automation/steps/<int:step_id>/edit", methods=["GET", "POST"])
@org_required
def edit_step(step_id: int):  # noqa: ANN201
    row = load(SequenceStep, step_id)
    campaign = load_sequence(row.campaign_id)
    if not can_change():
        abort(403)
    if request.method == "GET":
        return _step_form_answer(campaign, StepForm(obj=row), row)
    form = StepForm()
    if not form.validate_on_submit():
        return _step_form_answer(campaign, form, row, 422)
    try:
        sequences.update_step(db.session, row, **form.fields(), actor_id=current_user.id, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        row = load(SequenceStep, step_id)
        return _step_form_answer(load_sequence(row.campaign_id), form, row, 422, error=field_error(form, exc))
    db.session.commit()
    response = hx.partial("automation/_step.html", step=row, campaign=campaign, can_change=True, **_step_place(row))
    return hx.trigger(response, "activity-changed")


@bp.route("/automation/steps/<int:step_id>/delete", methods=["POST"])
@org_required
def delete_step(step_id: int):  # noqa: ANN201
    row = load(SequenceStep, step_id)
    campaign = load_sequence(row.campaign_id)
    _require_change()
    sequences.delete_step(db.session, row, actor_id=current_user.id, now=clock.now())
    db.session.commit()
    return _steps_answer(campaign, notice="Message deleted.")


@bp.route("/automation/steps/<int:step_id>/move", methods=["POST"])
@org_required
def move_step(step_id: int):  # noqa: ANN201
    row = load(SequenceStep, step_id)
    campaign = load_sequence(row.campaign_id)
    _require_change()
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400, "Move a message up or down.")
    sequences.move_step(db.session, row, -1 if direction == "up" else 1)
    db.session.commit()
    return _steps_answer(campaign)


# --- preview --------------------------------------------------------------------------------


@bp.route("/automation/steps/<int:step_id>/preview")
@org_required
def preview_step(step_id: int):  # noqa: ANN201
    row = load(SequenceStep, step_id)
    load_sequence(row.campaign_id)
    if request.args.get("close"):
        return hx.partial("automation/_preview_closed.html", step=row)
    contacts = list(db.session.scalars(
        select(Lead).where(Lead.org_id == g.org.id).order_by(Lead.created_at.desc(), Lead.id.desc()).limit(PREVIEW_CONTACTS)
    ))
    lead = None
    lead_id = id_arg("lead_id")
    if lead_id is not None:
        lead = load(Lead, lead_id)
        if lead.id not in {c.id for c in contacts}:
            contacts.insert(0, lead)
    elif contacts:
        lead = _best_contact(contacts, row.channel)
    context = {"step": row, "contacts": contacts, "lead": lead}
    if lead is not None:
        context["rendered"] = templating.render_step(row, lead, g.org)
        context["address"] = lead.email if row.channel == "email" else lead.phone
        context["sender"] = _sender_name()
    return hx.partial("automation/_preview.html", **context)


def _best_contact(contacts: list[Lead], channel: str) -> Lead:
    """The newest contact this step could reach (else the newest one)."""
    for c in contacts:
        if (c.email if channel == "email" else c.phone) and not c.unsubscribed_at:
            return c
    return contacts[0]


def _sender_name() -> str:
    from webapp.integrations.email import default_sender

    return default_sender()


from webapp.web.automation import outbox, tab  # noqa: E402, F401  (their routes join this blueprint)
