"""The fixed cost of a signed-in request, in statements (issue 17): the user, their
memberships and workspaces are one statement, and the health widget reads what it shows
with one statement per kind of fact (no second read of the workspace it already has)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask.globals import app_ctx
from sqlalchemy import event

from tests.conftest import START, login
from tests.ops.factories import add_jobs, open_breaker
from webapp.core.extensions import db
from webapp.models import Organization

HX = {"HX-Request": "true"}


@contextmanager
def as_a_server() -> Iterator[None]:
    """Requests each in their own app context, as under gunicorn: the tests' outer context
    would otherwise keep the signed-in user on `g` from one request to the next."""
    ctx = app_ctx._get_current_object()
    db.session.remove()
    ctx.pop()
    try:
        yield
    finally:
        ctx.push()


def statements_of(client, url: str, headers: dict | None = None) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(" ".join(statement.split()))

    engine = db.engine
    with as_a_server():
        assert client.get(url, headers=headers or {}).status_code == 200  # warm
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(url, headers=headers or {})
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def test_a_signed_in_page_reads_the_user_and_workspaces_in_one_statement(
    client, alice, alice_org, charlie
):
    login(client, alice)

    seen = statements_of(client, "/account")

    assert len(seen) == 1, seen  # was 3: the user, then memberships, then the workspace
    assert "user_sessions" in seen[0] and "memberships" in seen[0]


def test_the_switcher_still_lists_every_workspace_of_the_user(client, alice, alice_org, charlie):
    from tests.conftest import add_member, org_of

    add_member(alice, org_of(charlie), "staff")
    login(client, alice)

    with as_a_server():
        html = client.get("/account").get_data(as_text=True)

    assert "Alice Bakes" in html and "Charlie Cuts" in html


def test_the_widget_reads_each_fact_once_and_not_the_workspace_again(client, alice, alice_org):
    login(client, alice)

    seen = statements_of(client, "/health/widget", HX)

    # The user (with memberships and workspace), breakers, credentials, setup runs, job
    # runs, pending and finished queue jobs, open alerts: was 11.
    assert len(seen) == 8, seen
    assert not any(s.startswith("SELECT organizations.id, organizations.name") for s in seen)


def test_the_widget_shows_a_change_at_once(client, alice, alice_org):
    org_id = alice_org.id
    login(client, alice)
    with as_a_server():
        assert 'data-status="healthy"' in client.get("/health/widget", headers=HX).text

    open_breaker(org_id, "twilio", "THIRD_PARTY_AUTH_FAILED", "Twilio 401")
    with as_a_server():
        html = client.get("/health/widget", headers=HX).text
    assert 'data-status="unhealthy"' in html
    assert "SMS sending is paused" in html

    add_jobs(
        db.session.get(Organization, org_id), 101, run_at=START - timedelta(hours=2), prefix="late"
    )
    with as_a_server():
        html = client.get("/health/widget", headers=HX).text
    assert "1 more issue on the health page" in html
