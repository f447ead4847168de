"""Sign up, sign in (with its rate limit), sign out."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, login
from webapp.core.extensions import db
from webapp.models import ActivityLog, Membership, Organization, User


def _signup(client, **over):
    data = {
        "name": "Dora Florist",
        "email": "Dora@Example.com",
        "password": "petals-and-stems",
        "confirm": "petals-and-stems",
        "workspace": "Dora's Flowers",
        "timezone": "Europe/Paris",
    }
    data.update(over)
    data["csrf_token"] = csrf_token(client, "/signup")
    return client.post("/signup", data=data)


def test_it_signs_up_a_user_with_a_workspace(client, app):
    response = _signup(client)
    assert response.status_code == 302
    user = db.session.scalars(select(User)).one()
    assert user.email == "dora@example.com"
    org = db.session.scalars(select(Organization)).one()
    assert (org.name, org.timezone) == ("Dora's Flowers", "Europe/Paris")
    assert db.session.scalars(select(Membership)).one().role == "owner"
    assert db.session.scalars(select(ActivityLog.type)).all() == ["workspace.created"]
    page = client.get("/").get_data(as_text=True)
    assert "Dora&#39;s Flowers" in page or "Dora's Flowers" in page


def test_it_shows_field_errors_and_keeps_what_was_typed(client, app):
    response = _signup(client, confirm="different", email="not-an-email", timezone="Mars/Base")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The passwords don&#39;t match." in html or "The passwords don't match." in html
    assert "Enter a valid email address." in html
    assert "Choose a time zone from the list." in html
    assert 'value="Dora Florist"' in html
    assert db.session.scalar(select(User.id)) is None


def test_it_refuses_a_taken_email(client, alice):
    response = _signup(client, email="ALICE@example.com")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_it_signs_in_and_out(client, alice):
    login(client, alice)
    assert client.get("/").status_code == 200
    token = csrf_token(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_it_says_clearly_when_the_password_is_wrong(client, alice):
    response = client.post(
        "/login",
        data={"email": alice.email, "password": "nope", "csrf_token": csrf_token(client, "/login")},
    )
    assert response.status_code == 401
    assert "don&#39;t match" in response.get_data(as_text=True)


def test_it_rate_limits_repeated_failures(client, alice, clock, app):
    token = csrf_token(client, "/login")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert (
            client.post(
                "/login", data={"email": alice.email, "password": "bad", "csrf_token": token}
            ).status_code
            == 401
        )
    # Even the right password is refused while locked out, with the wait in words.
    response = client.post(
        "/login", data={"email": alice.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.get_data(
        as_text=True
    )
    clock.advance(minutes=16)
    response = client.post(
        "/login", data={"email": alice.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_it_never_redirects_to_another_site_after_login(client, alice):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": alice.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_it_rejects_a_form_without_its_csrf_token(client, alice):
    response = client.post("/login", data={"email": alice.email, "password": PASSWORD})
    assert response.status_code in (200, 400, 422)
    assert client.get("/").status_code == 302  # not signed in


def test_it_sends_signed_out_htmx_requests_to_the_login_page(client, app):
    response = client.get("/activity", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_it_ignores_x_forwarded_for_unless_proxies_are_trusted(client, alice, app):
    # TRUSTED_PROXIES is 0: a client choosing its own X-Forwarded-For escapes no limit.
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 2
    token = csrf_token(client, "/login")
    for n in range(2):
        response = client.post(
            "/login",
            data={"email": f"guess{n}@example.com", "password": "x", "csrf_token": token},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        assert response.status_code == 401
    response = client.post(
        "/login",
        data={"email": alice.email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "198.51.100.77"},
    )
    assert response.status_code == 429
