"""Broadcast pages: list, compose/edit, the broadcast's page (preview, test, schedule or
send now, pause, resume, cancel) and its progress partial, polled while it sends."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Broadcast
from webapp.services import broadcasts
from webapp.web import htmx as hx
from webapp.web.broadcasts.forms import BroadcastForm, ScheduleForm, TestForm
from webapp.web.context import load, org_required

bp = Blueprint("broadcasts", __name__)


@bp.route("/broadcasts")
@org_required
def index():
    rows = broadcasts.list_broadcasts(db.session, g.org.id)
    now = clock.now()
    return render_template(
        "broadcasts/index.html",
        rows=[(b, broadcasts.figures(db.session, b, now=now)) for b in rows],
    )


def _form(broadcast: Broadcast | None) -> BroadcastForm:
    form = BroadcastForm()
    form.segment_id.choices = [(0, "All subscribed contacts")] + [
        (s.id, f"Segment: {s.name} ({s.member_count:,})")
        for s in broadcasts.segments_for(db.session, g.org.id)
    ]
    if broadcast is not None and request.method == "GET":
        step = broadcasts.message_of(db.session, broadcast)
        form.process(
            data={
                "name": broadcast.name,
                "channel": step.channel,
                "segment_id": broadcast.segment_id or 0,
                "subject": step.subject,
                "body": step.body,
                "conversion_days": broadcast.conversion_days,
                "conversion_event": broadcast.conversion_event,
            }
        )
    return form


def _compose(broadcast: Broadcast | None):
    form = _form(broadcast)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("broadcasts/edit.html", form=form, broadcast=broadcast), status
    fields = {name: getattr(form, name).data for name in form.data if name != "csrf_token"}
    fields["segment_id"] = fields["segment_id"] or None
    try:
        if broadcast is None:
            broadcast = broadcasts.create_broadcast(
                db.session, g.org.id, fields, actor_id=current_user.id, now=clock.now()
            )
        else:
            broadcasts.update_broadcast(
                db.session, broadcast, fields, actor_id=current_user.id, now=clock.now()
            )
    except broadcasts.BroadcastError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None) or form.name
        target.errors = [*target.errors, str(exc)]
        return render_template("broadcasts/edit.html", form=form, broadcast=broadcast), 422
    db.session.commit()
    flash(f"Broadcast {broadcast.name} saved.", "success")
    return redirect(url_for("broadcasts.show", broadcast_id=broadcast.id), code=303)


@bp.route("/broadcasts/new", methods=["GET", "POST"])
@org_required
def new():
    return _compose(None)


@bp.route("/broadcasts/<int:broadcast_id>/edit", methods=["GET", "POST"])
@org_required
def edit(broadcast_id: int):
    broadcast = load(Broadcast, broadcast_id)
    if broadcast.status not in ("draft", "scheduled"):
        flash("A broadcast that has started cannot be edited.", "error")
        return redirect(url_for("broadcasts.show", broadcast_id=broadcast.id), code=303)
    return _compose(broadcast)


def _page(broadcast: Broadcast, *, test_form=None, schedule_form=None, status=200):
    lead, rendered = broadcasts.preview(db.session, broadcast)
    return render_template(
        "broadcasts/show.html",
        broadcast=broadcast,
        step=broadcasts.message_of(db.session, broadcast),
        figures=broadcasts.figures(db.session, broadcast, now=clock.now()),
        audience=broadcasts.audience_count(db.session, broadcast),
        sample=lead,
        rendered=rendered,
        test_form=test_form or TestForm(to=current_user.email),
        schedule_form=schedule_form or ScheduleForm(),
    ), status


@bp.route("/broadcasts/<int:broadcast_id>")
@org_required
def show(broadcast_id: int):
    return _page(load(Broadcast, broadcast_id))


@bp.route("/broadcasts/<int:broadcast_id>/progress")
@org_required
def progress(broadcast_id: int):
    broadcast = load(Broadcast, broadcast_id)
    return hx.partial(
        "broadcasts/_progress.html",
        broadcast=broadcast,
        figures=broadcasts.figures(db.session, broadcast, now=clock.now()),
    )


@bp.route("/broadcasts/<int:broadcast_id>/test", methods=["POST"])
@org_required
def send_test(broadcast_id: int):
    broadcast = load(Broadcast, broadcast_id)
    form = TestForm()
    if not form.validate_on_submit():
        return _page(broadcast, test_form=form, status=422)
    try:
        where = broadcasts.send_test(
            db.session, broadcast, form.to.data, actor_id=current_user.id, now=clock.now()
        )
    except broadcasts.BroadcastError as exc:
        db.session.rollback()
        form.to.errors = [*form.to.errors, str(exc)]
        return _page(broadcast, test_form=form, status=422)
    db.session.commit()
    place = "the outbox (no provider is connected)" if where == "outbox" else where
    flash(f"Test sent to {form.to.data} through {place}.", "success")
    return redirect(url_for("broadcasts.show", broadcast_id=broadcast.id), code=303)


@bp.route("/broadcasts/<int:broadcast_id>/schedule", methods=["POST"])
@org_required
def schedule(broadcast_id: int):
    broadcast = load(Broadcast, broadcast_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _page(broadcast, schedule_form=form, status=422)
    at = form.scheduled_at.data.replace(tzinfo=ZoneInfo(g.org.timezone)).astimezone(UTC)
    try:
        broadcasts.schedule_broadcast(
            db.session, broadcast, at, actor_id=current_user.id, now=clock.now()
        )
    except broadcasts.BroadcastError as exc:
        db.session.rollback()
        form.scheduled_at.errors = [*form.scheduled_at.errors, str(exc)]
        return _page(broadcast, schedule_form=form, status=422)
    db.session.commit()
    flash(f"Broadcast {broadcast.name} scheduled.", "success")
    return redirect(url_for("broadcasts.show", broadcast_id=broadcast.id), code=303)


def _act(broadcast_id: int, call, said: str):
    broadcast = load(Broadcast, broadcast_id)
    try:
        call(db.session, broadcast, actor_id=current_user.id, now=clock.now())
    except broadcasts.BroadcastError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("broadcasts.show", broadcast_id=broadcast_id), code=303)
    db.session.commit()
    flash(f"Broadcast {broadcast.name} {said}.", "success")
    return redirect(url_for("broadcasts.show", broadcast_id=broadcast.id), code=303)


@bp.route("/broadcasts/<int:broadcast_id>/send", methods=["POST"])
@org_required
def send(broadcast_id: int):
    return _act(broadcast_id, broadcasts.send_now, "started: it goes out over the next minutes")


@bp.route("/broadcasts/<int:broadcast_id>/pause", methods=["POST"])
@org_required
def pause(broadcast_id: int):
    return _act(broadcast_id, broadcasts.pause_broadcast, "paused")


@bp.route("/broadcasts/<int:broadcast_id>/resume", methods=["POST"])
@org_required
def resume(broadcast_id: int):
    return _act(broadcast_id, broadcasts.resume_broadcast, "resumed")


@bp.route("/broadcasts/<int:broadcast_id>/cancel", methods=["POST"])
@org_required
def cancel(broadcast_id: int):
    return _act(broadcast_id, broadcasts.cancel_broadcast, "cancelled")
