"""The ads pages: Meta credentials on Settings → Integrations (saved encrypted, tested), the
campaign page's ad platform panel in its three states, and linking (choose, create paused,
unlink), with the real SDK against the local Graph API server."""

from __future__ import annotations

from sqlalchemy import select

from tests.ads.conftest import MID_MONTH, SECRET, TOKEN, add_campaign
from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import AdPlatformLink, IntegrationCredential, QueuedJob

PAGE = "/settings/integrations"


def post(client, path: str, data: dict | None = None, page: str = PAGE):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def meta_form(**over) -> dict:
    return {
        "meta_ads-app_id": "1234567890123456",
        "meta_ads-app_secret": SECRET,
        "meta_ads-access_token": TOKEN,
        "meta_ads-ad_account_id": "1234567890",
        **over,
    }


def test_meta_credentials_are_saved_encrypted_and_tested(client, alice, alice_org, graph, clock):
    clock.set(MID_MONTH)
    login(client, alice)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Meta ads (Facebook &amp; Instagram)" in html and "Google Ads" in html
    bad = post(client, f"{PAGE}/meta_ads", meta_form(**{"meta_ads-access_token": ""}))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter the system-user access token." in text, [
        line for line in text.splitlines() if "error" in line
    ]
    assert post(client, f"{PAGE}/meta_ads", meta_form()).status_code == 303
    row = db.session.scalar(
        select(IntegrationCredential).where(IntegrationCredential.provider == "meta_ads")
    )
    assert TOKEN not in row.ciphertext and row.hint["ad_account_id"] == "act_1234567890"
    assert row.hint["access_token"].startswith("••••") and TOKEN not in str(row.hint)
    html = post(client, f"{PAGE}/meta_ads/test").get_data(as_text=True)
    assert "Connection works." in html and "act_1234567890" in html and TOKEN not in html
    graph.token_valid = False
    html = post(client, f"{PAGE}/meta_ads/test").get_data(as_text=True)
    assert "Connection failed." in html and "THIRD_PARTY_AUTH_FAILED" in html
    assert "system-user token" in html and TOKEN not in html


def test_campaign_page_says_what_connecting_would_add(client, alice, alice_org, clock):
    campaign = add_campaign(alice_org, "meta_ads", "310.00", clock())
    db.session.commit()
    login(client, alice)
    html = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Not connected" in html and "no more CSV uploads" in html
    assert "pause it if this month" in html and f"{PAGE}#integration-meta_ads" in html


def test_link_choose_create_and_unlink(client, alice, alice_org, graph, clock):
    from tests.ads.conftest import save_meta

    clock.set(MID_MONTH)
    save_meta(alice_org, clock())
    campaign = add_campaign(alice_org, "meta_ads", "310.00", clock())
    db.session.commit()
    existing = graph.add_campaign("Winter sale", 1500)
    login(client, alice)
    show = f"/campaigns/{campaign.id}"
    assert "Link to a Meta ads campaign" in client.get(show).get_data(as_text=True)

    page = client.get(f"{show}/ads/link").get_data(as_text=True)
    assert "Winter sale" in page and "19.37 a day today" in page
    missing = post(client, f"{show}/ads/link", {}, page=f"{show}/ads/link")
    assert missing.status_code == 422 and "Choose the campaign to link." in missing.get_data(
        as_text=True
    )
    done = post(
        client, f"{show}/ads/link", {"platform_campaign": existing}, page=f"{show}/ads/link"
    )
    assert done.status_code == 302
    link = db.session.scalar(select(AdPlatformLink))
    assert (link.platform_campaign_id, link.platform_name) == (existing, "Winter sale")
    assert db.session.scalar(select(QueuedJob.kind)) == "ads.push_budget"
    assert "Winter sale" in client.get(show).get_data(as_text=True)

    made = post(client, f"{show}/ads/create", {"name": "Autopilot — Meta", "daily_budget": "12.50"},
                page=f"{show}/ads/link")  # fmt: skip
    assert made.status_code == 302
    [new] = [c for c in graph.campaigns.values() if c["name"] == "Autopilot — Meta"]
    assert (new["status"], new["daily_budget"]) == ("PAUSED", "1250")
    db.session.expire_all()
    assert db.session.scalar(select(AdPlatformLink)).platform_campaign_id == new["id"]

    assert post(client, f"{show}/ads/unlink", page=show).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(AdPlatformLink)) is None


