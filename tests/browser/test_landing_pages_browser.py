"""A landing page in a real browser: the owner drafts and publishes it; a visitor (no
cookies, every request to our own origin) reads it, passes axe, sends the form, and the
lead arrives in the inbox with the campaign as its source; unpublished it is gone, and
another workspace's address never shows it."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.browser.axe_check import assert_axe_clean
from tests.browser.conftest import TIMEOUT_MS, overflow, release_db, shot, sign_in
from tests.conftest import START, org_of
from tests.landing_pages.helpers import campaign, profile
from tests.landing_pages.helpers import page as make_page
from webapp.core.extensions import db
from webapp.models import LandingPage, Lead, Organization, User
from webapp.services.marketing import save_brand

PHONE = (390, 844)


def _logo() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGBA", (480, 120), (255, 255, 255, 0))
    for x in range(480):
        for y in range(30, 90):
            if (x // 40) % 2 == 0:
                image.putpixel((x, y), (255, 255, 255, 255))
    image.save(out, format="PNG")
    return out.getvalue()


def _visitor(browser: Browser, viewport=(1280, 800)):
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _both_widths(page: Page, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    width_over = overflow(page)
    assert width_over <= 0, f"{name} scrolls sideways at 390 px by {width_over}px"
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_publish_visit_submit_and_the_lead_arrives(
    live_server: str, browser: Browser, page: Page, alice: User, alice_org: Organization
) -> None:
    profile(
        alice_org,
        description="We bake sourdough and cakes every morning in our Leeds kitchen.",
        who="office teams",
        where="Leeds",
        value="Real bread, delivered by 8am.",
    )
    spring = campaign(
        alice_org, "Office breakfasts", offer="a free pastry box with the first order"
    )
    org_id, spring_id = alice_org.id, spring.id
    save_brand(
        db.session,
        alice_org,
        {
            "primary_color": "#7c2d12",
            "accent_color": "#fbbf24",
            "language": "en",
            "public_slug": "alice-bakes",
            "website": "https://alicebakes.example",
            "phone": "0113 496 0000",
            "postal_address": "1 Oven Lane\nLeeds LS1 1AA",
        },
        logo=_logo(),
        remove_logo=False,
        actor_id=None,
        now=START,
    )
    sign_in(page, live_server, alice)

    page.goto(f"{live_server}/settings/brand")
    expect(page.get_by_label("Primary colour")).to_have_value("#7c2d12")
    expect(page.get_by_role("img", name="Your current logo")).to_be_visible()
    assert_axe_clean(page)
    _both_widths(page, "brand")

    page.goto(f"{live_server}/landing-pages")
    expect(page.get_by_text("No landing pages yet")).to_be_visible()
    page.get_by_label("For the campaign").select_option(label="Office breakfasts")
    page.get_by_role("button", name="Write a new landing page").click()
    expect(page.get_by_role("heading", name="Office breakfasts", level=1)).to_be_visible()
    expect(page.get_by_label("Headline")).not_to_have_value("")
    page.get_by_label("Testimonial 1: quote").fill("The croissants vanish before 9 every Friday.")
    page.get_by_label("Testimonial 1: who said it").fill("Priya, office manager at Leeds Print Co.")
    page.get_by_role("button", name="Save page").click()
    expect(page.get_by_text("Page saved.")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published. Your page is live at")).to_be_visible()
    _both_widths(page, "landing-editor")
    public_url = page.locator(".lp-url a").get_attribute("href")
    assert public_url.startswith(f"{live_server}/p/alice-bakes/office-breakfasts")

    # A visitor: a fresh browser context, every request recorded.
    release_db()
    visitor = _visitor(browser)
    requests: list[str] = []
    visitor.on("request", lambda request: requests.append(request.url))
    tab = visitor.new_page()
    tab.goto(public_url)
    expect(tab.get_by_role("heading", level=1)).to_be_visible()
    expect(tab.get_by_text("The croissants vanish before 9 every Friday.")).to_be_visible()
    logo = tab.get_by_role("img", name="Alice Bakes logo")
    expect(logo).to_be_visible()
    assert (logo.get_attribute("width"), logo.get_attribute("height")) == ("220", "55")
    assert tab.evaluate("document.querySelector('.lp-brand img').naturalWidth") == 480
    assert_axe_clean(tab)
    _both_widths(tab, "landing-public")

    tab.get_by_label("Your name").fill("Dana Whitfield")
    tab.get_by_label("Email").fill("dana@leedsprint.example")
    tab.get_by_label("Message (optional)").fill("Breakfast for 25 on Fridays?")
    tab.locator("form.lp-form").get_by_role("button").click()
    expect(tab.get_by_role("status")).to_contain_text("Alice Bakes")
    assert_axe_clean(tab)
    shot(tab, "landing-public-thanks-1280")

    origin = urlsplit(live_server).netloc
    assert requests and all(urlsplit(url).netloc == origin for url in requests), requests
    assert visitor.cookies() == []
    visitor.close()

    lead = db.session.scalars(select(Lead).where(Lead.org_id == org_id)).one()
    assert (lead.full_name, lead.source) == ("Dana Whitfield", "office_breakfasts")
    release_db()
    page.goto(f"{live_server}/leads")
    row = page.locator("#lead-results tbody tr", has_text="Dana Whitfield")
    expect(row).to_contain_text("office_breakfasts")

    # The editor counts the view and the submission.
    landing_id = db.session.scalars(
        select(LandingPage.id).where(LandingPage.marketing_campaign_id == spring_id)
    ).one()
    release_db()
    page.goto(f"{live_server}/landing-pages/{landing_id}")
    figures = page.locator(".lp-figures")
    expect(figures).to_contain_text("Views1")
    expect(figures).to_contain_text("100.0 %")


def test_unpublished_is_gone_and_another_workspace_never_shows_it(
    live_server: str,
    browser: Browser,
    page: Page,
    alice: User,
    alice_org: Organization,
    charlie: User,
) -> None:
    mine = make_page(alice_org, published=True)
    theirs_org = org_of(charlie)
    make_page(theirs_org, published=True)
    db.session.refresh(alice_org)
    db.session.refresh(theirs_org)
    mine_url = f"{live_server}/p/{alice_org.public_slug}/{mine.slug}"
    crossed_url = f"{live_server}/p/{theirs_org.public_slug}/{mine.slug}"
    mine_id = mine.id
    release_db()
    visitor = _visitor(browser).new_page()
    assert visitor.goto(mine_url).status == 200
    crossed = visitor.goto(crossed_url)
    assert crossed.status == 404
    expect(visitor.get_by_role("heading", name="Page not found")).to_be_visible()

    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server}/landing-pages/{mine_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Unpublish").click()
    expect(page.get_by_text("Unpublished.")).to_be_visible()
    assert visitor.goto(mine_url).status == 404
    # The preview still shows the draft to the signed-in owner, not to the visitor.
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("note")).to_contain_text("draft, not public yet")
    expect(page.locator("form.lp-form").get_by_role("button")).to_be_disabled()
    visitor.goto(f"{live_server}/landing-pages/{mine_id}/preview")
    expect(visitor.get_by_label("Email")).to_be_visible()  # the sign-in form
    assert "/login" in visitor.url


def test_a_german_page_reads_german_and_passes_axe(
    live_server: str, browser: Browser, alice_org: Organization
) -> None:
    profile(
        alice_org,
        description="Wir backen jeden Morgen Sauerteigbrot in Leipzig.",
        who="Büros in Leipzig",
        where="Leipzig",
        value="Frisches Brot bis 8 Uhr geliefert.",
    )
    save_brand(
        db.session,
        alice_org,
        {
            "primary_color": "#ffe066",
            "accent_color": "#1e3a8a",
            "language": "de",
            "public_slug": "alice-backt",
        },
        logo=None,
        remove_logo=False,
        actor_id=None,
        now=START,
    )
    landing = make_page(
        alice_org,
        campaign(alice_org, "Frühstück fürs Büro", type="referral", offer="ein Croissant gratis"),
        published=True,
    )
    url = f"{live_server}/p/alice-backt/{landing.slug}"
    release_db()
    context = _visitor(browser, PHONE)
    tab = context.new_page()
    tab.goto(url)
    assert tab.evaluate("document.documentElement.lang") == "de"
    expect(tab.get_by_label("E-Mail")).to_be_visible()
    expect(tab.get_by_role("heading", name="Fragen und Antworten")).to_be_visible()
    # White on this light yellow would fail AA: the hero's text is dark instead.
    colour = tab.evaluate("getComputedStyle(document.querySelector('.lp-hero h1')).color")
    assert colour == "rgb(17, 24, 39)"
    assert_axe_clean(tab)
    shot(tab, "landing-public-de-390")
    context.close()
