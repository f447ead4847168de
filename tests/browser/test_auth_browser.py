"""Sign up, field errors in place, a wrong password, signing in by keyboard, signing out."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import release_db, shot
from tests.conftest import PASSWORD as ALICE_PASSWORD
from webapp.models import User

PASSWORD = "flour and butter 42"


def _posted(response: Response, path: str) -> bool:
    return response.request.method == "POST" and response.url.split("?")[0].endswith(path)


def _tab_to(page: Page, element_id: str, limit: int = 15) -> None:
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_it_signs_up_and_lands_on_the_dashboard(live_server: str, page: Page) -> None:
    release_db()
    page.goto(f"{live_server}/signup")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Your name").fill("Dana Florist")
    page.get_by_label("Email").fill("dana@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill("flour and butter 24")
    page.get_by_label("Business name").fill("Dana's Flowers")
    page.get_by_label("Business time zone").select_option("Europe/Paris")
    shot(page, "signup-filled")

    with page.expect_response(lambda r: _posted(r, "/signup")) as first:
        page.get_by_role("button", name="Create account").click()
    assert first.value.status == 422

    # The error sits by the field it is about, and nothing typed is lost.
    error = page.locator("#confirm-error")
    expect(error).to_have_text("The passwords don't match.")
    expect(page.get_by_label("Repeat password")).to_have_attribute(
        "aria-describedby", "confirm-error"
    )
    expect(page.get_by_label("Your name")).to_have_value("Dana Florist")
    expect(page.get_by_label("Email")).to_have_value("dana@example.com")
    expect(page.get_by_label("Business name")).to_have_value("Dana's Flowers")
    expect(page.get_by_label("Business time zone")).to_have_value("Europe/Paris")
    shot(page, "signup-errors")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dana's Flowers")
    expect(page.locator(".flashes")).to_contain_text("Welcome, Dana Florist!")
    expect(page.locator("body > footer")).to_contain_text("Europe/Paris")
    shot(page, "dashboard-new-workspace")


def test_it_refuses_a_wrong_password_then_signs_in_by_keyboard_and_out(
    live_server: str, page: Page, alice: User
) -> None:
    email = alice.email
    release_db()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    with page.expect_response(lambda r: _posted(r, "/login")) as wrong:
        page.get_by_role("button", name="Sign in").click()
    assert wrong.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    expect(page.get_by_label("Email")).to_have_value(email)
    shot(page, "login-wrong-password")

    # Keyboard only: Tab to the field, type, Tab on, Enter submits.
    page.goto(f"{live_server}/login")
    _tab_to(page, "email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(ALICE_PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Bakes")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.locator(".flashes")).to_contain_text("You are signed out.")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
