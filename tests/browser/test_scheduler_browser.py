"""The scheduler page: a job's schedule in words, Run now updating its row in place."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot, sign_in
from webapp.models import User

RUN_TIMEOUT_MS = 10_000  # the row polls every 2 s while the run is going


def test_it_runs_housekeeping_now_and_updates_the_row_in_place(
    live_server: str, page: Page, alice: User
) -> None:
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/scheduler")
    row = page.locator("#job-housekeeping")
    expect(row.get_by_role("cell", name="Every hour at :05")).to_be_visible()
    expect(row.locator(".last-run")).to_have_text("Never ran")
    expect(page.get_by_text("No scheduler process is running")).to_be_visible()
    shot(page, "scheduler-never-ran")

    page.evaluate("window.__sameDocument = true")
    url = page.url
    with page.expect_response(
        lambda r: r.url.endswith("/scheduler/jobs/housekeeping/run")
    ) as posted:
        row.get_by_role("button", name="Run now").click()
    assert posted.value.status == 200

    last = page.locator("#job-housekeeping .last-run")
    expect(last.locator(".status")).to_have_text("Succeeded", timeout=RUN_TIMEOUT_MS)
    expect(last).to_contain_text("manual")
    expect(page.locator("#job-housekeeping").get_by_role("button", name="Run now")).to_be_enabled()
    assert page.url == url
    assert page.evaluate("window.__sameDocument === true"), "Run now reloaded the whole page"

    recent = page.locator("#job-housekeeping details")
    recent.locator("summary").click()
    expect(recent).to_contain_text("stale leases recovered: 0")
    shot(page, "scheduler-after-run-now")


def test_it_shows_support_the_scheduler_without_run_now(
    live_server: str, page: Page, support_user: User
) -> None:
    sign_in(page, live_server, support_user)
    page.goto(f"{live_server}/scheduler")
    expect(page.get_by_text("support · read-only")).to_be_visible()
    row = page.locator("#job-housekeeping")
    expect(row.get_by_role("cell", name="Every hour at :05")).to_be_visible()
    expect(page.get_by_role("button", name="Run now")).to_have_count(0)
    expect(page.get_by_label("Workspace runs")).to_be_visible()
    shot(page, "scheduler-support")
