"""Every route that takes an id answers 404 to a member of another workspace.

The sweep walks the URL map, so routes added later are covered by themselves: a route
whose `*_id` argument has no factory below fails the sweep until one is added.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import START, login, make_user
from webapp.extensions import db
from webapp.models import Membership, Organization, User
from webapp.services import accounts


def _invite(org: Organization, owner: User) -> int:
    m = accounts.membership(db.session, owner, org.id)
    invite, _token = accounts.create_invite(db.session, m, "staff", "sweep", now=START)
    db.session.commit()
    return invite.id


def _membership(org: Organization, _owner: User) -> int:
    teammate = make_user("sweep-teammate@example.com", "Teammate")
    m = Membership(org_id=org.id, user_id=teammate.id, role="staff", created_at=START)
    db.session.add(m)
    db.session.commit()
    return m.id


# Argument name -> builds one of Alice's objects and returns its id.
FACTORIES: dict[str, Callable[[Organization, User], int]] = {
    "invite_id": _invite,
    "membership_id": _membership,
    "org_id": lambda org, _owner: org.id,
}


def _id_routes(app: Flask) -> list:
    return [
        rule for rule in app.url_map.iter_rules()
        if any(arg.endswith("_id") for arg in rule.arguments)
    ]


def test_it_finds_the_id_routes(app):
    endpoints = {rule.endpoint for rule in _id_routes(app)}
    assert {"workspace.revoke_invite", "workspace.remove_member", "workspace.switch"} <= endpoints


def test_it_answers_404_to_an_outsider_on_every_id_route(app, client, alice, alice_org, charlie):
    app.config["WTF_CSRF_ENABLED"] = False  # so a refused request is the 404 we test, not a 400
    ids: dict[str, int] = {}
    missing = []
    for rule in _id_routes(app):
        for arg in rule.arguments:
            if not arg.endswith("_id"):
                continue
            if arg not in FACTORIES:
                missing.append(f"{rule.rule} ({arg})")
            elif arg not in ids:
                ids[arg] = FACTORIES[arg](alice_org, alice)
    assert not missing, f"add a factory for these id routes to the tenancy sweep: {missing}"

    login(client, charlie)
    checked = 0
    for rule in _id_routes(app):
        values = {arg: ids.get(arg, "x") for arg in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={})
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            checked += 1
    assert checked >= 3

    # And nothing of Alice's changed.
    invite = db.session.get(accounts.Invite, ids["invite_id"])
    assert invite.revoked_at is None
    assert db.session.get(Membership, ids["membership_id"]) is not None


@pytest.mark.parametrize("org_id_offset", [0, 999])
def test_it_hides_whether_a_workspace_exists(app, client, charlie, alice_org, org_id_offset):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, charlie)
    response = client.post(f"/workspaces/{alice_org.id + org_id_offset}/switch")
    assert response.status_code == 404
