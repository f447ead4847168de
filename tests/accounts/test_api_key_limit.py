"""The request limit of each API key: 429 with Retry-After past API_REQUESTS_PER_MINUTE."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import Membership
from webapp.services.accounts import api_keys


def _key(org, owner, name: str = "Website") -> str:
    m = db.session.scalars(
        select(Membership).where(Membership.org_id == org.id, Membership.user_id == owner.id)
    ).one()
    _row, key = api_keys.create_api_key(db.session, m, name, now=START)
    db.session.commit()
    return key


def test_it_answers_429_past_the_keys_limit(app, client, alice, alice_org, clock):
    app.config["API_REQUESTS_PER_MINUTE"] = 3
    auth = {"Authorization": f"Bearer {_key(alice_org, alice)}"}
    for _ in range(3):
        assert client.get("/api/v1/leads", headers=auth).status_code == 200
        clock.advance(seconds=10)
    refused = client.get("/api/v1/leads", headers=auth)
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and error["limit"] == 3
    assert "limited to 3 requests per minute" in error["message"]
    assert refused.headers["Retry-After"] == "30"  # the first request leaves the window then
    clock.advance(seconds=31)
    assert client.get("/api/v1/leads", headers=auth).status_code == 200


def test_it_limits_each_key_on_its_own(app, client, alice, alice_org):
    app.config["API_REQUESTS_PER_MINUTE"] = 2
    first = {"X-API-Key": _key(alice_org, alice)}
    second = {"X-API-Key": _key(alice_org, alice, "Booking system")}
    assert [client.get("/api/v1/leads", headers=first).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert client.get("/api/v1/leads", headers=second).status_code == 200
    # A refused request is not counted, and posting is limited like reading.
    assert client.post("/api/v1/leads", json={"email": "a@b.co"}, headers=first).status_code == 429


def test_it_has_no_limit_when_set_to_zero(app, client, alice, alice_org):
    app.config["API_REQUESTS_PER_MINUTE"] = 0
    auth = {"X-API-Key": _key(alice_org, alice)}
    assert all(client.get("/api/v1/leads", headers=auth).status_code == 200 for _ in range(5))
