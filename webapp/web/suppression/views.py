"""Settings → Suppressed addresses: who gets nothing more from this workspace, and why."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.suppression import (
    SuppressionError,
    add_manual,
    export_csv,
    lift,
    list_suppressions,
)
from webapp.web.context import org_required, owner_required
from webapp.web.query import page_arg
from webapp.web.suppression.forms import CHANNEL_CHOICES, AddSuppressionForm, LiftForm

bp = Blueprint("suppression", __name__)

REASON_LABELS = {
    "hard_bounce": "Bounced",
    "complaint": "Spam complaint",
    "unsubscribe": "Unsubscribed",
    "manual": "Added by hand",
}


def _criteria() -> tuple[str, str]:
    search = (request.args.get("q") or "").strip()[:100]
    channel = request.args.get("channel") or ""
    return search, channel if channel in dict(CHANNEL_CHOICES) else ""


def _page(form: AddSuppressionForm, status: int = 200):
    search, channel = _criteria()
    page = list_suppressions(db.session, g.org.id, search=search, channel=channel, page=page_arg())
    return render_template(
        "suppression/index.html",
        form=form,
        page=page,
        search=search,
        channel=channel,
        channels=CHANNEL_CHOICES,
        reasons=REASON_LABELS,
        lift_form=LiftForm(formdata=None),
    ), status


@bp.route("/settings/suppressed")
@org_required
def index():
    return _page(AddSuppressionForm(formdata=None))


@bp.route("/settings/suppressed", methods=["POST"])
@org_required
def add():
    form = AddSuppressionForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        row = add_manual(
            db.session,
            g.org.id,
            channel=form.channel.data,
            address=form.address.data or "",
            note=form.note.data or "",
            actor_id=g.membership.user_id,
            now=clock.now(),
        )
    except SuppressionError as exc:
        getattr(form, exc.field or "address", form.address).errors = [str(exc)]
        return _page(form, status=422)
    db.session.commit()
    flash(f"{row.address} is suppressed: nothing more is sent to it.", "success")
    return redirect(url_for("suppression.index"))


@bp.route("/settings/suppressed/<int:suppression_id>/lift", methods=["POST"])
@owner_required
def remove(suppression_id: int):
    form = LiftForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("suppression.index"))
    try:
        row = lift(
            db.session,
            g.org.id,
            suppression_id,
            actor_id=g.membership.user_id,
            now=clock.now(),
            confirmed=bool(form.confirm.data),
        )
    except LookupError:
        abort(404)
    except SuppressionError as exc:
        flash(str(exc), "error")
        return redirect(url_for("suppression.index"))
    db.session.commit()
    flash(f"{row.address} is taken off the list: messages may go to it again.", "success")
    return redirect(url_for("suppression.index"))


@bp.route("/settings/suppressed.csv")
@org_required
def export():
    search, channel = _criteria()
    return Response(
        export_csv(db.session, g.org.id, search=search, channel=channel),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="suppressed-addresses.csv"',
            "Cache-Control": "no-store",
        },
    )


from webapp.web.suppression import hooks as _hooks  # noqa: E402, F401  (provider webhooks)
from webapp.web.suppression import mailbox as _mailbox  # noqa: E402, F401  (bounce mailbox routes)
