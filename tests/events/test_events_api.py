"""POST /api/v1/events: one event or a batch, per-item results, the envelope's 4xx, tenancy,
concurrent duplicates, and the OpenAPI document."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import START, org_of
from webapp.core.extensions import db
from webapp.models import Event, Lead, Membership
from webapp.services.accounts import api_keys
from webapp.services.events import ContactRef, EventIn, record_events
from webapp.services.leads import capture_lead


def key_for(org, owner) -> dict:
    m = db.session.scalars(
        select(Membership).where(Membership.org_id == org.id, Membership.user_id == owner.id)
    ).one()
    _row, key = api_keys.create_api_key(db.session, m, "Shop", now=START)
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def _lead(org, email: str) -> Lead:
    lead, _ = capture_lead(db.session, org.id, {"email": email}, source="manual", now=START)
    db.session.commit()
    return lead


def _api_events(**where) -> int:
    query = select(func.count()).select_from(Event).where(Event.source == "api")
    for name, value in where.items():
        query = query.where(getattr(Event, name) == value)
    return db.session.scalar(query)


def test_it_stores_one_event_then_answers_duplicate(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org, "ana@shop.example")
    event = {
        "name": "order.placed",
        "contact": {"email": "ANA@shop.example"},
        "properties": {"order_id": "o-7", "total": 19.9},
        "message_id": "order-o-7",
        "timestamp": "2026-11-20T10:00:00+01:00",
    }
    first = client.post("/api/v1/events", json=event, headers=auth)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["stored"] == 1 and body["results"][0]["contact_id"] == ana.id
    again = client.post("/api/v1/events", json=event, headers=auth)
    assert again.status_code == 200
    assert again.get_json()["results"][0]["status"] == "duplicate"
    assert again.get_json()["results"][0]["event_id"] == body["results"][0]["event_id"]
    row = db.session.scalars(select(Event).where(Event.source == "api")).one()
    assert row.occurred_at.isoformat() == "2026-11-20T09:00:00+00:00"


def test_a_batch_keeps_the_good_events_and_reports_each_bad_one(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org, "ana@shop.example")
    events = [
        {"name": "cart.abandoned", "contact": {"id": ana.id}, "properties": {"cart_id": "c1"}},
        {"name": "Cart Abandoned", "contact": {"id": ana.id}},
        {"name": "cart.abandoned", "contact": {"id": "7"}},
        {"name": "cart.abandoned"},
        {"name": "cart.abandoned", "contact": {"id": ana.id}, "properties": "big"},
        {"name": "cart.abandoned", "contact": {"id": ana.id}, "colour": "red"},
        "not an object",
        {"name": "user.created", "contact": {"email": "new@shop.example"}},
        {"name": "user.created", "contact": {"email": "new@shop.example"}, "create_contact": True},
        {"name": "order.placed", "contact": {"id": ana.id}, "timestamp": "2099-01-01T00:00:00Z"},
        {"name": "order.placed", "contact": {"id": ana.id}, "properties": {"x": "a" * 20_000}},
    ]
    response = client.post("/api/v1/events", json={"events": events}, headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["stored"], body["duplicates"], body["errors"]) == (2, 0, 9)
    by_index = {r["index"]: r for r in body["results"]}
    assert [r["status"] for r in body["results"]] == [
        "stored", "error", "error", "error", "error", "error", "error", "error", "stored",
        "error", "error",
    ]  # fmt: skip
    fields = {i: r["error"]["field"] for i, r in by_index.items() if r["error"]}
    assert fields == {
        1: "name",
        2: "contact.id",
        3: "contact",
        4: "properties",
        5: "colour",
        6: "event",
        7: "contact.email",
        9: "timestamp",
        10: "properties",
    }
    assert "cart.abandoned" in by_index[1]["error"]["message"]
    new = db.session.scalars(select(Lead).where(Lead.email == "new@shop.example")).one()
    assert by_index[8]["contact_id"] == new.id
    assert _api_events() == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"events": []}, 422, "events"),
        ({"events": "x"}, 422, "events"),
        ({"events": [{"name": "a.b", "contact": {"id": 1}}] * 501}, 422, "events"),
        ({"events": [], "name": "a.b"}, 422, "name"),
        ({"name": "a b", "contact": {"id": 1}}, 422, "name"),
        ({"name": "a.b", "contact": {"email": "x@y.example"}}, 422, "contact.email"),
    ],
)
def test_a_malformed_request_is_refused_naming_the_field(
    client, alice, alice_org, body, status, field
):
    auth = key_for(alice_org, alice)
    response = client.post("/api/v1/events", json=body, headers=auth)
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]
    assert _api_events() == 0


def test_it_refuses_a_body_that_is_not_a_json_object(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    assert client.post("/api/v1/events", data="name=x", headers=auth).status_code == 400
    response = client.post("/api/v1/events", json=[{"name": "a.b"}], headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "json_required"


def test_it_needs_a_workspace_key(client, alice_org):
    assert client.post("/api/v1/events", json={"name": "a.b"}).status_code == 401


def test_another_workspaces_key_sees_and_touches_nothing(client, alice, alice_org, charlie):
    ana = _lead(alice_org, "ana@shop.example")
    alice_auth = key_for(alice_org, alice)
    client.post(
        "/api/v1/events",
        json={"name": "order.placed", "contact": {"id": ana.id}, "message_id": "shared-id"},
        headers=alice_auth,
    )
    charlie_auth = key_for(org_of(charlie), charlie)
    by_id = client.post(
        "/api/v1/events",
        json={"name": "order.placed", "contact": {"id": ana.id}, "message_id": "x1"},
        headers=charlie_auth,
    )
    assert by_id.status_code == 422 and "contact.id" in by_id.get_json()["error"]["fields"]
    by_email = client.post(
        "/api/v1/events",
        json={"name": "order.placed", "contact": {"email": "ana@shop.example"}},
        headers=charlie_auth,
    )
    assert by_email.status_code == 422
    # A message id is Alice's alone: Charlie's event with the same id is Charlie's own event.
    created = client.post(
        "/api/v1/events",
        json={
            "name": "order.placed",
            "contact": {"email": "ana@shop.example"},
            "create_contact": True,
            "message_id": "shared-id",
        },
        headers=charlie_auth,
    )
    assert created.status_code == 201
    assert created.get_json()["results"][0]["contact_id"] != ana.id
    assert _api_events(org_id=alice_org.id) == 1
    assert _api_events(org_id=org_of(charlie).id) == 1


def test_two_concurrent_posts_of_one_message_id_store_one_row(app, client, alice, alice_org):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org, "ana@shop.example")
    event = {"name": "order.placed", "contact": {"id": ana.id}, "message_id": "race-1"}
    barrier = threading.Barrier(4)
    answers: list[int] = []

    def post() -> None:
        with app.test_client() as own:
            barrier.wait()
            answers.append(own.post("/api/v1/events", json=event, headers=auth).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(answers) == [200, 200, 200, 201]
    db.session.rollback()  # a fresh snapshot: this session read before the threads wrote
    assert _api_events(message_id="race-1") == 1


def test_the_second_of_two_open_transactions_waits_and_finds_the_first(app, alice_org):
    """PostgreSQL: the second INSERT waits on the unique index for the first transaction,
    then skips its row; it answers duplicate with the first event's id."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the write lock up front; two writers never overlap")
    ana = _lead(alice_org, "ana@shop.example")
    item = [EventIn("order.placed", ContactRef(id=ana.id), {}, "race-2")]
    first_session, second_session = Session(db.engine), Session(db.engine)
    first = record_events(first_session, alice_org.id, item, now=START)[0]
    second: list = []
    waiter = threading.Thread(
        target=lambda: second.extend(record_events(second_session, alice_org.id, item, now=START))
    )
    waiter.start()
    waiter.join(timeout=1.0)
    assert waiter.is_alive()  # blocked on the first transaction's row
    first_session.commit()
    waiter.join(timeout=10)
    second_session.commit()
    first_session.close()
    second_session.close()
    assert first.status == "stored"
    assert (second[0].status, second[0].event_id) == ("duplicate", first.event_id)
    assert _api_events(message_id="race-2") == 1


def test_the_openapi_document_describes_events(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/events"]["post"]
    assert operation["operationId"] == "recordEvents"
    schemas = document["components"]["schemas"]
    assert {"EventInput", "EventBatch", "EventResults", "ContactInput"} <= set(schemas)
    assert schemas["EventBatch"]["properties"]["events"]["maxItems"] == 500
