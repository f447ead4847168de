"""The campaign pages over HTTP: the menu and its tabs, the list's empty state, filters and
pages, the form's field errors, the status buttons, paid-media links and the prediction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.autopilot.test_campaigns_pages import with_campaigns
from tests.conftest import START, csrf_token, login
from tests.marketing.factories import make_campaign
from webapp.core.extensions import db
from webapp.models import Campaign, MarketingCampaign


def test_the_campaigns_menu_leads_to_the_list_with_the_paid_media_tab(client, alice):
    login(client, alice)
    html = client.get("/marketing/campaigns").get_data(as_text=True)
    assert 'href="/marketing/campaigns" aria-current="page">Campaigns</a>' in html
    assert "No campaigns yet" in html and "Create your first campaign" in html
    assert 'href="/campaigns"' in html and "Paid media budgets" in html
    paid = client.get("/campaigns").get_data(as_text=True)
    # The autopilot's page is a tab of the same menu, which stays the current one there.
    assert 'href="/marketing/campaigns" aria-current="page">Campaigns</a>' in paid
    assert 'href="/campaigns" aria-current="page">Paid media budgets</a>' in paid


def test_the_list_filters_and_pages(client, alice, alice_org):
    for i in range(21):
        make_campaign(alice_org, name=f"Push {i:02d}", now=START + timedelta(minutes=i))
    make_campaign(alice_org, name="Bring a friend", type="referral", now=START + timedelta(hours=1))
    login(client, alice)
    first = client.get("/marketing/campaigns").get_data(as_text=True)
    assert "Bring a friend" in first and "Push 02" in first and "Push 01" not in first
    assert 'rel="next"' in first
    second = client.get("/marketing/campaigns?page=2").get_data(as_text=True)
    assert "Push 01" in second and "Push 00" in second
    only = client.get("/marketing/campaigns?type=referral").get_data(as_text=True)
    assert "Bring a friend" in only and "Push 00" not in only
    none = client.get("/marketing/campaigns?status=archived").get_data(as_text=True)
    assert "No campaign matches" in none
    assert client.get("/marketing/campaigns?status=bogus&page=x").status_code == 200


def test_the_form_shows_field_errors_and_creates_a_draft(client, alice, alice_org):
    login(client, alice)
    token = csrf_token(client, "/marketing/campaigns/new")
    bad = client.post(
        "/marketing/campaigns/new",
        data={
            "csrf_token": token,
            "name": "",
            "type": "upsell",
            "objective": "More",
            "starts_on": "2026-12-10",
            "ends_on": "2026-12-01",
        },
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="name-error"' in html and "Give the campaign a name." in html
    assert 'aria-describedby="name-error"' in html
    dates = client.post(
        "/marketing/campaigns/new",
        data={
            "csrf_token": token,
            "name": "Winter",
            "type": "upsell",
            "objective": "More",
            "starts_on": "2026-12-10",
            "ends_on": "2026-12-01",
        },
    )
    assert dates.status_code == 422
    assert "The end date is before the start date." in dates.get_data(as_text=True)
    made = client.post(
        "/marketing/campaigns/new",
        data={
            "csrf_token": token,
            "name": "Winter",
            "type": "upsell",
            "objective": "More",
            "budget": "800",
            "channels": ["meta_ads", "google_ads"],
            "starts_on": "2026-12-01",
        },
    )
    assert made.status_code == 303
    campaign = db.session.scalars(select(MarketingCampaign)).one()
    assert made.headers["Location"].endswith(f"/marketing/campaigns/{campaign.id}")
    assert (campaign.org_id, campaign.status, campaign.channels) == (
        alice_org.id,
        "draft",
        ["google_ads", "meta_ads"],
    )
    page = client.get(f"/marketing/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Prediction" in page and "Rests on industry benchmarks" in page
    assert "Google ads" in page and "$400.00" in page
    for label in ("Schedule", "Start now", "Archive"):
        assert f">{label}</button>" in page
    assert "Pause</button>" not in page
    assert "cannot be started or edited again" in page  # the archive asks first


def test_the_status_buttons_move_it_and_a_refusal_is_explained(client, alice, alice_org):
    campaign = make_campaign(alice_org)
    login(client, alice)
    url = f"/marketing/campaigns/{campaign.id}"
    token = csrf_token(client, url)
    refused = client.post(f"{url}/status", data={"csrf_token": token, "status": "scheduled"})
    assert refused.status_code == 303
    assert "Set a start date before scheduling" in client.get(url).get_data(as_text=True)
    assert (
        client.post(f"{url}/status", data={"csrf_token": token, "status": "active"}).status_code
        == 303
    )
    page = client.get(url).get_data(as_text=True)
    assert "is now active" in page and ">Pause</button>" in page and ">Complete</button>" in page
    client.post(f"{url}/status", data={"csrf_token": token, "status": "archived"})
    page = client.get(url).get_data(as_text=True)
    assert (
        "is active; it cannot become archived — from active it can go to: paused, completed."
        in page
    )
    db.session.expire_all()
    assert db.session.get(MarketingCampaign, campaign.id).status == "active"


def test_paid_media_lines_link_and_unlink(client, alice, alice_org):
    lines = with_campaigns(alice_org)
    campaign = make_campaign(alice_org)
    login(client, alice)
    url = f"/marketing/campaigns/{campaign.id}"
    token = csrf_token(client, url)
    assert (
        client.post(
            f"{url}/paid-media", data={"csrf_token": token, "campaign_id": lines[0].id}
        ).status_code
        == 303
    )
    page = client.get(url).get_data(as_text=True)
    assert f'href="/campaigns/{lines[0].id}"' in page and "Unlink" in page
    paid_tab = client.get("/campaigns").get_data(as_text=True)  # and back from the line
    assert f'<a href="{url}">Paid media of a campaign</a>' in paid_tab
    assert db.session.get(Campaign, lines[0].id).marketing_campaign_id == campaign.id
    bad = client.post(f"{url}/paid-media", data={"csrf_token": token, "campaign_id": "999999"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    gone = client.post(f"{url}/paid-media/{lines[0].id}/unlink", data={"csrf_token": token})
    assert gone.status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, lines[0].id).marketing_campaign_id is None
    assert (
        client.post(
            f"{url}/paid-media/{lines[0].id}/unlink", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_a_finished_campaign_has_no_edit(client, alice, alice_org):
    campaign = make_campaign(alice_org, status="completed")
    login(client, alice)
    response = client.get(f"/marketing/campaigns/{campaign.id}/edit")
    assert response.status_code == 303
    page = client.get(f"/marketing/campaigns/{campaign.id}").get_data(as_text=True)
    assert "a finished campaign is not edited" in page and ">Edit</a>" not in page


def test_another_workspace_sees_nothing(client, alice_org, charlie):
    campaign = make_campaign(alice_org, name="Alice's secret sale")
    login(client, charlie)
    assert client.get(f"/marketing/campaigns/{campaign.id}").status_code == 404
    assert "Alice's secret sale" not in client.get("/marketing/campaigns?status=all").get_data(
        as_text=True
    )


def test_a_campaign_page_lists_its_landing_pages_and_drafts_one(client, alice, alice_org):
    from webapp.models import LandingPage

    campaign = make_campaign(alice_org, name="Office breakfasts")
    login(client, alice)
    url = f"/marketing/campaigns/{campaign.id}"
    html = client.get(url).get_data(as_text=True)
    assert "No landing page yet" in html
    drafted = client.post(
        "/landing-pages",
        data={"marketing_campaign_id": str(campaign.id), "csrf_token": csrf_token(client, url)},
    )
    assert drafted.status_code == 302
    page = db.session.scalars(select(LandingPage)).one()
    assert page.marketing_campaign_id == campaign.id
    html = client.get(url).get_data(as_text=True)
    assert "No landing page yet" not in html
    assert f'href="/landing-pages/{page.id}"' in html and "Draft" in html
