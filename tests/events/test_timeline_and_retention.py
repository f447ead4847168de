"""A contact's events on its page (newest first, paginated, empty state, another workspace's
contact is 404), the retention setting, and housekeeping pruning past it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import START, csrf_token, login
from webapp.core.extensions import db
from webapp.models import Event, Lead, Organization
from webapp.services.events import (
    ContactRef,
    EventIn,
    prune_events,
    record_events,
    record_product_event,
)
from webapp.services.leads import capture_lead


def _lead(org, email: str = "ana@shop.example") -> Lead:
    lead, _ = capture_lead(db.session, org.id, {"email": email}, source="manual", now=START)
    db.session.commit()
    return lead


def _events(org, lead, count: int, *, start=START) -> None:
    items = [
        EventIn(
            "order.placed",
            ContactRef(id=lead.id),
            {"order_id": f"o-{n}", "total": n, "items": ["cake", "tea"], "note": "x" * 100},
            f"order-{n}",
            start - timedelta(days=count - n),
        )
        for n in range(count)
    ]
    results = record_events(db.session, org.id, items, now=start)
    assert {r.status for r in results} == {"stored"}
    db.session.commit()


def test_the_lead_page_loads_the_contacts_events(client, alice, alice_org):
    lead = _lead(alice_org)
    login(client, alice)
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert f'hx-get="/leads/{lead.id}/events"' in html and 'hx-trigger="load"' in html


def test_the_events_list_is_newest_first_with_key_properties_and_pages(client, alice, alice_org):
    lead = _lead(alice_org)
    _events(alice_org, lead, 25)
    login(client, alice)
    partial = client.get(f"/leads/{lead.id}/events", headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in html
    orders = re.findall(r"order_id</span> (o-\d+)", html)
    # 25 orders + lead.captured at START (the newest); 10 a page
    assert orders[:3] == ["o-24", "o-23", "o-22"] and len(orders) == 9
    assert "lead.captured" in html.split("o-24")[0]
    assert '<span class="muted">items</span> [&#34;cake&#34;,&#34;tea&#34;]' in html
    assert "x" * 59 + "…" in html  # long values are cut on the line
    assert "All 4 properties" not in html  # four properties: all shown on the line
    assert f"/leads/{lead.id}/events?page=2" in html
    last = client.get(f"/leads/{lead.id}/events?page=3").get_data(as_text=True)
    assert "<html" in last  # without htmx it is a page of its own
    assert re.findall(r"order_id</span> (o-\d+)", last) == [
        "o-5", "o-4", "o-3", "o-2", "o-1", "o-0",
    ]  # fmt: skip
    assert "?page=4" not in last and "← Newer" in last
    for junk in ("²", "-1", "0", "x", "99999999999"):  # the first page, never an error
        assert client.get(f"/leads/{lead.id}/events?page={junk}").status_code == 200
    beyond = client.get(f"/leads/{lead.id}/events?page=9", headers={"HX-Request": "true"})
    assert "No more events" in beyond.get_data(as_text=True)


def test_a_contact_without_events_shows_the_empty_state(client, alice, alice_org):
    lead = _lead(alice_org)
    db.session.execute(Event.__table__.delete())
    db.session.commit()
    login(client, alice)
    html = client.get(f"/leads/{lead.id}/events", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "No events yet" in html and "POST /api/v1/events" in html


def test_another_workspaces_contact_events_are_404(client, alice_org, charlie):
    lead = _lead(alice_org)
    login(client, charlie)
    assert client.get(f"/leads/{lead.id}/events").status_code == 404


def test_an_owner_sets_the_retention_within_bounds(client, alice, alice_org):
    login(client, alice)
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="event_retention_days"' in page and 'value="400"' in page
    token = csrf_token(client, "/settings")
    form = {"csrf_token": token, "name": "Alice Bakes", "timezone": "Europe/London"}
    for bad in ("29", "3651", "lots"):
        response = client.post("/settings", data={**form, "event_retention_days": bad})
        assert response.status_code == 422, bad
        assert "between 30 and 3650" in response.get_data(as_text=True) or bad == "lots"
    assert client.post("/settings", data={**form, "event_retention_days": "90"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, alice_org.id).event_retention_days == 90
    # left out (as the settings form of an older page sends it): kept as it is
    assert client.post("/settings", data={**form, "event_retention_days": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, alice_org.id).event_retention_days == 90


def test_pruning_deletes_only_events_past_their_workspaces_retention(
    app, alice_org, charlie, clock
):
    from tests.conftest import org_of

    other = org_of(charlie)
    alice_org.event_retention_days = 30
    db.session.commit()
    ana, cai = _lead(alice_org), _lead(other, "cai@shop.example")
    for day in (0, 10, 29, 31, 60, 500):
        received = START - timedelta(days=day)
        for lead in (ana, cai):
            record_product_event(
                db.session, lead.org_id, lead.id, "page.viewed", message_id=f"v{day}", now=received
            )
    db.session.commit()

    assert prune_events(db.session, now=START, limit=2) == 2  # bounded
    # Alice's third (31, 60, 500 days old); Charlie keeps 400 days: only his 500 goes
    assert prune_events(db.session, now=START) == 2
    assert prune_events(db.session, now=START) == 0
    db.session.commit()
    kept = dict(
        db.session.execute(
            select(Event.org_id, func.count())
            .where(Event.name == "page.viewed")
            .group_by(Event.org_id)
        ).all()
    )
    assert kept == {alice_org.id: 3, other.id: 5}


def test_housekeeping_prunes_events(app, alice_org):
    from jobs.schedule import registry

    lead = _lead(alice_org)
    record_product_event(
        db.session, alice_org.id, lead.id, "page.viewed", message_id="old",
        now=START - timedelta(days=401),
    )  # fmt: skip
    db.session.commit()
    outcome = app.extensions["jobs"].run("housekeeping", trigger="manual")
    assert outcome.status == "succeeded", outcome.message
    assert db.session.scalar(select(func.count()).where(Event.message_id == "old")) == 0
    assert registry()["housekeeping"].description.endswith("past the workspace's retention.")
