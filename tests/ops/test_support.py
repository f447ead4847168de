"""Support reads every workspace's activity and scheduler, and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import START, csrf_token, login
from webapp.core.extensions import db
from webapp.models import Invite, JobRun
from webapp.services.activity.log import log_activity


def test_it_shows_support_every_workspace_filterable(client, support_user, alice_org, charlie):
    log_activity(db.session, alice_org, "alice.thing", "Alice's thing", now=START)
    db.session.commit()
    login(client, support_user)
    html = client.get("/activity").get_data(as_text=True)
    assert "alice.thing" in html and "Charlie Cuts" in html  # both workspaces, labelled
    only_alice = client.get(f"/activity?org={alice_org.id}").get_data(as_text=True)
    assert "alice.thing" in only_alice and "Charlie Outsider created" not in only_alice
    assert "All workspaces" in html


def test_it_lets_support_see_the_scheduler_without_run_buttons(client, support_user):
    login(client, support_user)
    html = client.get("/scheduler").get_data(as_text=True)
    assert "Housekeeping" in html and "Run now" not in html


def test_it_refuses_every_change_from_support(client, app, support_user, alice_org):
    login(client, support_user)
    token = csrf_token(client)
    assert (
        client.post("/scheduler/jobs/housekeeping/run", data={"csrf_token": token}).status_code
        == 403
    )
    assert db.session.scalar(select(func.count(JobRun.id))) == 0
    assert (
        client.post(
            "/settings/team/invites", data={"role": "staff", "csrf_token": token}
        ).status_code
        == 403
    )
    assert db.session.scalar(select(func.count(Invite.id))) == 0
    assert (
        client.post(
            "/settings", data={"name": "x", "timezone": "UTC", "csrf_token": token}
        ).status_code
        == 403
    )
    # Signing out still works.
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_it_keeps_staff_to_their_own_workspace(client, bob, charlie):
    login(client, bob)
    html = client.get("/activity").get_data(as_text=True)
    assert "Charlie" not in html
    assert "All workspaces" not in html
