"""The website form never loses an enquiry: a phone number it cannot read is left out and
noted on the lead's timeline, the visitor sees a friendly page in the business's look, and
numbers without a country code are read in the workspace's phone country (issue 15, item 9)."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import START, csrf_token, login
from webapp.core.extensions import db
from webapp.models import BrandProfile, Lead, LeadEvent
from webapp.services.leads.forms import form_token


def _url(org) -> str:
    return f"/f/{form_token('test-secret', org.id)}"


def test_a_bad_phone_keeps_the_enquiry_with_its_email_and_notes_the_phone(client, alice_org):
    db.session.add(BrandProfile(org_id=alice_org.id, primary_color="#7a1f5c", phone="020 7946 0000",
                                updated_at=START))  # fmt: skip
    db.session.commit()
    answer = client.post(
        _url(alice_org),
        data={"name": "Ana", "email": "ana@limaltd.com", "phone": "12ab-not a number"},
    )
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Thank you" in html and "Alice Bakes" in html and "#7a1f5c" in html
    assert "Phone number" in html and "12ab-not a number" in html
    lead = db.session.scalars(select(Lead)).one()
    assert (lead.email, lead.phone, lead.full_name) == ("ana@limaltd.com", None, "Ana")
    note = db.session.scalars(
        select(LeadEvent).where(
            LeadEvent.lead_id == lead.id, LeadEvent.type == "form_field_dropped"
        )
    ).one()
    assert "12ab-not a number" in note.description and note.details["phone"]["typed"]

    as_json = client.post(_url(alice_org), json={"email": "bo@limaltd.com", "phone": "x1"})
    assert as_json.status_code == 200 and as_json.get_json()["not_kept"] == {
        "phone": "invalid phone number"
    }


def test_nothing_to_reach_the_person_is_a_friendly_page_not_a_bare_error(client, alice_org):
    answer = client.post(_url(alice_org), data={"name": "Ana", "phone": "12ab"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Please check the form" in html and "Alice Bakes" in html and "Phone number" in html
    assert db.session.scalars(select(Lead)).first() is None


def test_the_phone_country_is_the_workspaces_setting(client, alice, alice_org):
    alice_org.timezone = "UTC"  # no country from the zone: a local number cannot be read
    db.session.commit()
    client.post(_url(alice_org), data={"email": "a@limaltd.com", "phone": "07911 123456"})
    assert db.session.scalars(select(Lead.phone)).one() is None

    login(client, alice)
    assert "Country of phone numbers" in client.get("/settings").get_data(as_text=True)
    saved = client.post(
        "/settings",
        data={"csrf_token": csrf_token(client, "/settings"), "name": alice_org.name,
              "timezone": "UTC", "phone_region": "GB"},
    )  # fmt: skip
    assert saved.status_code == 302
    db.session.refresh(alice_org)
    assert alice_org.phone_region == "GB"
    assert "GB" in client.get("/settings").get_data(as_text=True)
    client.post(_url(alice_org), data={"email": "b@limaltd.com", "phone": "07911 123456"})
    phone = db.session.scalars(select(Lead.phone).where(Lead.email == "b@limaltd.com")).one()
    assert phone == "+447911123456"
