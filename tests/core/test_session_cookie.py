"""A signed-in page does not rewrite the session cookie when nothing in it changed (issue 17:
the chosen workspace was written back on every request, re-signing the cookie each time)."""

from __future__ import annotations

from tests.conftest import login


def test_a_page_leaves_an_unchanged_session_cookie_alone(app, client, alice, alice_org):
    login(client, alice)
    client.get("/leads")
    again = client.get("/leads")
    assert again.status_code == 200
    assert not any(
        h.startswith(app.config.get("SESSION_COOKIE_NAME", "session") + "=")
        for h in again.headers.getlist("Set-Cookie")
    )
