"""The asset pages: list with filters, new asset written right after the response, the
asset's page (variations, edit with limits, approve, files), a campaign's assets partial,
and another workspace's asset answered 404."""

from __future__ import annotations

import io
import wave

from PIL import Image
from sqlalchemy import select

from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import Asset
from webapp.services import assets


def new_asset(client, asset_type, option="", campaign_id=0):
    token = csrf_token(client, "/assets")
    response = client.post(
        "/assets/new",
        data={
            "csrf_token": token,
            "type": asset_type,
            "option": option,
            "campaign_id": campaign_id,
            "name": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.rollback()  # the test shares the views' session: see what the work wrote
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_list_is_empty_then_shows_a_written_asset(client, alice, bakery):
    login(client, alice)
    page = client.get("/assets").get_data(as_text=True)
    assert "No assets yet" in page
    asset_id = new_asset(client, "social_post", "platform:x", bakery[1].id)
    db.session.rollback()  # a new snapshot: the work ran on its own connection
    asset = db.session.get(Asset, asset_id)
    assert asset.state == "done"  # written right after the response
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Variation 3" in page and "Alice Bakes" in page and 'data-limit="280"' in page
    listing = client.get(f"/assets?campaign={bakery[1].id}&type=social_post").get_data(as_text=True)
    assert f"/assets/{asset_id}" in listing
    assert f"/assets/{asset_id}" not in client.get("/assets?type=voice_ad").get_data(as_text=True)
    assert "Christmas orders" in client.get("/assets").get_data(as_text=True)


def test_edit_over_the_limit_warns_and_blocks_approval_until_fixed(client, alice, bakery):
    login(client, alice)
    asset_id = new_asset(client, "social_post", "platform:x", bakery[1].id)
    token = csrf_token(client, f"/assets/{asset_id}")
    too_long = "🍞" * 141  # 282 weighted characters
    response = client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": token, "text": too_long, "hashtags": "#Leeds"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "breaks a limit" in page and "X allows 280" in page
    client.post(f"/assets/{asset_id}/approve", data={"csrf_token": token})
    db.session.rollback()  # a new snapshot: the work ran on its own connection
    assert db.session.get(Asset, asset_id).status == "draft"
    client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": token, "text": "Fresh bread at Alice Bakes 🍞", "hashtags": "#Leeds"},
    )
    client.post(f"/assets/{asset_id}/approve", data={"csrf_token": token})
    db.session.rollback()  # a new snapshot: the work ran on its own connection
    asset = db.session.get(Asset, asset_id)
    assert asset.status == "approved" and asset.approved_at is not None


def test_empty_edit_is_a_field_error_not_a_crash(client, alice, bakery):
    login(client, alice)
    asset_id = new_asset(client, "image", "size:1080x1080")
    token = csrf_token(client, f"/assets/{asset_id}")
    response = client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": token, "headline": "", "subline": "", "cta": ""},
    )
    assert response.status_code == 422
    assert 'aria-describedby="headline-error"' in response.get_data(as_text=True)


def test_files_play_and_download(client, alice, bakery):
    login(client, alice)
    voice_id = new_asset(client, "voice_ad", "length:15")
    image_id = new_asset(client, "image", "size:1080x1920")
    audio = client.get(f"/assets/{voice_id}/file")
    assert audio.mimetype == "audio/wav"
    with wave.open(io.BytesIO(audio.data)) as w:
        assert abs(w.getnframes() / w.getframerate() - 15) < 1.5
    assert (
        "attachment"
        in client.get(f"/assets/{voice_id}/file?download=1").headers["Content-Disposition"]
    )
    assert "<audio controls" in client.get(f"/assets/{voice_id}").get_data(as_text=True)
    png = client.get(f"/assets/{image_id}/file")
    assert Image.open(io.BytesIO(png.data)).size == (1080, 1920)


def test_email_html_is_inlined_in_brand_colours_and_becomes_a_sequence(client, alice, bakery):
    login(client, alice)
    asset_id = new_asset(client, "email_sequence", "", bakery[1].id)
    html = client.get(f"/assets/{asset_id}/emails/1.html?preview=1").get_data(as_text=True)
    assert 'style="background: #7c2d12' in html and "@media only screen" in html
    assert "{{firstName" not in html
    text = client.get(f"/assets/{asset_id}/emails/1.txt").get_data(as_text=True)
    assert text.startswith("Hi {{firstName|there}},")
    token = csrf_token(client, f"/assets/{asset_id}")
    client.post(f"/assets/{asset_id}/approve", data={"csrf_token": token})
    response = client.post(f"/assets/{asset_id}/sequence", data={"csrf_token": token})
    assert response.status_code == 303 and "/automation/" in response.headers["Location"]


