"""Plain words in a browser: the health, scheduler, integrations and activity pages read as
sentences, and "Technical details" opens to show support the raw code, kind or process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import release_db, shot, sign_in
from tests.ops.factories import open_breaker
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import Organization, ProvisioningRun, SchedulerNode, User
from webapp.services.activity import log_activity


@pytest.mark.parametrize("width", [1280, 390])
def test_technical_details_are_folded_and_open_for_support(
    live_server: str, page: Page, alice: User, alice_org: Organization, width: int
) -> None:
    now, email = system_now(), alice.email
    open_breaker(alice_org.id, "twilio", "THIRD_PARTY_AUTH_FAILED", "HTTP 401", at=now)
    db.session.add(
        SchedulerNode(id="vm-14568", hostname="vm", pid=14568, started_at=now, seen_at=now)
    )
    db.session.add(
        ProvisioningRun(
            org_id=alice_org.id, trigger="wizard", status="failed", progress=80,
            current_step="smoke_tests", attempts=1, error="The connection tests failed.",
            created_at=now, updated_at=now,
        )
    )  # fmt: skip
    for i in range(7):
        log_activity(
            db.session, alice_org, "ai.fallback",
            "OpenAI did not answer, so the built-in writer wrote this message.",
            now=now - timedelta(minutes=10 - i), details={"error_class": "RATE_LIMITED"},
        )  # fmt: skip
    log_activity(
        db.session, alice_org, "integration.connection_tested",
        "Email (SMTP) connection test failed (INTEGRATION_OFFLINE).", now=now,
    )  # fmt: skip
    db.session.commit()
    release_db()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, email)

    page.goto(f"{live_server}/health")
    expect(page.get_by_text("Connection tests").first).to_be_visible()
    expect(page.get_by_text("smoke_tests")).to_have_count(0)
    row = page.locator("#integration-twilio")
    expect(row).to_contain_text("The provider refused the login details.")
    expect(row.get_by_text("THIRD_PARTY_AUTH_FAILED")).to_be_hidden()
    row.locator("summary").click()
    expect(row.get_by_text("THIRD_PARTY_AUTH_FAILED")).to_be_visible()
    shot(page, f"words-health-{width}")

    page.goto(f"{live_server}/scheduler")
    expect(page.get_by_text("The scheduler is running")).to_be_visible()
    expect(page.get_by_text("vm pid 14568")).to_be_hidden()
    shot(page, f"words-scheduler-{width}")

    page.goto(f"{live_server}/activity")
    expect(page.get_by_text("test failed: the service could not be reached.")).to_be_visible()
    expect(page.locator(".repeat-count")).to_have_text("× 7")
    shot(page, f"words-activity-{width}")

    page.goto(f"{live_server}/settings/integrations")
    expect(page.get_by_text("the provider refused the login details").first).to_be_visible()
    shot(page, f"words-integrations-{width}")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_coach_goal_is_the_customers_next_step(
    live_server: str, page: Page, alice: User, width: int
) -> None:
    email = alice.email
    release_db()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/coach/settings")
    goal = page.get_by_label("Next step for the customer")
    goal.fill("Get new enquiries to order their first celebration cake")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Customers read this: write it as their next step")).to_be_visible()
    shot(page, f"words-coach-settings-{width}")
