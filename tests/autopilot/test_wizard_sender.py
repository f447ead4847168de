"""The wizard's business step asks who the workspace's emails come from: offered from the
saved sender, else the mail server's "Send as", else the owner's address; checked; stored
on the workspace when the step is done."""

from __future__ import annotations

import pytest

from tests.autopilot.test_wizard import BUSINESS, post
from tests.conftest import START, login
from tests.messaging.factories import make_contact, make_sequence
from webapp.core.extensions import db
from webapp.models import ActivityLog, Organization
from webapp.models.sequence import SequenceStep
from webapp.services.connections import save_credentials


@pytest.fixture
def owner(client, alice):
    login(client, alice)
    return client


def org_of(org_id: int) -> Organization:
    db.session.expire_all()
    return db.session.get(Organization, org_id)


def test_it_offers_the_owners_address_and_stores_the_sender(owner, alice, alice_org):
    html = owner.get("/autopilot/setup/business").get_data(as_text=True)
    assert 'name="sender_email"' in html and f'value="{alice.email}"' in html
    assert f'value="{alice_org.name}"' in html and "Step 1 of 4" in html
    typed = {**BUSINESS, "sender_name": "Alice's Bakery", "sender_email": "Hello@Alice.example"}
    assert post(owner, "business", typed).status_code == 303
    org = org_of(alice_org.id)
    assert (org.email_from_name, org.email_from_address) == (
        "Alice's Bakery",
        "Hello@alice.example",
    )
    assert db.session.query(ActivityLog).filter_by(type="email.sender_changed").count() == 1
    again = owner.get("/autopilot/setup/business").get_data(as_text=True)
    assert 'value="Hello@Alice.example"' in again  # as typed


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"sender_name": "Alice", "sender_email": "not an address"}, "sender_email", "valid email"),
        ({"sender_name": "Alice", "sender_email": ""}, "sender_email", "Enter the address"),
        ({"sender_name": "x" * 101, "sender_email": "a@b.example"}, "sender_name", "at most 100"),
    ],
)
def test_it_refuses_a_bad_sender_naming_the_field(owner, alice_org, typed, field, message):
    response = post(owner, "business", {**BUSINESS, **typed}, htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in text and message in text
    assert not org_of(alice_org.id).email_from_address


def test_it_offers_the_mail_servers_send_as(app, owner, alice_org):
    values = {"host": "smtp.example.com", "port": "587", "username": "u", "password": "p",
              "starttls": "1", "use_ssl": "", "sender": "Alice Bakes <shop@alicebakes.example>"}  # fmt: skip
    save_credentials(db.session, alice_org.id, "smtp", values, actor_id=None, now=START)
    db.session.commit()
    html = owner.get("/autopilot/setup/business").get_data(as_text=True)
    assert 'value="shop@alicebakes.example"' in html and 'value="Alice Bakes"' in html


def test_the_step_preview_shows_the_workspaces_sender(owner, alice_org):
    alice_org.email_from_name, alice_org.email_from_address = "Alice Bakes", "hi@alice.example"
    db.session.commit()
    sequence = make_sequence(alice_org, active=False)
    make_contact(alice_org, full_name="Zoë", email="zoe@example.com")
    step_id = db.session.query(SequenceStep.id).filter_by(campaign_id=sequence.id).first()[0]
    html = owner.get(f"/automation/steps/{step_id}/preview", headers={"HX-Request": "true"})
    assert "hi@alice.example" in html.get_data(as_text=True)
