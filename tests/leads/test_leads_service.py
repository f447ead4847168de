"""The lead service: normalising, de-duplicating by email and phone, scoring, status, notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.models import ActivityLog, Lead, LeadEvent
from webapp.services.leads.capture import (
    LeadInvalid,
    capture_lead,
    change_status,
    score_lead,
    update_notes,
)
from webapp.services.leads.fields import clean_phone, phone_search_term, region_for


def _capture(org, data, source="form", now=START):
    lead, created = capture_lead(db.session, org.id, data, source=source, now=now)
    db.session.commit()
    return lead, created


def _count(model, **where):
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_it_normalises_email_phone_and_name(alice_org):
    lead, created = _capture(
        alice_org,
        {
            "name": "  Ana   Lima ",
            "email": " Ana.Lima@Example.COM ",
            "phone": "07911 123456",
            "company": " Lima Ltd ",
        },
    )
    assert created
    assert lead.full_name == "Ana Lima"
    assert lead.email == "ana.lima@example.com"
    assert lead.phone == "+447911123456"  # Alice's workspace is in Europe/London: GB numbers
    assert lead.company == "Lima Ltd"
    assert lead.source == "form"
    assert lead.search_text == "ana lima ana.lima@example.com lima ltd +447911123456"


def test_it_reads_a_phone_in_the_country_given_or_the_workspace_zone():
    assert region_for("Europe/London") == "GB"
    assert region_for("America/New_York") == "US"
    assert region_for("Europe/London", "fr") == "FR"
    assert clean_phone("06 12 34 56 78", "FR") == "+33612345678"
    assert clean_phone("+1 (212) 555-0123", None) == "+12125550123"


def test_it_builds_the_name_from_first_and_last(alice_org):
    lead, _ = _capture(
        alice_org, {"first_name": "Bea", "last_name": "Cruz", "email": "bea@cruz.io"}
    )
    assert lead.full_name == "Bea Cruz"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "No Contact"}, "email", "no email or phone"),
        ({"email": "not-an-email"}, "email", "invalid email"),
        ({"phone": "12"}, "phone", "invalid phone"),
        ({"email": "a@b.co", "timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"email": "a@b.co", "country": "XX"}, "country", "unknown country"),
    ],
)
def test_it_refuses_bad_data_with_field_errors(alice_org, data, field, message):
    with pytest.raises(LeadInvalid) as caught:
        capture_lead(db.session, alice_org.id, data, source="api", now=START)
    assert caught.value.errors[field].startswith(message)
    assert _count(Lead) == 0


def test_it_merges_the_same_email_into_the_older_lead(alice_org, clock):
    first, _ = _capture(alice_org, {"email": "ana@lima.com"}, source="form")
    second, created = _capture(
        alice_org,
        {
            "email": "ANA@lima.com",
            "name": "Ana Lima",
            "phone": "+447911123456",
            "message": "call me",
        },
        source="api",
        now=START + timedelta(hours=1),
    )
    assert not created and second.id == first.id
    assert _count(Lead, org_id=alice_org.id) == 1
    assert second.full_name == "Ana Lima" and second.phone == "+447911123456"
    assert second.extra["message"] == "call me"
    merged = db.session.scalars(select(LeadEvent).where(LeadEvent.type == "merged")).one()
    assert set(merged.details["changed"]) == {"full_name", "phone", "extra"}
    assert merged.details["changed"]["phone"] == {"before": None, "after": "+447911123456"}
    assert "(filled in: phone, name, message)" in merged.description
    assert _count(ActivityLog, type="lead.merged") == 1


def test_it_merges_the_same_phone_and_keeps_what_was_there(alice_org):
    first, _ = _capture(alice_org, {"phone": "+447911123456", "name": "Ana"})
    again, created = _capture(
        alice_org, {"phone": "07911 123456", "name": "Someone Else", "company": "Lima Ltd"}
    )
    assert not created and again.id == first.id
    assert again.full_name == "Ana"  # never overwritten, only filled in
    assert again.company == "Lima Ltd"


def test_it_does_not_merge_across_workspaces(alice_org, charlie):
    from tests.conftest import org_of

    _capture(alice_org, {"email": "ana@lima.com"})
    _lead, created = _capture(org_of(charlie), {"email": "ana@lima.com"})
    assert created
    assert _count(Lead) == 2


def test_it_scores_with_reasons():
    lead = Lead(
        full_name="Ana Lima",
        email="ana@limaltd.com",
        phone="+447911123456",
        company="Lima Ltd",
        source="referral",
        extra={},
    )
    score, reasons = score_lead(lead)
    assert score == 90
    assert [r["points"] for r in reasons] == [25, 20, 15, 10, 20]
    assert reasons[0]["reason"] == "Email at a business domain (limaltd.com)"

    cold = Lead(
        full_name="", email="someone@gmail.com", phone=None, company="", source="csv", extra={}
    )
    score, reasons = score_lead(cold)
    assert score == 15
    assert [r["reason"] for r in reasons] == ["Personal email address (gmail.com)", "Source: csv"]


def test_it_raises_the_score_of_a_lead_that_comes_back(alice_org):
    lead, _ = _capture(alice_org, {"email": "ana@gmail.com"})
    before = lead.score
    lead, _ = _capture(alice_org, {"email": "ana@gmail.com"})
    assert lead.score == before + 10
    assert {"points": 10, "reason": "Got in touch again (2 times)"} in lead.score_reasons


def test_it_logs_the_arrival_on_the_timeline_and_in_the_activity_feed(alice_org):
    lead, _ = _capture(alice_org, {"email": "ana@lima.com"}, source="form")
    event = db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id)).one()
    assert event.type == "created" and "website form" in event.description
    row = db.session.scalars(select(ActivityLog).where(ActivityLog.type == "lead.captured")).one()
    assert row.entity_type == "lead" and row.entity_id == str(lead.id)
    assert row.actor_id is None


def test_it_changes_status_with_an_event_and_an_activity_row(alice, alice_org):
    lead, _ = _capture(alice_org, {"email": "ana@lima.com"})
    assert change_status(
        db.session, lead, "qualified", now=START, actor_id=alice.id, actor_name=alice.name
    )
    assert not change_status(db.session, lead, "qualified", now=START, actor_id=alice.id)
    db.session.commit()
    event = db.session.scalars(select(LeadEvent).where(LeadEvent.type == "status_changed")).one()
    assert event.details == {"before": "new", "after": "qualified"}
    assert event.actor_id == alice.id
    assert _count(ActivityLog, type="lead.status_changed") == 1
    with pytest.raises(DomainError):
        change_status(db.session, lead, "archived", now=START, actor_id=alice.id)


def test_it_keeps_the_old_notes_on_the_timeline(alice, alice_org):
    lead, _ = _capture(alice_org, {"email": "ana@lima.com"})
    assert update_notes(db.session, lead, "Wants a quote", now=START, actor_id=alice.id)
    assert update_notes(db.session, lead, "Sent the quote", now=START, actor_id=alice.id)
    assert not update_notes(db.session, lead, "Sent the quote ", now=START, actor_id=alice.id)
    events = db.session.scalars(
        select(LeadEvent).where(LeadEvent.type == "notes_updated").order_by(LeadEvent.id)
    ).all()
    assert [e.details["before"] for e in events] == ["", "Wants a quote"]


def test_it_turns_a_typed_phone_number_into_the_stored_form():
    assert phone_search_term("07911 123456", "GB") == "+447911123456"
    assert phone_search_term("123456", "GB") == "123456"
    assert phone_search_term("smith", "GB") is None


def test_it_captures_a_batch_merging_within_it_and_keeping_the_good_rows(alice_org):
    from webapp.services.leads.capture import Captured, capture_leads

    _capture(alice_org, {"email": "old@firm.com", "name": "Old Timer"})
    outcomes = capture_leads(
        db.session,
        alice_org.id,
        [
            {"email": "new@firm.com"},
            {"email": "broken@"},
            {
                "email": "NEW@firm.com",
                "phone": "07911 123456",
                "company": "Firm",
            },  # merges into row 1
            {"email": "old@firm.com", "company": "Old Firm"},  # merges into the saved lead
            {
                "phone": "+447911123456",
                "name": "Same Phone",
            },  # merges into row 1 by the phone it got
        ],
        source="api",  # people getting in touch (an import would not count `_seen`)
        now=START,
    )
    db.session.commit()
    assert isinstance(outcomes[1], LeadInvalid)
    assert [type(o) for o in outcomes] == [Captured, LeadInvalid, Captured, Captured, Captured]
    assert [o.created for o in outcomes if isinstance(o, Captured)] == [True, False, False, False]
    new_id = outcomes[0].lead_id
    assert outcomes[2].lead_id == outcomes[4].lead_id == new_id
    lead = db.session.get(Lead, new_id)
    assert (lead.email, lead.phone, lead.company, lead.full_name) == (
        "new@firm.com",
        "+447911123456",
        "Firm",
        "Same Phone",
    )
    assert (
        lead.extra["_seen"] == 3
        and lead.search_text == "same phone new@firm.com firm +447911123456"
    )
    assert lead.score == score_lead(lead)[0]
    types = db.session.scalars(
        select(LeadEvent.type).where(LeadEvent.lead_id == new_id).order_by(LeadEvent.id)
    ).all()
    assert types == ["created", "merged", "merged"]
    assert _count(Lead) == 2


def test_a_contact_cannot_put_a_link_into_the_businesss_messages(alice_org):
    """Issue 14, item 1: the public form as a phishing relay (a name that is a URL became the
    start of the subject, and the tracked link pointed at it)."""
    from webapp.services.messaging import render_step, variables_for
    from webapp.services.messaging.templating import links_in

    lead, _ = capture_lead(
        db.session,
        alice_org.id,
        {
            "email": "victim@example.com",
            "name": "https://evil.example/win-a-prize",
            "company": "verify your account at https://evil.example/login",
        },
        source="form",
        now=START,
    )
    db.session.commit()
    assert (lead.full_name, lead.company) == ("", "verify your account at")

    class Step:
        channel, subject = "email", "{{firstName|Hello}}, welcome to {{companyName}}"
        body = "Hi {{customerName|there}} from {{contactCompany}}. See https://alicebakes.example"

    message = render_step(Step(), lead, alice_org)
    assert "evil" not in message.subject + message.text
    assert links_in(message.text) == ["https://alicebakes.example"]
    assert "evil" not in str(variables_for(lead, alice_org))
