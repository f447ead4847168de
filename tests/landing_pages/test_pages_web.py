"""Landing pages through HTTP: the editor, publishing, the public page and its form into
the lead inbox (the public lead form's path), 404s, and another workspace's slug."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from tests.landing_pages.helpers import campaign, page, profile
from webapp.core.extensions import db
from webapp.models import LandingPage, Lead, Organization
from webapp.services.landing_pages import page_figures
from webapp.services.leads import forms as lead_forms

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}


def _public(org: Organization, row: LandingPage) -> str:
    db.session.refresh(org)
    return f"/p/{org.public_slug}/{row.slug}"


def test_the_owner_writes_publishes_and_a_visitor_becomes_a_lead(client, alice, alice_org):
    profile(
        alice_org,
        description="We bake sourdough in Leeds.",
        who="office teams",
        where="Leeds",
        value="Bread by 8am.",
    )
    spring = campaign(alice_org, "Spring breakfast boxes", offer="a free pastry box")
    login(client, alice)
    token = csrf_token(client, "/landing-pages")
    created = client.post(
        "/landing-pages", data={"csrf_token": token, "marketing_campaign_id": str(spring.id)}
    )
    assert created.status_code == 302
    row = db.session.scalars(select(LandingPage)).one()
    assert row.marketing_campaign_id == spring.id and row.status == "draft"
    editor = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Alice Bakes" in editor and "free pastry box" in editor

    public = f"/p/alice-bakes/{row.slug}"
    assert client.get(public, headers=BROWSER).status_code == 404  # a draft is not public
    client.post(f"/landing-pages/{row.id}/publish", data={"csrf_token": token})
    db.session.refresh(row)
    assert row.status == "published" and row.published_at is not None

    visitor = client.application.test_client()
    shown = visitor.get(public, headers=BROWSER)
    assert shown.status_code == 200
    assert "Set-Cookie" not in shown.headers
    html = shown.get_data(as_text=True)
    assert "<script" not in html and "http://" not in html.replace("http://localhost", "")
    assert 'name="website"' in html  # the lead form's honeypot

    sent = visitor.post(
        public,
        data={
            "full_name": "Dana Office",
            "email": "dana@example.com",
            "message": "20 boxes on Fridays?",
        },
        headers=BROWSER,
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith("?sent=1#form")
    assert "Set-Cookie" not in sent.headers
    thanks = visitor.get(sent.headers["Location"].split("#")[0], headers=BROWSER).get_data(
        as_text=True
    )
    assert "Alice Bakes" in thanks and 'role="status"' in thanks
    lead = db.session.scalars(select(Lead)).one()
    assert lead.email == "dana@example.com" and lead.source == "spring_breakfast_boxes"
    assert lead.extra["message"] == "20 boxes on Fridays?"
    assert lead.extra["landing_page"] == row.title

    # The same person again is merged, not doubled (the inbox's de-duplication).
    visitor.post(
        public, data={"email": "DANA@example.com", "phone": "0113 496 0000"}, headers=BROWSER
    )
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1

    figures = page_figures(db.session, alice_org.id, spring.id)
    assert (figures.views, figures.submissions) == (1, 2)  # the thank-you view is not a view
    assert figures.conversion_rate == 2.0
    editor = client.get(f"/landing-pages/{row.id}").get_data(as_text=True)
    assert "200.0 %" in editor


def test_unpublished_and_unknown_pages_are_404_and_the_preview_needs_sign_in(
    client, alice, alice_org
):
    row = page(alice_org, published=True)
    public = _public(alice_org, row)
    assert client.get(public).status_code == 200
    assert client.get(f"/landing-pages/{row.id}/preview").status_code == 302  # to sign in
    login(client, alice)
    token = csrf_token(client, f"/landing-pages/{row.id}")
    client.post(f"/landing-pages/{row.id}/unpublish", data={"csrf_token": token})
    gone = client.get(public)
    assert gone.status_code == 404 and "Page not found" in gone.get_data(as_text=True)
    assert client.post(public, data={"email": "x@example.com"}).status_code == 404
    assert client.get(f"/landing-pages/{row.id}/preview").status_code == 200  # drafts too
    assert client.get("/p/alice-bakes/no-such-page").status_code == 404
    assert client.get(f"/p/{'x' * 200}/{row.slug}").status_code == 404


def test_another_workspaces_slug_never_shows_this_workspaces_page(
    client, alice, alice_org, charlie
):
    from tests.conftest import org_of

    mine = page(alice_org, published=True)
    theirs_org = org_of(charlie)
    theirs = page(theirs_org, published=True)
    db.session.refresh(alice_org)
    db.session.refresh(theirs_org)
    assert mine.slug != theirs.slug
    assert client.get(f"/p/{theirs_org.public_slug}/{mine.slug}").status_code == 404
    assert client.get(f"/p/{alice_org.public_slug}/{theirs.slug}").status_code == 404
    same_slug = page(theirs_org, published=True)  # "charlie-cuts-2", no clash with Alice's
    login(client, charlie)
    assert client.get(f"/landing-pages/{mine.id}").status_code == 404
    assert client.get(f"/landing-pages/{mine.id}/preview").status_code == 404
    token = csrf_token(client, "/landing-pages")
    assert (
        client.post(f"/landing-pages/{mine.id}/publish", data={"csrf_token": token}).status_code
        == 404
    )
    assert same_slug.org_id == theirs_org.id


def test_the_form_shares_the_lead_forms_honeypot_and_rate_limit(client, app, alice_org):
    row = page(alice_org, published=True)
    public = _public(alice_org, row)
    bot = client.post(
        public, data={"email": "bot@example.com", "website": "http://spam.example"}, headers=BROWSER
    )
    assert bot.status_code == 303  # thanked, and nothing kept
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0
    # The public lead form and this page count against one limit per visitor address.
    token = lead_forms.form_token(app.config["SECRET_KEY"], alice_org.id)
    for n in range(lead_forms.IP_LIMIT[0] - 1):
        client.post(f"/f/{token}", data={"email": f"p{n}@example.com"})
    limited = client.post(public, data={"email": "late@example.com"}, headers=BROWSER)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "Too many submissions" in limited.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count()).select_from(Lead).where(Lead.email == "late@example.com")
        )
        == 0
    )


def test_a_bad_email_is_a_field_error_in_the_pages_language(client, alice_org):
    from tests.conftest import START
    from webapp.models import BrandProfile

    db.session.add(BrandProfile(org_id=alice_org.id, language="de", updated_at=START))
    db.session.commit()
    row = page(alice_org, published=True)
    answer = client.post(_public(alice_org, row), data={"email": "not-an-email"}, headers=BROWSER)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert 'aria-describedby="lp-email-error"' in html
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in html
    assert 'value="not-an-email"' in html


def test_the_editor_saves_sections_and_shows_field_errors(client, alice, alice_org):
    row = page(alice_org)
    other = page(alice_org)
    login(client, alice)
    html = client.get(f"/landing-pages/{row.id}").get_data(as_text=True)
    fields = dict(re.findall(r'name="([a-z0-9_]+)"[^>]*value="([^"]*)"', html))
    fields |= {k: v for k, v in re.findall(r'name="([a-z0-9_]+)"[^>]*>([^<]*)</textarea>', html)}
    fields["csrf_token"] = csrf_token(client, f"/landing-pages/{row.id}")
    bad = {**fields, "hero_headline": "", "slug": other.slug}
    answer = client.post(f"/landing-pages/{row.id}", data=bad)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert (
        "The page needs a headline." in text
        and "Another page of this workspace has this address." in text
    )
    assert 'aria-describedby="hero_headline-error"' in text
    good = {
        **fields,
        "hero_headline": "Fresh bread for your office",
        "slug": "office-bread",
        "testimonial_1_quote": "Best croissants in town.",
        "testimonial_1_name": "Sam, Leeds",
        "testimonial_2_quote": "No name given",
    }
    assert client.post(f"/landing-pages/{row.id}", data=good).status_code == 302
    db.session.refresh(row)
    assert row.slug == "office-bread"
    assert row.sections["hero"]["headline"] == "Fresh bread for your office"
    assert row.sections["testimonials"]["items"] == [
        {"quote": "Best croissants in town.", "name": "Sam, Leeds"}
    ]
    preview = client.get(f"/landing-pages/{row.id}/preview").get_data(as_text=True)
    assert "Best croissants in town." in preview and "No name given" not in preview


def test_testimonials_are_never_invented_and_redrafting_keeps_them(client, alice, alice_org):
    row = page(alice_org, published=True)
    html = client.get(_public(alice_org, row)).get_data(as_text=True)
    assert row.sections["testimonials"]["items"] == []
    assert "lp-testimonials" not in html
    row.sections = {
        **row.sections,
        "testimonials": {"title": "Kind words", "items": [{"quote": "Lovely.", "name": "Jo"}]},
    }
    db.session.commit()
    before = dict(row.sections["hero"])
    login(client, alice)
    token = csrf_token(client, f"/landing-pages/{row.id}")
    client.post(f"/landing-pages/{row.id}/redraft", data={"csrf_token": token})
    db.session.refresh(row)
    assert row.variation == 1
    assert row.sections["testimonials"]["items"] == [{"quote": "Lovely.", "name": "Jo"}]
    assert row.sections["hero"] != before
    # The brand now speaks German: the next draft does too.
    from tests.conftest import START
    from webapp.models import BrandProfile

    db.session.add(BrandProfile(org_id=alice_org.id, language="de", updated_at=START))
    db.session.commit()
    client.post(f"/landing-pages/{row.id}/redraft", data={"csrf_token": token})
    db.session.refresh(row)
    assert row.language == "de" and row.sections["faq"]["title"] == "Fragen und Antworten"
    assert '<html lang="de">' in client.get(_public(alice_org, row)).get_data(as_text=True)


def test_the_logo_is_served_by_us_with_its_size_and_long_caching(client, alice_org):
    from tests.conftest import START
    from tests.landing_pages.helpers import png
    from webapp.services.marketing import save_brand

    fields = {
        "primary_color": "#1d4ed8",
        "accent_color": "#f59e0b",
        "language": "en",
        "public_slug": "alice-bakes",
    }
    save_brand(
        db.session,
        alice_org,
        fields,
        logo=png(300, 150),
        remove_logo=False,
        actor_id=None,
        now=START,
    )
    db.session.commit()
    assert client.get("/p/alice-bakes/logo.png").status_code == 404  # nothing published yet
    row = page(alice_org, published=True)
    html = client.get(_public(alice_org, row)).get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)" alt="Alice Bakes logo" width="112" height="56">', html)
    assert src, html[:1500]
    logo = client.get(src.group(1).replace("&amp;", "&"))
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert logo.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(src.group(1), headers={"If-None-Match": logo.headers["ETag"]})
    assert again.status_code == 304
    assert 'rel="stylesheet" href="/static/landing.css' in html
