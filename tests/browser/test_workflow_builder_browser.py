"""The workflow builder in a browser: the abandoned-cart workflow built from a blank one
with the keyboard and the mouse — trigger, steps added (focus moves to each new step and
the addition is announced), one moved up, one removed, a field error shown next to its
field, saved — then "what would this contact get" for a contact. Screenshots at desktop
and phone width."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import overflow, release_db, shot, sign_in
from tests.browser.test_segments_browser import settled
from tests.segments.factories import make_lead, record_event
from webapp.core.extensions import db
from webapp.models import Organization, User, Workflow, WorkflowVersion


def _shots(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"{name}-390")
    width_over = overflow(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert width_over <= 0, f"{name}: {width_over}px wider than a phone screen"


def _add(page: Page, what: str, step_id: str, *, keyboard: bool = False) -> None:
    page.get_by_label("Add a step", exact=False).first.select_option(what)
    if keyboard:
        page.locator("#add-step-button").focus()
        page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="Add at the end").click()
    settled(page)
    expect(page.locator(f"#step-{step_id}")).to_be_focused()
    expect(page.locator("#builder-status")).to_contain_text(f"({step_id})")


def _wait_for_order(page: Page, step_id: str, hours: str) -> None:
    page.locator(f"#f-{step_id}-event").fill("order.placed")
    page.locator(f"#f-{step_id}-match").fill("cart_id")
    page.locator(f"#f-{step_id}-timeout_hours").fill(hours)
    page.locator(f"#f-{step_id}-on_event").select_option("exit")


def test_the_abandoned_cart_is_built_in_the_builder_and_simulated(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    alice_org.timezone = "Europe/Paris"
    ana = make_lead(alice_org.id, "Ana Lima", timezone="America/New_York")
    record_event(
        alice_org.id,
        ana.id,
        "cart.abandoned",
        datetime.now(UTC) - timedelta(minutes=5),
        cart_id="c-77",
    )
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/workflows")
    page.get_by_label("Start from").select_option("blank")
    page.locator("#create-workflow").click()
    expect(page.locator("#step-done")).to_be_visible()
    workflow_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    settled(page)  # htmx has bound the trigger's change before we make one
    page.locator("#f-trigger-kind").select_option("event")
    settled(page)
    page.locator("#f-trigger-event").fill("cart.abandoned")
    _add(page, "wait_event", "wait_event_1", keyboard=True)
    _wait_for_order(page, "wait_event_1", "4")
    _add(page, "email", "email_1")
    page.locator("#f-email_1-subject").fill("You left something in your basket")
    page.locator("#f-email_1-body").fill("Hi {{firstName|there}}, your basket is waiting.")
    page.get_by_role("button", name="Preview step 3's message").click()
    expect(page.locator("#preview-email_1")).to_contain_text("You left something in your basket")
    _add(page, "email", "email_2")
    page.locator("#f-email_2-body").fill("Here is 10% off with COMEBACK10.")
    _add(page, "wait_event", "wait_event_2")
    _wait_for_order(page, "wait_event_2", "24")
    # The second wait belongs before the discount: move it up (focus stays on the button).
    page.get_by_role("button", name="Move step 5 (wait_event_2) up").click()
    settled(page)
    expect(page.locator("#builder-status")).to_have_text(
        "Step wait_event_2 moved up to position 4 of 5."
    )
    expect(page.locator("#up-wait_event_2")).to_be_focused()
    # The blank workflow's exit step goes.
    page.get_by_role("button", name="Remove step 1 (done)").click()
    settled(page)
    expect(page.locator("#builder-status")).to_have_text("Step 1 (done) removed.")
    expect(page.locator("#step-done")).to_have_count(0)
    expect(page.locator("#step-wait_event_1")).to_be_focused()
    steps = page.locator("input[name=step]")
    expect(steps).to_have_count(4)
    assert [steps.nth(i).get_attribute("value") for i in range(4)] == [
        "wait_event_1", "email_1", "wait_event_2", "email_2"
    ]  # fmt: skip

    page.get_by_label("Name").first.fill("Abandoned carts")
    page.get_by_role("button", name="Save workflow").click()
    error = page.locator("#f-email_2-subject-error")
    expect(error).to_have_text("an email needs a subject")
    expect(page.locator("#f-email_2-subject")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-email_2-subject")).to_have_attribute(
        "aria-describedby", "f-email_2-subject-error"
    )
    expect(page.locator("#builder-errors")).to_contain_text(
        "Step email_2: an email needs a subject"
    )
    _shots(page, "workflow-builder-error")
    page.locator("#builder-errors a").first.click()
    expect(page.locator("#f-email_2-subject")).to_be_focused()
    page.locator("#f-email_2-subject").fill("10% off to finish your order")
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_text("Saved as version 1.")).to_be_visible()
    expect(page.locator("#f-trigger-event")).to_have_value("cart.abandoned")
    _shots(page, "workflow-builder")

    release_db()
    workflow = db.session.get(Workflow, workflow_id)
    definition = db.session.get(WorkflowVersion, workflow.current_version_id).definition
    assert workflow.name == "Abandoned carts" and workflow.trigger_key == "cart.abandoned"
    assert [s["id"] for s in definition["steps"]] == [
        "wait_event_1",
        "email_1",
        "wait_event_2",
        "email_2",
    ]
    assert definition["steps"][2] == {
        "id": "wait_event_2", "kind": "wait_event", "event": "order.placed", "match": ["cart_id"],
        "timeout_hours": 24.0, "on_event": "exit", "on_timeout": "",
    }  # fmt: skip
    release_db()

    page.get_by_role("link", name="What would a contact get?").click()
    expect(page.locator("#simulate-empty")).to_be_visible()
    page.get_by_label("Find a contact (name or email)").press_sequentially("ana li")
    page.locator("#contact-matches").get_by_role("link", name="Ana Lima").click()
    expect(page.locator("#sim-trigger")).to_contain_text("cart_id=c-77")
    sim = page.locator("#sim-steps")
    expect(sim).to_contain_text("Waits for order.placed with cart_id=c-77")
    expect(sim).to_contain_text("If no event arrives: timeout branch at")
    expect(sim).to_contain_text("(America/New_York)")
    expect(sim).to_contain_text("Hi Ana, your basket is waiting.")
    expect(sim).to_contain_text("10% off to finish your order")
    expect(page.locator("#sim-end")).to_have_text("The run ends: no steps left.")
    _shots(page, "workflow-simulate")
    assert db.session.scalar(select(Workflow.status).where(Workflow.id == workflow_id)) == "draft"


def test_the_builder_keeps_text_typed_while_a_step_is_re_shown(
    app, live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    from tests.browser.slow import refreshing, slow_posts
    from webapp.services.workflows import create_from_template

    slow_posts(app, refreshing)
    workflow_id = create_from_template(
        db.session, alice_org.id, "welcome", actor_id=None, now=datetime.now(UTC)
    ).id
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/workflows/{workflow_id}")
    # Step 3 becomes an SMS: the builder is re-shown (1.5 s here) while the user edits step 1.
    page.locator("#f-story-channel").select_option("sms")
    page.wait_for_function("() => document.querySelector('.htmx-request')")
    subject = page.locator("#f-hello-subject")
    subject.fill("")
    subject.press_sequentially("Welcome, friend")
    settled(page)
    expect(page.locator("#f-story-subject")).to_have_count(0)  # an SMS has no subject
    expect(subject).to_have_value("Welcome, friend")
    expect(subject).to_be_focused()
