"""Sign-in sessions end on the server: a cookie saved before signing out (or before the
password changed, or before its owner was removed) neither reads nor writes any more."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import Lead, UserSession


def _saved_cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A fresh browser holding only the saved cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _in_own_context(app, request):
    """A request in an app context of its own: the test's context (and its `g`, where
    Flask-Login keeps the request's user) is shared by every request made in it. Its
    session's snapshot is then stale, so it is ended."""
    with app.app_context():
        response = request()
    db.session.rollback()
    return response


def test_a_cookie_saved_before_sign_out_no_longer_reads_or_writes(app, client, alice):
    login(client, alice)
    saved = _saved_cookie(client)
    token = csrf_token(client, "/leads/new")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    thief = _replay(app, saved)
    assert _in_own_context(app, lambda: thief.get("/leads")).status_code == 302  # to sign-in
    response = _in_own_context(
        app,
        lambda: thief.post(
            "/leads/new", data={"name": "Mallory", "email": "m@example.com", "csrf_token": token}
        ),
    )
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_signing_out_ends_only_that_browsers_session(app, client, alice):
    login(client, alice)
    laptop = app.test_client()
    _in_own_context(app, lambda: login(laptop, alice))
    db.session.rollback()  # a fresh snapshot: the laptop signed in on another connection
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 2
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert _in_own_context(app, lambda: laptop.get("/")).status_code == 200
    assert _in_own_context(app, lambda: client.get("/")).status_code == 302
