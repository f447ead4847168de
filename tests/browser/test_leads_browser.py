"""The lead inbox in a browser: empty state, import a CSV with a bad row and read the report,
search in place, change a status inline, open a lead's timeline; the lead-capture page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import release_db, shot, sign_in
from webapp.core.extensions import db
from webapp.models import Lead, LeadEvent, Organization, User

CSV = (
    "Name,Email,Phone,Company,Source\n"
    "Ana Lima,ana@limaltd.com,07911 123456,Lima Ltd,referral\n"
    "Bea Cruz,bea@cruz.io,,Cruz Studio,form\n"
    "Broken Row,not-an-email,,,csv\n"
    "Carl Diaz,carl@gmail.com,+44 7412 345678,,facebook\n"
)


def test_it_imports_searches_changes_a_status_and_shows_a_timeline(
    app, live_server: str, page: Page, alice: User, alice_org: Organization, tmp_path
) -> None:
    app.config["LEAD_IMPORT_DIR"] = str(tmp_path / "imports")
    sign_in(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.wait_for_url(f"{live_server}/leads")
    expect(page.get_by_text("No leads yet")).to_be_visible()
    expect(page.get_by_role("heading", name="1. A form on your website")).to_be_visible()
    shot(page, "leads-empty")

    # Import a CSV with one bad row.
    page.get_by_role("button", name="Import CSV", exact=True).click()
    path = tmp_path / "contacts.csv"
    path.write_text(CSV)
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: contacts.csv")).to_be_visible()
    expect(page.get_by_label("Column “Email” holds")).to_have_value("email")
    expect(page.get_by_label("Column “Phone” holds")).to_have_value("phone")
    expect(page.get_by_label("Column “Source” holds")).to_have_value("source")
    shot(page, "leads-import-preview")
    page.get_by_role("button", name="Import 4 rows").click()
    expect(page.get_by_text("Import finished")).to_be_visible()
    report = page.locator(".import-report")
    expect(report).to_contain_text("3 new leads")
    expect(report).to_contain_text("1 row with problems")
    expect(page.locator(".import-errors tbody tr")).to_have_count(1)
    expect(page.locator(".import-errors tbody tr td").first).to_have_text("4")
    expect(page.locator(".import-errors")).to_contain_text("invalid email")
    shot(page, "leads-import-report")

    # The inbox: three leads, search narrows it in place with the URL pushed.
    page.get_by_role("button", name="See the leads").click()
    page.wait_for_url(f"{live_server}/leads")
    rows = page.locator("#lead-results tbody tr")
    expect(rows).to_have_count(3)
    page.evaluate("window.__sameDocument = true")
    page.get_by_placeholder("Search by name, email, company or phone").fill("lima")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ana Lima")
    expect(page).to_have_url(re.compile(r"/leads\?.*q=lima"))
    assert page.evaluate("window.__sameDocument === true"), "the search reloaded the whole page"
    page.get_by_placeholder("Search by name, email, company or phone").fill("")
    expect(rows).to_have_count(3)
    shot(page, "leads-inbox")

    # Change a status inline.
    ana_id = db.session.scalars(select(Lead.id).where(Lead.email == "ana@limaltd.com")).one()
    release_db()
    select_box = page.get_by_label("Status of Ana Lima")
    select_box.select_option("qualified")
    expect(page.locator(f"#lead-{ana_id} .saved")).to_have_text("Saved")
    expect(page.get_by_label("Status of Ana Lima")).to_have_value("qualified")
    assert page.evaluate("window.__sameDocument === true")
    db.session.expire_all()
    assert db.session.get(Lead, ana_id).status == "qualified"
    release_db()

    # Filter by the new status, then open the lead's timeline.
    page.locator("#lead-filters select[name=status]").select_option("qualified")
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Ana Lima").click()
    page.wait_for_url(f"{live_server}/leads/{ana_id}")
    expect(page.get_by_role("heading", name="Ana Lima")).to_be_visible()
    expect(page.get_by_text("Email at a business domain (limaltd.com)")).to_be_visible()
    timeline = page.locator(".timeline .feed-item")
    expect(timeline).to_have_count(2)
    expect(timeline.first).to_contain_text("changed the status from new to qualified")
    expect(timeline.last).to_contain_text("Arrived through a CSV import")
    page.get_by_label("Notes").fill("Wants a quote for 40 cakes")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_text("Notes saved.")).to_be_visible()
    expect(timeline).to_have_count(3)
    shot(page, "leads-lead-page")
    assert db.session.scalars(select(LeadEvent.type).where(LeadEvent.lead_id == ana_id)).all()


def test_it_creates_an_api_key_once_and_shows_the_form_snippet(
    live_server: str, page: Page, alice: User, alice_org: Organization
) -> None:
    sign_in(page, live_server, alice)
    page.goto(f"{live_server}/settings")
    page.get_by_role("link", name="Lead capture").click()
    expect(page.get_by_label("HTML snippet")).to_contain_text("/f/")
    page.get_by_label("Key name").fill("Website")
    page.get_by_role("button", name="Create API key").click()
    key = page.locator("#new-key")
    expect(key).to_have_value(re.compile(r"^ap_"))
    shot(page, "leads-capture-settings")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("revoked", exact=True)).to_be_visible()
