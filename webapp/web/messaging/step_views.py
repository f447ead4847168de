"""The sequence builder's step views: add, edit, delete and reorder a sequence's steps, and
preview a step rendered for a contact. Their routes join the automation blueprint
(messaging/sequences.py)."""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import Campaign, Lead
from webapp.models.sequence import SequenceStep
from webapp.services.connections import email_from
from webapp.services.messaging import sequences, templating
from webapp.web import htmx as hx
from webapp.web.context import load, org_required
from webapp.web.messaging.forms import StepForm
from webapp.web.messaging.sequences import (
    bp,
    can_change,
    field_error,
    load_sequence,
    require_change,
    sequence_steps,
)
from webapp.web.query import id_arg

PREVIEW_CONTACTS = 50


# --- steps ----------------------------------------------------------------------------------


def _steps_answer(campaign: Campaign, status: int = 200, **extra) -> Response:
    response = hx.partial(
        "automation/_steps.html",
        status=status,
        campaign=campaign,
        steps=sequence_steps(campaign),
        can_change=can_change(),
        **extra,
    )
    return hx.trigger(response, "activity-changed") if status == 200 else response


def _step_place(step: SequenceStep) -> dict:
    """`first`, `last` and `number` of a step in its sequence (for rendering it alone)."""
    ids = [s.id for s in sequence_steps(db.session.get(Campaign, step.campaign_id))]
    index = ids.index(step.id) if step.id in ids else 0
    return {"first": index == 0, "last": index == len(ids) - 1, "number": index + 1}


def _step_form_answer(
    campaign: Campaign,
    form: StepForm,
    step: SequenceStep | None,
    status: int = 200,
    error: str | None = None,
) -> Response:
    if step is None:
        place = {"first": not sequence_steps(campaign), "number": len(sequence_steps(campaign)) + 1}
        action, cancel = (
            url_for("automation.new_step", campaign_id=campaign.id),
            url_for("automation.new_step", campaign_id=campaign.id, cancel=1),
        )
    else:
        place = _step_place(step)
        action, cancel = (
            url_for("automation.edit_step", step_id=step.id),
            url_for("automation.step", step_id=step.id),
        )
    return hx.partial(
        "automation/_step_form.html",
        status=status,
        campaign=campaign,
        form=form,
        step=step,
        action=action,
        cancel_url=cancel,
        error=error,
        **place,
    )


@bp.route("/automation/<int:campaign_id>/steps/new", methods=["GET", "POST"])
@org_required
def new_step(campaign_id: int):
    campaign = load_sequence(campaign_id)
    if not can_change():
        abort(403)
    if request.method == "GET":
        if request.args.get("cancel"):
            return hx.partial("automation/_new_step.html", campaign=campaign)
        previous = sequence_steps(campaign)
        defaults = (
            {"delay_value": 0, "delay_unit": "days"}
            if not previous
            else {"delay_value": 2, "delay_unit": "days"}
        )
        return _step_form_answer(campaign, StepForm(**defaults), None)
    form = StepForm()
    if not form.validate_on_submit():
        return _step_form_answer(campaign, form, None, 422)
    try:
        sequences.add_step(
            db.session, campaign, **form.fields(), actor_id=current_user.id, now=clock.now()
        )
    except DomainError as exc:
        db.session.rollback()
        return _step_form_answer(
            load_sequence(campaign_id), form, None, 422, error=field_error(form, exc)
        )
    db.session.commit()
    response = _steps_answer(campaign, notice="Message added.")
    response.headers["HX-Retarget"] = "#sequence-steps"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.route("/automation/steps/<int:step_id>")
@org_required
def step(step_id: int):
    row = load(SequenceStep, step_id)
    campaign = load_sequence(row.campaign_id)
    return hx.partial(
        "automation/_step.html",
        step=row,
        campaign=campaign,
        can_change=can_change(),
        **_step_place(row),
    )


@bp.route("/automation/steps/<int:step_id>/edit", methods=["GET", "POST"])
@org_required
def edit_step(step_id: int):
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
        sequences.update_step(
            db.session, row, **form.fields(), actor_id=current_user.id, now=clock.now()
        )
    except DomainError as exc:
        db.session.rollback()
        row = load(SequenceStep, step_id)
        return _step_form_answer(
            load_sequence(row.campaign_id), form, row, 422, error=field_error(form, exc)
        )
    db.session.commit()
    response = hx.partial(
        "automation/_step.html", step=row, campaign=campaign, can_change=True, **_step_place(row)
    )
    return hx.trigger(response, "activity-changed")


@bp.route("/automation/steps/<int:step_id>/delete", methods=["POST"])
@org_required
def delete_step(step_id: int):
    row = load(SequenceStep, step_id)
    campaign = load_sequence(row.campaign_id)
    require_change()
    sequences.delete_step(db.session, row, actor_id=current_user.id, now=clock.now())
    db.session.commit()
    return _steps_answer(campaign, notice="Message deleted.")


@bp.route("/automation/steps/<int:step_id>/move", methods=["POST"])
@org_required
def move_step(step_id: int):
    row = load(SequenceStep, step_id)
    campaign = load_sequence(row.campaign_id)
    require_change()
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400, "Move a message up or down.")
    sequences.move_step(db.session, row, -1 if direction == "up" else 1)
    db.session.commit()
    return _steps_answer(campaign)


# --- preview --------------------------------------------------------------------------------


@bp.route("/automation/steps/<int:step_id>/preview")
@org_required
def preview_step(step_id: int):
    row = load(SequenceStep, step_id)
    load_sequence(row.campaign_id)
    if request.args.get("close"):
        return hx.partial("automation/_preview_closed.html", step=row)
    contacts = list(
        db.session.scalars(
            select(Lead)
            .where(Lead.org_id == g.org.id)
            .order_by(Lead.created_at.desc(), Lead.id.desc())
            .limit(PREVIEW_CONTACTS)
        )
    )
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
        context["sender"] = email_from(g.org) or _sender_name()
    return hx.partial("automation/_preview.html", **context)


def _best_contact(contacts: list[Lead], channel: str) -> Lead:
    """The newest contact this step could reach (else the newest one)."""
    for c in contacts:
        if (c.email if channel == "email" else c.phone) and not c.unsubscribed_at:
            return c
    return contacts[0]


def _sender_name() -> str:  # the deployment's, when the workspace has none of its own
    from webapp.services.connections.channels import default_email_sender

    return default_email_sender()
