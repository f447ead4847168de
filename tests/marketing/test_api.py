"""The marketing API: create with 4xx naming the field, a paginated list, one campaign,
status moves (409 when not allowed), the prediction, and another workspace's 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.marketing.factories import make_campaign
from tests.messaging.test_automation_api import key_for
from webapp.core.extensions import db
from webapp.models import ActivityLog

BASE = "/api/v1/marketing/campaigns"
GOOD = {
    "name": "Open day",
    "type": "lead_generation",
    "objective": "Twenty sign-ups for Saturday",
    "budget": 900,
    "channels": ["meta_ads", "google_ads", "email"],
    "starts_on": "2026-12-05",
}


@pytest.fixture
def key(alice, alice_org) -> dict:
    return key_for(alice)


def test_create_read_and_list(client, key, alice):
    made = client.post(BASE, json=GOOD, headers=key)
    assert made.status_code == 201
    body = made.get_json()
    assert body["status"] == "draft" and body["budget"] == 900.0
    assert body["channels"] == ["email", "google_ads", "meta_ads"]
    assert body["allowed_next"] == ["scheduled", "active", "archived"]
    entry = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "marketing.campaign_created")
    ).one()
    assert entry.actor_id == alice.id  # the key's maker, not "the autopilot"
    one = client.get(f"{BASE}/{body['id']}", headers=key)
    assert one.status_code == 200 and one.get_json()["name"] == "Open day"
    for i in range(3):
        client.post(BASE, json={**GOOD, "name": f"More {i}"}, headers=key)
    page = client.get(f"{BASE}?per_page=2&page=2", headers=key).get_json()
    assert (page["total"], page["page"], page["has_next"]) == (4, 2, False)
    assert [c["name"] for c in page["campaigns"]] == ["More 0", "Open day"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"name": ""}, "name"),
        ({"type": "viral"}, "type"),
        ({"budget": -1}, "budget"),
        ({"channels": ["tiktok"]}, "channels"),
        ({"starts_on": "soon"}, "starts_on"),
        ({"ends_on": "2026-12-01"}, "ends_on"),  # before the start date: the service says so
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_field_is_a_422_naming_it(client, key, change, field):
    response = client.post(BASE, json={**GOOD, **change}, headers=key)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_not_json_and_no_key(client, key):
    assert client.post(BASE, data="name=x", headers=key).status_code == 400
    assert client.get(BASE).status_code == 401
    bad = client.get(f"{BASE}?status=running", headers=key)
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]


def test_status_moves_and_refusals(client, key, alice_org):
    campaign = make_campaign(alice_org)
    url = f"{BASE}/{campaign.id}/status"
    moved = client.post(url, json={"status": "active"}, headers=key)
    assert moved.status_code == 200
    assert moved.get_json()["allowed_next"] == ["paused", "completed"]
    refused = client.post(url, json={"status": "draft"}, headers=key)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "status_refused"
    assert (
        "is active; it cannot become draft — from active it can go to: paused, completed"
        in (error["fields"]["status"])
    )
    unknown = client.post(url, json={"status": "running"}, headers=key)
    assert unknown.status_code == 422 and "status" in unknown.get_json()["error"]["fields"]
    assert client.post(url, data="x", headers=key).status_code == 400


def test_the_prediction(client, key, alice_org):
    campaign = make_campaign(alice_org, budget="1000", channels=["meta_ads", "email"])
    body = client.get(f"/api/v1/marketing/predict/{campaign.id}", headers=key).get_json()
    assert body["campaign_id"] == campaign.id and body["not_predicted"] == ["Email"]
    (meta,) = body["channels"]
    assert meta["channel"] == "meta_ads" and meta["budget"] == 1000.0
    assert meta["confidence"] == "benchmarks" and meta["history_periods"] == 0
    for q in ("reach", "clicks", "conversions"):
        assert meta[q]["low"] <= meta[q]["median"] <= meta[q]["high"]
    assert meta["clicks"]["high"] > 2 * meta["clicks"]["low"]


def test_another_workspaces_campaign_is_404(client, alice_org, charlie):
    campaign = make_campaign(alice_org)
    theirs = key_for(charlie)
    for method, url in (
        ("get", f"{BASE}/{campaign.id}"),
        ("post", f"{BASE}/{campaign.id}/status"),
        ("get", f"/api/v1/marketing/predict/{campaign.id}"),
        ("post", f"/api/v1/marketing/generate-assets/{campaign.id}"),
    ):
        response = getattr(client, method)(url, json={"status": "archived"}, headers=theirs)
        assert response.status_code == 404, url
    assert client.get(BASE, headers=theirs).get_json()["total"] == 0
    db.session.expire_all()
    assert campaign.status == "draft"


def test_generate_assets_queues_the_types_defaults_and_writes_them(client, key, alice_org):
    from webapp.models import Asset

    campaign = make_campaign(alice_org, name="Spring sale")
    answer = client.post(f"/api/v1/marketing/generate-assets/{campaign.id}", headers=key)
    assert answer.status_code == 202, answer.get_json()
    queued = answer.get_json()["queued"]
    assert queued and {q["type"] for q in queued} <= {
        "email_sequence", "social_post", "ad_creative", "video_script", "voice_ad", "image"
    }  # fmt: skip
    db.session.expire_all()
    written = db.session.scalars(select(Asset).where(Asset.marketing_campaign_id == campaign.id))
    assert {a.id for a in written} == {q["id"] for q in queued}
    again = client.post(f"/api/v1/marketing/generate-assets/{campaign.id}", headers=key)
    assert again.get_json()["queued"] == []  # what it has is not queued twice