def test_a_campaign_created_in_yen_gets_the_yen_typed(client, alice, alice_org, graph, clock):
    """1500 typed for a JPY account is 1500 yen on the platform, not 150,000 (yen has no
    minor unit); amounts on the page read in the account's own decimals."""
    from tests.ads.conftest import save_meta

    clock.set(MID_MONTH)
    graph.currency = "JPY"
    save_meta(alice_org, clock())
    campaign = add_campaign(alice_org, "meta_ads", "90000", clock())
    db.session.commit()
    graph.add_campaign("Spring fair", 2000)
    login(client, alice)
    show = f"/campaigns/{campaign.id}"
    assert "2000 JPY a day" in client.get(f"{show}/ads/link").get_data(as_text=True)
    made = post(client, f"{show}/ads/create", {"name": "Autopilot — yen", "daily_budget": "1500"},
                page=f"{show}/ads/link")  # fmt: skip
    assert made.status_code == 302
    [new] = [c for c in graph.campaigns.values() if c["name"] == "Autopilot — yen"]
    assert new["daily_budget"] == "1500"
    assert "1500 JPY" in client.get(show).get_data(as_text=True)


def test_platform_refusing_the_token_shows_the_fix_on_the_link_page(
    client, alice, alice_org, graph, clock
):
    from tests.ads.conftest import save_meta

    save_meta(alice_org, clock())
    campaign = add_campaign(alice_org, "meta_ads", "100.00", clock())
    db.session.commit()
    graph.token_valid = False
    login(client, alice)
    html = client.get(f"/campaigns/{campaign.id}/ads/link").get_data(as_text=True)
    assert "could not be reached" in html and "Session has expired" in html
    assert "check them in Settings" in html


def test_staff_cannot_link_and_others_get_404(client, alice, bob, charlie, alice_org, clock):
    campaign = add_campaign(alice_org, "meta_ads", "100.00", clock())
    email = add_campaign(alice_org, "email", "0", clock())
    db.session.commit()
    login(client, bob)
    assert client.get(f"/campaigns/{campaign.id}/ads/link").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/campaigns")})
    login(client, charlie)
    assert client.get(f"/campaigns/{campaign.id}/ads/link").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/campaigns")})
    login(client, alice)
    assert client.get(f"/campaigns/{email.id}/ads/link").status_code == 404


def test_bad_input_to_the_link_forms_is_a_field_error_never_a_500(
    client, alice, alice_org, graph, clock
):
    """The form fuzzer cannot reach these forms (they need a connected ad account); the
    same mutations are sent here."""
    from tests.ads.conftest import save_meta

    clock.set(MID_MONTH)
    save_meta(alice_org, clock())
    campaign = add_campaign(alice_org, "meta_ads", "310.00", clock())
    db.session.commit()
    graph.add_campaign("Winter sale", 1500)
    login(client, alice)
    show = f"/campaigns/{campaign.id}"
    junk = ["\x00", "99999999999999999999", "2147483648", "-1", "1e309", "NaN", "Infinity",
            "x" * 20_000, "Ωé 漢字 🎉", "", "   ", "not-a-choice"]  # fmt: skip
    for value in junk:
        chosen = post(client, f"{show}/ads/link", {"platform_campaign": value}, page=show)
        assert chosen.status_code in (400, 422), (value[:20], chosen.status_code)
        for name, budget in ((value, "12.50"), ("New campaign", value)):
            made = post(
                client, f"{show}/ads/create", {"name": name, "daily_budget": budget}, page=show
            )
            assert made.status_code in (302, 400, 422), (name[:20], budget[:20], made.status_code)
    assert client.post(f"{show}/ads/unlink").status_code == 400  # no CSRF token
    made = {c["name"] for c in graph.campaigns.values()} - {"Winter sale"}
    valid = {v for v in junk if v.strip() and "\x00" not in v and len(v) <= 200}
    assert made == valid  # each valid name once with the good budget; no bad budget reached Meta
    assert {c["daily_budget"] for c in graph.campaigns.values()} == {"1250", "1500"}
