"""Changing a password, resetting a forgotten one by an emailed single-use link, and an
owner removing a member (with a confirm step); each ends the sessions it should."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, login
from webapp.core.extensions import db
from webapp.models import Membership, OutboxMessage, PasswordReset

NEW = "a brand new passphrase"


def _in_own_context(app, request):
    """A request in an app context of its own: the test's context (and its `g`, where
    Flask-Login keeps the request's user) is shared by every request made in it. Its
    session's snapshot is then stale, so it is ended."""
    with app.app_context():
        response = request()
    db.session.rollback()
    return response


def _change(client, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/account",
        data={
            "current": current,
            "password": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, "/account"),
        },
    )


def _can_sign_in(app, email: str, password: str) -> bool:
    browser = app.test_client()

    def attempt():
        token = csrf_token(browser, "/login")
        data = {"email": email, "password": password, "csrf_token": token}
        return browser.post("/login", data=data)

    return _in_own_context(app, attempt).status_code == 302


def test_it_changes_the_password_and_signs_other_sessions_out(app, client, alice):
    login(client, alice)
    phone = app.test_client()
    _in_own_context(app, lambda: login(phone, alice))

    wrong = _change(client, "not my password", NEW)
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    short = _change(client, PASSWORD, "short")
    assert short.status_code == 422
    assert "Use at least 8 characters." in short.get_data(as_text=True)
    mismatch = _change(client, PASSWORD, NEW, confirm="something else")
    assert "The passwords don" in mismatch.get_data(as_text=True)

    done = _change(client, PASSWORD, NEW)
    assert done.status_code == 302
    assert "1 other session signed out" in client.get("/account").get_data(as_text=True)
    assert _in_own_context(app, lambda: phone.get("/")).status_code == 302  # signed out
    assert client.get("/").status_code == 200  # this browser stays
    assert not _can_sign_in(app, alice.email, PASSWORD)
    assert _can_sign_in(app, alice.email, NEW)


def _ask_reset(client, email: str):
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": email, "csrf_token": token})
    db.session.rollback()  # the email committed after the response, on its own connection
    return response


def _reset_emails() -> list[OutboxMessage]:
    db.session.rollback()  # the email committed on a connection of its own
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "password_reset"))
    )


def _link_path(message: OutboxMessage) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/password/reset/\S+)", message.body_text).group(1)


def test_the_sign_in_page_links_to_the_reset_form(client, app):
    assert 'href="/password/forgot">Forgot password?' in client.get("/login").get_data(as_text=True)


def test_it_answers_the_same_for_an_email_without_an_account(client, alice):
    unknown = _ask_reset(client, "nobody@example.com")
    known = _ask_reset(client, alice.email)
    assert unknown.status_code == known.status_code == 200

    def text(r):
        return r.get_data(as_text=True).replace("nobody@example.com", "X").replace(alice.email, "X")

    assert text(unknown) == text(known)
    assert [m.to for m in _reset_emails()] == [alice.email]


def test_it_resets_by_a_single_use_link_and_ends_every_session(app, client, alice):
    login(client, alice)
    browser = app.test_client()
    assert _in_own_context(app, lambda: _ask_reset(browser, alice.email)).status_code == 200
    (message,) = _reset_emails()
    path = _link_path(message)
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalars(select(PasswordReset.token_hash)).one()
    assert token not in stored and len(stored) == 64  # only a hash is kept

    page = _in_own_context(app, lambda: browser.get(path))
    assert page.headers["Referrer-Policy"] == "no-referrer"

    def post(password, confirm):
        data = {"password": password, "confirm": confirm, "csrf_token": csrf_token(browser, path)}
        return browser.post(path, data=data)

    assert _in_own_context(app, lambda: post("short", "short")).status_code == 422
    assert _in_own_context(app, lambda: post(NEW, NEW)).status_code == 302
    assert _in_own_context(app, lambda: client.get("/")).status_code == 302  # signed out
    assert _can_sign_in(app, alice.email, NEW)
    again = _in_own_context(app, lambda: browser.get(path))
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)


def test_a_reset_link_expires(app, client, alice, clock):
    _ask_reset(client, alice.email)
    path = _link_path(_reset_emails()[0])
    clock.advance(minutes=app.config["PASSWORD_RESET_MINUTES"] + 1)
    assert client.get(path).status_code == 410
    assert client.get("/password/reset/made-up-token").status_code == 410


def test_it_limits_reset_requests_per_email(client, alice):
    for _ in range(3):
        assert _ask_reset(client, alice.email).status_code == 200
    refused = _ask_reset(client, alice.email)
    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.get_data(as_text=True)
    assert len(_reset_emails()) == 3


def test_an_owner_removes_a_member_after_a_confirm_step(app, client, alice, bob):
    bobs_browser = app.test_client()
    _in_own_context(app, lambda: login(bobs_browser, bob))
    login(client, alice)
    bob_m = db.session.scalars(select(Membership).where(Membership.user_id == bob.id)).one()
    team = client.get("/settings/team").get_data(as_text=True)
    assert f'href="/settings/team/members/{bob_m.id}/remove"' in team

    confirm = client.get(f"/settings/team/members/{bob_m.id}/remove")
    assert "Remove Bob Staff?" in confirm.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Membership, bob_m.id) is not None  # asking removes nothing

    token = csrf_token(client, f"/settings/team/members/{bob_m.id}/remove")
    response = client.post(f"/settings/team/members/{bob_m.id}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Membership, bob_m.id) is None
    assert _in_own_context(app, lambda: bobs_browser.get("/")).status_code == 302  # signed out


def test_an_owner_cannot_remove_themselves(client, alice, alice_org, bob):
    bob_m = db.session.scalars(select(Membership).where(Membership.user_id == bob.id)).one()
    bob_m.role = "owner"  # even with another owner left
    db.session.commit()
    login(client, alice)
    alice_m = db.session.scalars(select(Membership).where(Membership.user_id == alice.id)).one()
    token = csrf_token(client, "/settings/team")
    page = client.post(
        f"/settings/team/members/{alice_m.id}/remove",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "You can&#39;t remove yourself" in page.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Membership, alice_m.id) is not None
