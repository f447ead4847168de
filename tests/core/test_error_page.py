"""The 500 page after a database error (issue 10, item 6): a failed flush leaves the session
needing a rollback, and the page's layout queries the signed-in user's workspaces — it
crashed with PendingRollbackError instead of showing the friendly page."""

from __future__ import annotations

import pytest
from flask import g

from tests.conftest import login
from webapp.core.extensions import db
from webapp.models import Lead, Organization
from webapp.web.context import org_required


@pytest.fixture
def failing_app(app):
    """The app with a page that fails mid-transaction on a database constraint, answering
    as served (exceptions become the 500 page, not a test traceback)."""

    @org_required
    def fails_midway():
        db.session.get(Organization, g.org.id)  # the transaction has read
        db.session.add(Lead(org_id=g.org.id, full_name=None))  # NOT NULL: the flush fails
        db.session.flush()
        return "unreachable"

    app.add_url_rule("/_test/fails-midway", "fails_midway", fails_midway, methods=["GET", "POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_a_database_error_gives_the_friendly_500_page(failing_app, client, alice, alice_org):
    login(client, alice)

    response = client.get("/_test/fails-midway")

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "Alice Bakes" in html  # the layout's workspace menu: its queries ran after the error


def test_an_htmx_request_gets_the_error_partial(failing_app, client, alice, alice_org):
    login(client, alice)

    response = client.get("/_test/fails-midway", headers={"HX-Request": "true"})

    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_the_next_request_works(failing_app, client, alice, alice_org):
    login(client, alice)
    assert client.get("/_test/fails-midway").status_code == 500
    assert client.get("/leads").status_code == 200