def test_campaign_partial_generates_the_campaign_assets(app, client, alice, bakery):
    login(client, alice)
    campaign = bakery[1]
    with app.test_request_context("/"):
        from flask import g, render_template
        from flask_login import login_user

        login_user(alice)
        g.org = bakery[0]
        before = render_template("assets/_campaign_assets.html", campaign=campaign)
    assert "No assets yet" in before
    token = csrf_token(client, "/assets")
    response = client.post(f"/campaigns/{campaign.id}/assets/generate", data={"csrf_token": token})
    assert response.status_code == 303
    rows = db.session.scalars(select(Asset).where(Asset.marketing_campaign_id == campaign.id)).all()
    assert sorted(a.type for a in rows) == ["ad_creative", "email_sequence"]


def test_another_workspace_gets_404(app, client, alice, charlie, bakery, salon):
    login(client, alice)
    asset_id = new_asset(client, "social_post", "platform:linkedin")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/assets")})
    login(client, charlie)
    token = csrf_token(client, "/assets")
    for url in (
        f"/assets/{asset_id}",
        f"/assets/{asset_id}/file",
        f"/assets/{asset_id}/text",
        f"/assets/{asset_id}/emails/1.html",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/assets/{asset_id}/approve", data={"csrf_token": token}).status_code == 404
    assert (
        client.post(
            f"/campaigns/{bakery[1].id}/assets/generate", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert f"/assets/{asset_id}" not in client.get("/assets").get_data(as_text=True)


def test_email_and_video_edit_forms_save(client, alice, bakery):
    login(client, alice)
    email_id = new_asset(client, "email_sequence")
    token = csrf_token(client, f"/assets/{email_id}")
    data = {"csrf_token": token}
    for n in range(3):
        data |= {
            f"emails-{n}-day": str(n * 3),
            f"emails-{n}-subject": f"Subject {n}",
            f"emails-{n}-preheader": "Pre",
            f"emails-{n}-body": f"Hi {{{{firstName|there}}}},\r\n\r\nBody {n} from Alice Bakes.",
        }
    assert client.post(f"/assets/{email_id}/edit", data=data).status_code == 303
    db.session.rollback()
    emails = db.session.get(Asset, email_id).content["variations"][0]["emails"]
    assert [e["subject"] for e in emails] == ["Subject 0", "Subject 1", "Subject 2"]
    assert emails[1]["body"] == "Hi {{firstName|there}},\n\nBody 1 from Alice Bakes."
    video_id = new_asset(client, "video_script", "length:15")
    data = {"csrf_token": token}
    for n in range(3):
        data |= {
            f"scenes-{n}-visual": f"Shot {n}",
            f"scenes-{n}-on_screen": "Alice Bakes",
            f"scenes-{n}-voice_over": f"Line {n}.",
        }
    assert client.post(f"/assets/{video_id}/edit", data=data).status_code == 303
    db.session.rollback()
    scenes = db.session.get(Asset, video_id).content["variations"][0]["scenes"]
    assert [s["visual"] for s in scenes] == ["Shot 0", "Shot 1", "Shot 2"]
    assert sum(s["seconds"] for s in scenes) == 15  # the timings stay


def test_a_watched_generation_nobody_started_is_started_by_its_progress_poll(
    client, alice, bakery, clock
):
    """The run after the create request can fail (a locked database, a restart): the page
    polling its progress starts it once it is a few seconds overdue, and shows no limit
    warnings for the empty asset meanwhile."""
    login(client, alice)
    org, made = bakery
    asset = assets.create_asset(
        db.session, org.id, "email_sequence", {}, campaign=made, actor_id=None, now=clock()
    )
    asset_id = asset.id
    db.session.commit()  # queued, and no request ran it
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Writing…" in page and "Over a limit" not in page
    client.get(f"/assets/{asset_id}/progress?was=queued")
    db.session.rollback()
    assert db.session.get(Asset, asset_id).state == "queued"  # not overdue yet: left alone
    clock.advance(seconds=5)
    response = client.get(f"/assets/{asset_id}/progress?was=queued")
    assert response.status_code == 200
    db.session.rollback()  # a new snapshot: the work ran on its own connection
    assert db.session.get(Asset, asset_id).state == "done"
