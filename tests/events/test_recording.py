"""Recording events (the service): checks per item, contacts by id, email or phone, contacts
created only when asked, de-duplication by message id, and `event_recorded`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from webapp.core import signals
from webapp.core.extensions import db
from webapp.models import Event, Lead
from webapp.services.events import (
    ContactRef,
    EventIn,
    EventInvalid,
    record_events,
    record_product_event,
)
from webapp.services.leads import capture_lead


def _lead(org, **data) -> Lead:
    lead, _ = capture_lead(db.session, org.id, data, source="manual", now=START)
    db.session.commit()
    return lead


def _count(**where) -> int:
    query = select(func.count()).select_from(Event)
    for name, value in where.items():
        query = query.where(getattr(Event, name) == value)
    return db.session.scalar(query)


@pytest.fixture
def heard(app):
    got: list[dict] = []

    def receiver(_sender, **payload):
        got.append(payload)

    signals.event_recorded.connect(receiver, sender=app)
    yield got
    signals.event_recorded.disconnect(receiver, sender=app)


def test_it_keeps_the_good_events_of_a_batch_and_says_what_is_wrong_with_the_others(
    alice_org, heard
):
    ana = _lead(alice_org, email="ana@shop.example", phone="+447911123456")
    heard.clear()  # its lead.captured
    items = [
        EventIn("cart.abandoned", ContactRef(id=ana.id), {"cart_id": "c1", "total": 42.5}, "m1"),
        EventIn("Cart Abandoned", ContactRef(id=ana.id)),
        EventIn("order.placed", ContactRef(email=" ANA@shop.example "), {"cart_id": "c1"}, "m2"),
        EventIn("order.placed", ContactRef(phone="07911 123456"), message_id="m3"),
        EventIn("order.placed", ContactRef(email="nobody@shop.example"), message_id="m4"),
        EventIn("order.placed", ContactRef(id=999_999), message_id="m5"),
        EventIn("order.placed", ContactRef(), message_id="m6"),
        EventIn("order.placed", ContactRef(email="not an email"), message_id="m7"),
        EventIn("x.y", ContactRef(id=ana.id), ["not", "an", "object"]),
        EventIn("x.y", ContactRef(id=ana.id), {"a": "x" * 17_000}),
        EventIn("x.y", ContactRef(id=ana.id), {"a": "nul\x00"}),
        EventIn("x.y", ContactRef(id=ana.id), timestamp=START + timedelta(hours=1)),
        EventIn("x.y", ContactRef(id=ana.id), timestamp=START - timedelta(days=700)),
        EventIn("a" * 101, ContactRef(id=ana.id)),
    ]
    results = record_events(db.session, alice_org.id, items, now=START)
    db.session.commit()

    assert [r.status for r in results] == [
        "stored", "error", "stored", "stored", "error", "error", "error",
        "error", "error", "error", "error", "error", "stored", "error",
    ]  # fmt: skip
    assert [r.index for r in results] == list(range(len(items)))
    errors = {r.index: r.field for r in results if r.status == "error"}
    assert errors == {
        1: "name",
        4: "contact.email",
        5: "contact.id",
        6: "contact",
        7: "contact.email",
        8: "properties",
        9: "properties",
        10: "properties",
        11: "timestamp",
        13: "name",
    }
    assert "create_contact" in results[4].error
    assert {r.lead_id for r in results if r.status == "stored"} == {ana.id}
    stored = db.session.scalars(select(Event).where(Event.source == "api").order_by(Event.id)).all()
    assert [(e.name, e.message_id, e.source) for e in stored[:3]] == [
        ("cart.abandoned", "m1", "api"),
        ("order.placed", "m2", "api"),
        ("order.placed", "m3", "api"),
    ]
    assert stored[0].properties == {"cart_id": "c1", "total": 42.5}
    assert stored[0].occurred_at == START and stored[0].received_at == START
    assert stored[3].occurred_at == START - timedelta(days=700)
    assert stored[3].message_id.startswith("gen:")  # none given: a random one
    # event_recorded once per stored event, with its id, after the row exists
    assert [p["event_id"] for p in heard] == [e.id for e in stored]
    assert heard[0]["name"] == "cart.abandoned" and heard[0]["lead_id"] == ana.id
    assert heard[0]["properties"] == {"cart_id": "c1", "total": 42.5}
    assert lead_count(alice_org) == 1  # nobody was created


def lead_count(org) -> int:
    return db.session.scalar(select(func.count()).select_from(Lead).where(Lead.org_id == org.id))


def test_it_stores_a_message_id_once_across_calls_and_within_a_batch(alice_org, heard):
    ana = _lead(alice_org, email="ana@shop.example")
    heard.clear()
    first = record_events(
        db.session, alice_org.id, [EventIn("order.placed", ContactRef(id=ana.id), {}, "o-1")],
        now=START,
    )[0]  # fmt: skip
    db.session.commit()
    again = record_events(
        db.session,
        alice_org.id,
        [
            EventIn("order.placed", ContactRef(id=ana.id), {"n": 2}, "o-1"),
            EventIn("order.placed", ContactRef(id=ana.id), {"n": 3}, "o-2"),
            EventIn("order.placed", ContactRef(id=ana.id), {"n": 4}, "o-2"),
        ],
        now=START,
    )
    db.session.commit()
    assert [r.status for r in again] == ["duplicate", "stored", "duplicate"]
    assert again[0].event_id == first.event_id
    assert again[2].event_id == again[1].event_id
    assert _count(message_id="o-1") == 1 and _count(message_id="o-2") == 1
    assert db.session.scalars(select(Event.properties).where(Event.message_id == "o-2")).one() == {
        "n": 3
    }
    assert len(heard) == 2  # no signal for a duplicate


def test_it_creates_an_unknown_contact_only_when_the_event_asks(alice_org):
    refused = record_events(
        db.session,
        alice_org.id,
        [EventIn("user.created", ContactRef(email="new@shop.example"), message_id="u1")],
        now=START,
    )
    assert refused[0].status == "error" and lead_count(alice_org) == 0
    created = record_events(
        db.session,
        alice_org.id,
        [
            EventIn(
                "user.created",
                ContactRef(email="New@Shop.example", name="Nia New", create=True),
                message_id="u1",
            ),
            EventIn("cart.abandoned", ContactRef(email="new@shop.example", create=True)),
        ],
        now=START,
    )
    db.session.commit()
    assert [r.status for r in created] == ["stored", "stored"]
    lead = db.session.scalars(select(Lead).where(Lead.org_id == alice_org.id)).one()
    assert (lead.email, lead.full_name, lead.source) == ("new@shop.example", "Nia New", "api")
    assert created[0].lead_id == created[1].lead_id == lead.id
    # the one capture path ran: its product event (lead.captured) is there too
    assert _count(lead_id=lead.id, name="lead.captured") == 1


def test_an_invalid_new_contact_is_an_error_of_that_event_alone(alice_org):
    results = record_events(
        db.session,
        alice_org.id,
        [
            EventIn("user.created", ContactRef(phone="12", create=True)),
            EventIn("user.created", ContactRef(email="ok@shop.example", create=True)),
        ],
        now=START,
    )
    assert results[0].status == "error" and results[0].field == "contact.phone"
    assert results[1].status == "stored"


def test_another_workspaces_contact_is_not_found(alice_org, charlie):
    from tests.conftest import org_of

    other = _lead(org_of(charlie), email="ana@shop.example")
    results = record_events(
        db.session,
        alice_org.id,
        [
            EventIn("x.y", ContactRef(id=other.id)),
            EventIn("x.y", ContactRef(email="ana@shop.example")),
        ],
        now=START,
    )
    assert [r.field for r in results] == ["contact.id", "contact.email"]
    assert _count() == 1  # only charlie's own lead.captured


def test_a_product_event_is_stored_once_per_message_id(alice_org, heard):
    ana = _lead(alice_org, email="ana@shop.example")
    heard.clear()
    first = record_product_event(
        db.session, alice_org.id, ana.id, "email.opened", {"send_id": 1}, message_id="open:1",
        now=START,
    )  # fmt: skip
    again = record_product_event(
        db.session, alice_org.id, ana.id, "email.opened", {"send_id": 1}, message_id="open:1",
        now=START,
    )  # fmt: skip
    assert first is not None and again is None
    assert [p["source"] for p in heard] == ["product"]
    with pytest.raises(EventInvalid):
        record_product_event(
            db.session, alice_org.id, ana.id, "Bad Name", message_id="x", now=START
        )
