"""Workspace settings, the team (members and invite links), and switching workspace."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from webapp.core import clock
from webapp.core.errors import DomainError, NotFound
from webapp.core.extensions import db
from webapp.models import Invite, Membership
from webapp.services.accounts import people as accounts
from webapp.services.accounts import postal_address_of, sessions, set_postal_address
from webapp.services.activity.log import log_activity
from webapp.services.leads.fields import workspace_region
from webapp.services.messaging.quiet_hours import TEXTING_FROM, TEXTING_UNTIL
from webapp.web.accounts.auth_forms import AccountForm
from webapp.web.accounts.workspace_forms import (
    POSTAL_HELP,
    InviteForm,
    WorkspaceForm,
    WorkspaceSettingsForm,
)
from webapp.web.context import load, org_required, owner_required
from webapp.web.forms import ConfirmForm

bp = Blueprint("workspace", __name__)


@bp.route("/settings", methods=["GET", "POST"])
@org_required
def settings():
    form = WorkspaceSettingsForm(obj=g.org)
    if request.method != "POST":
        form.postal_address.data = postal_address_of(db.session, g.org.id)
    form.texting_from.data = form.texting_from.data or TEXTING_FROM
    form.texting_until.data = form.texting_until.data or TEXTING_UNTIL
    if request.method == "POST":
        if g.membership.role != "owner":
            abort(403, "Only an owner can change the workspace settings.")
        if form.validate_on_submit():
            before = _settings(g.org)
            g.org.name, g.org.timezone = form.name.data.strip(), form.timezone.data
            set_postal_address(
                db.session, g.org, form.postal_address.data,
                actor_id=current_user.id, now=clock.now(),
            )  # fmt: skip
            g.org.phone_region = form.phone_region.data or None
            if form.event_retention_days.data is not None:
                g.org.event_retention_days = form.event_retention_days.data
            g.org.texting_from, g.org.texting_until = texting_hours_of(form)
            log_activity(
                db.session,
                g.org,
                "workspace.updated",
                f"{current_user.name} updated the workspace settings.",
                now=clock.now(),
                entity=("organization", g.org.id),
                actor_id=current_user.id,
                details={"before": before, "after": _settings(g.org)},
            )
            db.session.commit()
            flash("Workspace settings saved.", "success")
            return redirect(url_for("workspace.settings"))
    if request.method == "GET":
        form.phone_region.data = g.org.phone_region or ""
    status = 422 if form.errors else 200
    return render_template(
        "workspace/settings.html",
        form=form,
        phone_region=workspace_region(g.org),
        postal_help=POSTAL_HELP,
        postal_address=postal_address_of(db.session, g.org.id),
    ), status


def _settings(org) -> dict:
    return {
        "name": org.name,
        "timezone": org.timezone,
        "event_retention_days": org.event_retention_days,
        "postal_address": postal_address_of(db.session, org.id),
        "phone_region": org.phone_region,
        "texting_hours": [org.texting_from, org.texting_until],
    }


def texting_hours_of(form: WorkspaceSettingsForm) -> tuple[str | None, str | None]:
    """The texting hours to store: None for the legal default itself (08:00–21:00)."""
    return (
        None if form.texting_from.data == TEXTING_FROM else form.texting_from.data,
        None if form.texting_until.data == TEXTING_UNTIL else form.texting_until.data,
    )


@bp.route("/settings/team")
@org_required
def team():
    return _team_page(InviteForm())


def _team_page(form: InviteForm, new_link: str | None = None, status: int = 200):
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
def create_invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _team_page(form, status=422)
    _invite, token = accounts.create_invite(
        db.session, g.membership, form.role.data, form.note.data or "", now=clock.now()
    )
    db.session.commit()
    link = url_for("workspace.invite", token=token, _external=True)
    flash("Invite link created. Copy it now: it is shown only once.", "success")
    return _team_page(InviteForm(formdata=None), new_link=link)


@bp.route("/settings/team/invites/<int:invite_id>/revoke", methods=["POST"])
@owner_required
def revoke_invite(invite_id: int):
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


@bp.route("/settings/team/members/<int:membership_id>/remove", methods=["GET", "POST"])
@owner_required
def remove_member(membership_id: int):
    """A confirm step (GET), then the removal (POST)."""
    target = load(Membership, membership_id)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("workspace/remove_member.html", target=target, form=form)
    if not form.validate_on_submit():
        abort(400)
    name = target.user.name
    try:
        accounts.remove_member(db.session, g.membership, target, now=clock.now())
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{name} was removed from the workspace and signed out.", "success")
    return redirect(url_for("workspace.team"))


@bp.route("/invites/<token>", methods=["GET", "POST"])
def invite(token: str):
    now = clock.now()
    try:
        found = accounts.find_invite(db.session, token, now=now)
    except accounts.InviteInvalid as exc:
        return render_template("workspace/invite.html", error=str(exc), invite=None, form=None), 410
    if not current_user.is_authenticated:
        return render_template(
            "workspace/invite.html", invite=found, form=None, error=None, token=token
        )
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        m = accounts.accept_invite(db.session, token, current_user, now=now)
        db.session.commit()
        session["org_id"] = m.org_id
        flash(f"You joined “{found.org.name}” as {m.role}.", "success")
        return redirect(url_for("dashboard.index"))
    return render_template(
        "workspace/invite.html", invite=found, form=form, error=None, token=token
    )


@bp.route("/invites/<token>/signup", methods=["GET", "POST"])
def invite_signup(token: str):
    """Create an account that joins the inviting workspace, with no business of its own."""
    if current_user.is_authenticated:
        return redirect(url_for("workspace.invite", token=token))
    now = clock.now()
    try:
        found = accounts.find_invite(db.session, token, now=now)
    except accounts.InviteInvalid as exc:
        return render_template("workspace/invite.html", error=str(exc), invite=None, form=None), 410
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user, m = accounts.join_by_invite(
                db.session, token, email=form.email.data, name=form.name.data,
                password=form.password.data, now=now,
            )  # fmt: skip
        except accounts.EmailTaken as exc:
            form.email.errors.append(f"{exc} Sign in instead, then open the invite link again.")
        else:
            sessions.start_session(db.session, user, now=now)
            org_name, role = found.org.name, m.role
            db.session.commit()
            login_user(user)
            session["org_id"] = m.org_id
            flash(f"Welcome, {user.name}! You joined “{org_name}” as {role}.", "success")
            return redirect(url_for("dashboard.index"))
    status = 422 if form.errors else 200
    return render_template("workspace/invite_signup.html", form=form, invite=found), status


@bp.route("/workspaces/<int:org_id>/switch", methods=["POST"])
@login_required
def switch(org_id: int):
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
def new_workspace():
    form = WorkspaceForm()
    if form.validate_on_submit():
        org = accounts.create_workspace(
            db.session, current_user, form.name.data, form.timezone.data, now=clock.now()
        )
        db.session.commit()
        session["org_id"] = org.id
        flash(f"Workspace “{org.name}” created.", "success")
        return redirect(url_for("dashboard.index"))
    status = 422 if form.errors else 200
    return render_template("workspace/new.html", form=form), status
