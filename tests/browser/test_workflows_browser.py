"""Workflows in a browser: the empty list, the abandoned-cart workflow built from its
template and activated (with the confirmation), events posted through the API, and the
run's step log with the reason its branch was taken. Screenshots at desktop and phone
width."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, shot, sign_in
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import Organization, User
from webapp.services.accounts import api_keys, people
from webapp.services.leads import capture_lead
from webapp.services.workflows import run_due_steps


def _shots(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_abandoned_cart_template_runs_and_shows_its_step_log(
    app, live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    now = datetime.now(UTC)
    capture_lead(
        db.session,
        alice_org.id,
        {"name": "Ana Lima", "email": "ana@shop.example"},
        source="manual",
        now=now,
    )
    membership = people.membership(db.session, alice, alice_org.id)
    _row, key = api_keys.create_api_key(db.session, membership, "Shop", now=now)
    sign_in(page, live_server, alice)

    page.goto(f"{live_server}/workflows")
    expect(page.locator("#workflows-empty")).to_be_visible()
    _shots(page, "workflows-empty")
    page.get_by_label("Start from").select_option("abandoned_cart")
    page.locator("#create-workflow").click()
    expect(page.get_by_role("heading", name="Abandoned-cart recovery")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#activate-workflow").click()
    expect(page.locator("#workflow-status")).to_have_text("active")

    for name, message_id in (("cart.abandoned", "cart-1"), ("order.placed", "order-1")):
        response = page.request.post(
            f"{live_server}/api/v1/events",
            data={"events": [{"name": name, "contact": {"email": "ana@shop.example"},
                              "properties": {"cart_id": "c-77", "total": 42.5}, "message_id": message_id}]},
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip
        assert response.status == 200, response.text()
        release_db()
        run_due_steps(db.engine, owner="browser-test", clock=system_now)

    page.reload()
    _shots(page, "workflow-show")
    page.get_by_role("link", name="Ana Lima").click()
    log = page.locator("#step-log")
    expect(log).to_contain_text("wait_for_order")
    expect(log).to_contain_text("order.placed arrived")
    expect(log).to_contain_text("on_event branch")
    expect(page.locator("#run-status")).to_have_text("completed")
    _shots(page, "workflow-run")

    page.goto(f"{live_server}/workflows")
    expect(page.locator("#workflow-list")).to_contain_text("Abandoned-cart recovery")
    _shots(page, "workflows-list")
