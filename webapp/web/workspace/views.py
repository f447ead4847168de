"""Workspace settings, the team (members and invite links), and switching workspace."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from webapp import clock
from webapp.extensions import db
from webapp.models import Invite, Membership
from webapp.services import accounts
from webapp.services.activity import log_activity
from webapp.services.errors import DomainError, NotFound
from webapp.web.context import load, org_required, owner_required
from webapp.web.forms import ConfirmForm
from webapp.web.workspace.forms import InviteForm, WorkspaceForm

bp = Blueprint("workspace", __name__)


@bp.route("/settings", methods=["GET", "POST"])
@org_required
def settings():  # noqa: ANN201
    form = WorkspaceForm(obj=g.org)
    if request.method == "POST":
        if g.membership.role != "owner":
            abort(403, "Only an owner can change the workspace settings.")
        if form.validate_on_submit():
            before = {"name": g.org.name, "timezone": g.org.timezone}
            g.org.name, g.org.timezone = form.name.data.strip(), form.timezone.data
            log_activity(
                db.session, g.org, "workspace.updated", f"{current_user.name} updated the workspace settings.",
                now=clock.now(), entity=("organization", g.org.id), actor_id=current_user.id,
                details={"before": before, "after": {"name": g.org.name, "timezone": g.org.timezone}},
            )
            db.session.commit()
            flash("Workspace settings saved.", "success")
            return redirect(url_for("workspace.settings"))
    status = 422 if form.errors else 200
    return render_template("workspace/settings.html", form=form), status


@bp.route("/settings/team")
@org_required
def team():  # noqa: ANN201
    return _team_page(InviteForm())


def _team_page(form: InviteForm, new_link: str | None = None, status: int = 200):  # noqa: ANN202
    return render_template(
        "workspace/team.html",
        form=form,
        confirm=ConfirmForm(),
        members=accounts.list_members(db.session, g.org.id),
        invites=accounts.list_invites(db.session, g.org.id),
        new_link=new_link,
        now=clock.now(),
    ), status


@bp.route("/settings/team/invites", methods=["POST"])
@owner_required
def create_invite():  # noqa: ANN201
    form = InviteForm()
    if not form.validate_on_submit():
        return _team_page(form, status=422)
    _invite, token = accounts.create_invite(db.session, g.membership, form.role.data, form.note.data or "", now=clock.now())
    db.session.commit()
    link = url_for("workspace.invite", token=token, _external=True)
    flash("Invite link created. Copy it now: it is shown only once.", "success")
    return _team_page(InviteForm(formdata=None), new_link=link)


@bp.route("/settings/team/invites/<int:invite_id>/revoke", methods=["POST"])
@owner_required
def revoke_invite(invite_id: int):  # noqa: ANN201
    invite = load(Invite, invite_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accounts.revoke_invite(db.session, g.membership, invite, now=clock.now())
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Invite link revoked.", "success")
    return redirect(url_for("workspace.team"))


@bp.route("/settings/team/members/<int:membership_id>/remove", methods=["POST"])
@owner_required
def remove_member(membership_id: int):  # noqa: ANN201
    target = load(Membership, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accounts.remove_member(db.session, g.membership, target, now=clock.now())
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Member removed.", "success")
    return redirect(url_for("workspace.team"))


@bp.route("/invites/<token>", methods=["GET", "POST"])
def invite(token: str):  # noqa: ANN201
    now = clock.now()
    try:
        found = accounts.find_invite(db.session, token, now=now)
    except accounts.InviteInvalid as exc:
        return render_template("workspace/invite.html", error=str(exc), invite=None, form=None), 410
    if not current_user.is_authenticated:
        return render_template("workspace/invite.html", invite=found, form=None, error=None, token=token)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        m = accounts.accept_invite(db.session, token, current_user, now=now)
        db.session.commit()
        session["org_id"] = m.org_id
        flash(f"You joined “{found.org.name}” as {m.role}.", "success")
        return redirect(url_for("dashboard.index"))
    return render_template("workspace/invite.html", invite=found, form=form, error=None, token=token)


@bp.route("/workspaces/<int:org_id>/switch", methods=["POST"])
@login_required
def switch(org_id: int):  # noqa: ANN201
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        m = accounts.membership(db.session, current_user, org_id)
    except NotFound:
        abort(404)
    session["org_id"] = m.org_id
    flash(f"Switched to “{m.org.name}”.", "info")
    return redirect(url_for("dashboard.index"))


@bp.route("/workspaces/new", methods=["GET", "POST"])
@login_required
def new_workspace():  # noqa: ANN201
    form = WorkspaceForm()
    if form.validate_on_submit():
        org = accounts.create_workspace(db.session, current_user, form.name.data, form.timezone.data, now=clock.now())
        db.session.commit()
        session["org_id"] = org.id
        flash(f"Workspace “{org.name}” created.", "success")
        return redirect(url_for("dashboard.index"))
    status = 422 if form.errors else 200
    return render_template("workspace/new.html", form=form), status
