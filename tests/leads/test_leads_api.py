"""Leads arriving by the JSON API (workspace API keys) and by the public form endpoint
(honeypot, rate limit, safe redirect, CORS); the lead-capture settings page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import START, csrf_token, login
from webapp.core.extensions import db
from webapp.models import ApiKey, Lead, Membership, RateLimitHit
from webapp.services.accounts import api_keys
from webapp.services.leads.forms import form_token, safe_next

SECRET = "test-secret"  # app_config's SECRET_KEY


def _key(org, owner) -> str:
    m = db.session.scalars(
        select(Membership).where(Membership.org_id == org.id, Membership.user_id == owner.id)
    ).one()
    _row, key = api_keys.create_api_key(db.session, m, "Website", now=START)
    db.session.commit()
    return key


def _leads() -> int:
    return db.session.scalar(select(func.count()).select_from(Lead))


# --- the JSON API ---------------------------------------------------------------------------


def test_it_refuses_the_api_without_a_valid_key(client, alice, alice_org):
    assert client.post("/api/v1/leads", json={"email": "a@b.co"}).status_code == 401
    response = client.get("/api/v1/leads", headers={"Authorization": "Bearer ap_wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    key = _key(alice_org, alice)
    row = db.session.scalars(select(ApiKey)).one()
    api_keys.revoke_api_key(db.session, db.session.get(Membership, 1), row, now=START)
    db.session.commit()
    assert (
        client.post(
            "/api/v1/leads", json={"email": "a@b.co"}, headers={"Authorization": f"Bearer {key}"}
        ).status_code
        == 401
    )
    assert _leads() == 0


def test_it_creates_then_merges_a_lead_by_api(client, alice, alice_org):
    auth = {"Authorization": f"Bearer {_key(alice_org, alice)}"}
    created = client.post(
        "/api/v1/leads",
        json={"name": "Ana Lima", "email": "Ana@LimaLtd.com", "utm_campaign": "spring"},
        headers=auth,
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["created"] is True
    lead = body["lead"]
    assert (
        lead["email"] == "ana@limaltd.com" and lead["source"] == "api" and lead["status"] == "new"
    )
    assert lead["fields"] == {"utm_campaign": "spring"}
    assert {"points": 25, "reason": "Email at a business domain (limaltd.com)"} in lead[
        "score_reasons"
    ]

    merged = client.post(
        "/api/v1/leads", json={"email": "ana@limaltd.com", "phone": "+447911123456"}, headers=auth
    )
    assert merged.status_code == 200
    assert merged.get_json()["created"] is False
    assert merged.get_json()["lead"]["id"] == lead["id"]
    assert merged.get_json()["lead"]["phone"] == "+447911123456"
    assert _leads() == 1


def test_it_answers_422_with_field_errors_and_400_for_non_json(client, alice, alice_org):
    auth = {"Authorization": f"Bearer {_key(alice_org, alice)}"}
    bad = client.post(
        "/api/v1/leads",
        json={"email": "nope", "phone": "12", "timezone": "Nowhere/City"},
        headers=auth,
    )
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert set(fields) == {"email", "phone", "timezone"}
    assert fields["email"].startswith("invalid email")
    assert client.post("/api/v1/leads", json={"name": "Nobody"}, headers=auth).get_json()["error"][
        "fields"
    ] == {"email": "no email or phone"}
    not_json = client.post(
        "/api/v1/leads",
        data="email=a@b.co",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.status_code == 400 and not_json.get_json()["error"]["code"] == "json_required"
    broken = client.post(
        "/api/v1/leads", data="{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert client.post("/api/v1/leads", json=["a list"], headers=auth).status_code == 400
    assert _leads() == 0


def test_it_lists_a_page_of_the_keys_workspace_only(client, alice, alice_org, charlie):
    from tests.conftest import org_of

    auth = {"Authorization": f"Bearer {_key(alice_org, alice)}"}
    for n in range(3):
        client.post(
            "/api/v1/leads",
            json={"email": f"p{n}@firm{n}.com", "source": "referral" if n else "csv"},
            headers=auth,
        )
    other = {"Authorization": f"Bearer {_key(org_of(charlie), charlie)}"}
    client.post("/api/v1/leads", json={"email": "theirs@elsewhere.com"}, headers=other)

    page = client.get("/api/v1/leads?per_page=2", headers=auth).get_json()
    assert [lead["email"] for lead in page["leads"]] == ["p2@firm2.com", "p1@firm1.com"]
    assert page["has_next"] is True and page["total"] == 3
    assert (
        client.get("/api/v1/leads?source=csv", headers=auth).get_json()["leads"][0]["email"]
        == "p0@firm0.com"
    )
    assert client.get("/api/v1/leads?q=firm1", headers=auth).get_json()["total"] == 1
    bad = client.get("/api/v1/leads?page=zero&status=archived&since=yesterday", headers=auth)
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {
        "page",
        "status",
        "since",
    }
    assert [
        lead["email"] for lead in client.get("/api/v1/leads", headers=other).get_json()["leads"]
    ] == ["theirs@elsewhere.com"]


# --- the public form ------------------------------------------------------------------------


def _form_url(org) -> str:
    return f"/f/{form_token(SECRET, org.id)}"


def test_it_takes_a_classic_form_post_and_thanks_the_visitor(client, alice_org):
    response = client.post(
        _form_url(alice_org),
        data={"name": "Ana", "email": "ana@limaltd.com", "message": "Hi <there>"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Thank you" in html and "Alice Bakes" in html
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    lead = db.session.scalars(select(Lead)).one()
    assert lead.source == "form" and lead.extra["message"] == "Hi <there>"


def test_it_answers_fetch_with_json_and_cors(client, alice_org):
    preflight = client.open(
        _form_url(alice_org), method="OPTIONS", headers={"Origin": "https://shop.example"}
    )
    assert (
        preflight.status_code == 204 and "POST" in preflight.headers["Access-Control-Allow-Methods"]
    )
    response = client.post(
        _form_url(alice_org),
        json={"email": "ana@limaltd.com"},
        headers={"Origin": "https://shop.example"},
    )
    assert response.status_code == 200 and response.get_json()["ok"] is True
    bad = client.post(_form_url(alice_org), json={"email": "nope"})
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]
    assert _leads() == 1


def test_it_accepts_but_drops_what_a_bot_fills_in(client, alice_org):
    response = client.post(
        _form_url(alice_org), data={"email": "bot@spam.com", "website": "http://spam"}
    )
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    assert _leads() == 0


def test_it_refuses_an_unknown_form_address(client, alice_org):
    assert client.post("/f/not-a-real-token", data={"email": "a@b.co"}).status_code == 404
    forged = form_token("another-secret", alice_org.id)
    assert client.post(f"/f/{forged}", data={"email": "a@b.co"}).status_code == 404


def test_it_rate_limits_per_address_with_a_clear_message(client, alice_org, clock):
    url = _form_url(alice_org)
    for n in range(10):
        assert client.post(url, data={"email": f"p{n}@x{n}.com"}).status_code == 200
    refused = client.post(
        url, data={"email": "one-more@x.com"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 429
    assert "Too many submissions from your address" in refused.get_json()["message"]
    assert int(refused.headers["Retry-After"]) == 60
    assert _leads() == 10
    other = client.post(
        url, data={"email": "neighbour@x.com"}, environ_base={"REMOTE_ADDR": "127.0.0.2"}
    )
    assert other.status_code == 200  # another visitor is not blocked
    clock.advance(seconds=61)
    assert client.post(url, data={"email": "later@x.com"}).status_code == 200
    # Old hits of the bucket are cleared as new ones arrive.
    assert db.session.scalar(select(func.count()).select_from(RateLimitHit)) <= 13


def test_it_redirects_only_to_the_posting_site(client, alice_org):
    url = _form_url(alice_org)
    same = client.post(
        url,
        data={"email": "a@a.com", "next": "https://shop.example/thanks"},
        headers={"Origin": "https://shop.example"},
    )
    assert same.status_code == 303 and same.headers["Location"] == "https://shop.example/thanks"
    elsewhere = client.post(
        url,
        data={"email": "b@b.com", "next": "https://evil.example/"},
        headers={"Origin": "https://shop.example"},
    )
    assert elsewhere.status_code == 200 and "Thank you" in elsewhere.get_data(as_text=True)
    no_origin = client.post(url, data={"email": "c@c.com", "next": "https://evil.example/"})
    assert no_origin.status_code == 200


def test_it_judges_next_addresses():
    page = "https://shop.example/contact"
    assert safe_next("/thanks", origin=None, referrer=None) == "/thanks"
    assert safe_next("//evil.example/x", origin=None, referrer=page) is None
    assert (
        safe_next("https://shop.example/ok", origin=None, referrer=page)
        == "https://shop.example/ok"
    )
    assert safe_next("http://shop.example/ok", origin=None, referrer=page) is None  # another scheme
    assert (
        safe_next("https://shop.example.evil.com/", origin="https://shop.example", referrer=None)
        is None
    )
    assert (
        safe_next("https://user@evil.example/", origin="https://shop.example", referrer=None)
        is None
    )
    assert safe_next("javascript:alert(1)", origin="https://shop.example", referrer=None) is None
    assert safe_next("/\\evil.example", origin=None, referrer=None) is None


# --- the settings page ----------------------------------------------------------------------


def test_it_shows_the_form_snippet_and_manages_keys(client, alice, alice_org, clock):
    login(client, alice)
    html = client.get("/settings/lead-capture").get_data(as_text=True)
    assert _form_url(alice_org) in html and 'name="website"' in html
    token = csrf_token(client, "/settings/lead-capture")
    assert (
        client.post(
            "/settings/lead-capture/keys", data={"name": "", "csrf_token": token}
        ).status_code
        == 422
    )
    created = client.post(
        "/settings/lead-capture/keys", data={"name": "Booking system", "csrf_token": token}
    )
    key = re.search(
        r'id="new-key" type="text" readonly value="(ap_[^"]+)"', created.get_data(as_text=True)
    ).group(1)
    assert client.get("/api/v1/leads", headers={"X-API-Key": key}).status_code == 200
    assert key not in client.get("/settings/lead-capture").get_data(as_text=True)  # shown once
    row = db.session.scalars(select(ApiKey)).one()
    assert row.last_used_at == START
    revoked = client.post(
        f"/settings/lead-capture/keys/{row.id}/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 302
    assert client.get("/api/v1/leads", headers={"X-API-Key": key}).status_code == 401
    assert "revoked" in client.get("/settings/lead-capture").get_data(as_text=True)


def test_it_lets_only_owners_manage_keys(client, bob, alice_org):
    login(client, bob)
    html = client.get("/settings/lead-capture").get_data(as_text=True)
    assert "Only an owner can create and revoke keys" in html
    token = csrf_token(client, "/settings/lead-capture")
    assert (
        client.post(
            "/settings/lead-capture/keys", data={"name": "x", "csrf_token": token}
        ).status_code
        == 403
    )


def test_it_counts_rate_limit_hits_in_the_database(app, alice_org):
    from webapp.services.accounts import limits as ratelimit

    for n in range(3):
        assert (
            ratelimit.hit(
                db.session,
                "b",
                limit=3,
                window=timedelta(minutes=1),
                now=START + timedelta(seconds=n),
            )
            is None
        )
    wait = ratelimit.hit(
        db.session, "b", limit=3, window=timedelta(minutes=1), now=START + timedelta(seconds=10)
    )
    assert wait == timedelta(seconds=50)
    assert (
        ratelimit.hit(
            db.session, "b", limit=3, window=timedelta(minutes=1), now=START + timedelta(seconds=61)
        )
        is None
    )
