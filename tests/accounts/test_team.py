"""Workspace settings, invite links, members, and switching workspace."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.conftest import csrf_token, login, make_user
from webapp.core.extensions import db
from webapp.models import ActivityLog, Invite, Membership


def _create_invite(client, role="staff", note="Bob"):
    token = csrf_token(client, "/settings/team")
    response = client.post(
        "/settings/team/invites", data={"role": role, "note": note, "csrf_token": token}
    )
    assert response.status_code == 200
    match = re.search(r'value="(http://[^"]+/invites/[^"]+)"', response.get_data(as_text=True))
    assert match, "the new invite link is shown"
    return match.group(1).split("localhost", 1)[-1]


def test_it_invites_a_teammate_by_link(client, alice, alice_org, app):
    login(client, alice)
    path = _create_invite(client)
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    dave = make_user("dave@example.com", "Dave New")
    login(client, dave)
    page = client.get(path)
    assert "Join “Alice Bakes”" in page.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    m = db.session.scalars(select(Membership).where(Membership.user_id == dave.id)).one()
    assert (m.org_id, m.role) == (alice_org.id, "staff")
    assert "member.joined" in db.session.scalars(select(ActivityLog.type)).all()

    # A link works once.
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_a_signed_out_invitee_signs_up_into_the_inviting_workspace_only(client, alice, app):
    from webapp.models import Organization, User

    login(client, alice)
    path = _create_invite(client)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    page = client.get(path).get_data(as_text=True)
    signup = re.search(r'href="(/invites/[^"]+/signup)"', page).group(1)
    form = client.get(signup).get_data(as_text=True)
    assert "Business name" not in form and "Join “Alice Bakes”" in form
    workspaces = db.session.scalar(select(func.count()).select_from(Organization))
    data = {
        "name": "Erin New",
        "email": "erin@example.com",
        "password": "long enough pw",
        "confirm": "long",
        "csrf_token": csrf_token(client, signup),
    }
    refused = client.post(signup, data=data)
    assert refused.status_code == 422 and "The passwords don" in refused.get_data(as_text=True)
    response = client.post(signup, data={**data, "confirm": "long enough pw"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    erin = db.session.scalars(select(User).where(User.email == "erin@example.com")).one()
    joined = db.session.scalars(select(Membership).where(Membership.user_id == erin.id)).all()
    assert [(m.org.name, m.role) for m in joined] == [("Alice Bakes", "staff")]
    assert db.session.scalar(select(func.count()).select_from(Organization)) == workspaces
    assert client.get(path).status_code == 410  # the link was used


def test_an_invite_signup_with_a_dead_link_creates_nothing(client, alice, app):
    from webapp.models import User

    page = client.get("/invites/not-a-token/signup")
    assert page.status_code == 410
    data = {"name": "X", "email": "x@example.com", "password": "long enough pw",
            "confirm": "long enough pw", "csrf_token": csrf_token(client, "/login")}  # fmt: skip
    assert client.post("/invites/not-a-token/signup", data=data).status_code == 410
    assert db.session.scalars(select(User).where(User.email == "x@example.com")).first() is None


def test_it_expires_and_revokes_invites(client, alice, alice_org, clock, app):
    login(client, alice)
    path = _create_invite(client)
    invite = db.session.scalars(select(Invite)).one()
    clock.advance(days=8)
    assert "has expired" in client.get(path).get_data(as_text=True)
    clock.advance(days=-8)
    token = csrf_token(client, "/settings/team")
    assert (
        client.post(
            f"/settings/team/invites/{invite.id}/revoke", data={"csrf_token": token}
        ).status_code
        == 302
    )
    assert "was revoked" in client.get(path).get_data(as_text=True)


def test_it_lets_only_owners_invite(client, bob, app):
    login(client, bob)
    token = csrf_token(client, "/settings/team")
    response = client.post("/settings/team/invites", data={"role": "owner", "csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(select(Invite.id)) is None


def test_it_removes_a_member_but_never_the_last_owner(client, alice, alice_org, bob, app):
    login(client, alice)
    bob_m = db.session.scalars(select(Membership).where(Membership.user_id == bob.id)).one()
    alice_m = db.session.scalars(select(Membership).where(Membership.user_id == alice.id)).one()
    token = csrf_token(client, "/settings/team")
    client.post(
        f"/settings/team/members/{alice_m.id}/remove",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert db.session.get(Membership, alice_m.id) is not None
    client.post(f"/settings/team/members/{bob_m.id}/remove", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Membership, bob_m.id) is None


def test_it_switches_between_workspaces(client, alice, app):
    login(client, alice)
    token = csrf_token(client, "/workspaces/new")
    client.post(
        "/workspaces/new", data={"name": "Alice Catering", "timezone": "UTC", "csrf_token": token}
    )
    assert "Alice Catering" in client.get("/").get_data(as_text=True)
    first = [m.org for m in alice.memberships if m.org.name == "Alice Bakes"][0]
    response = client.post(
        f"/workspaces/{first.id}/switch", data={"csrf_token": token}, follow_redirects=True
    )
    assert "<h1>Alice Bakes</h1>" in response.get_data(as_text=True)


def test_it_saves_workspace_settings_with_errors_in_place(client, alice, alice_org, app):
    login(client, alice)
    token = csrf_token(client, "/settings")
    bad = client.post(
        "/settings", data={"name": "", "timezone": "Europe/Berlin", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert "Name your business." in bad.get_data(as_text=True)
    ok = client.post(
        "/settings",
        data={"name": "Alice Bakes & Co", "timezone": "Europe/Berlin", "csrf_token": token},
    )
    assert ok.status_code == 302
    db.session.refresh(alice_org)
    assert (alice_org.name, alice_org.timezone) == ("Alice Bakes & Co", "Europe/Berlin")
    row = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "workspace.updated")
    ).one()
    assert row.details["before"]["timezone"] == "Europe/London"


def test_it_lets_staff_read_but_not_change_settings(client, bob, app):
    login(client, bob)
    page = client.get("/settings").get_data(as_text=True)
    assert "Only an owner can change these." in page
    token = csrf_token(client, "/settings")
    assert (
        client.post(
            "/settings", data={"name": "Hacked", "timezone": "UTC", "csrf_token": token}
        ).status_code
        == 403
    )
