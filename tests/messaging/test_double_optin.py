"""Double opt-in for form leads: one confirmation mail, nothing else until its signed link
is clicked, then the held mail goes out; off by a workspace setting; imported and API
contacts are never asked."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from tests.conftest import START, login
from tests.messaging.factories import WELCOME, make_contact, make_sequence, sends_of
from webapp.core.extensions import db
from webapp.models import Lead, LeadEvent, OutboxMessage, QueuedJob
from webapp.services.leads import capture_lead
from webapp.services.leads.forms import form_token
from webapp.services.messaging import optin
from webapp.services.messaging.dispatch import process_due
from webapp.services.messaging.tracking import make_token
from webapp.services.suppression import may_send


def submit_form(app, client, org, email="ana@example.com") -> Lead:
    token = form_token(app.config["SECRET_KEY"], org.id)
    response = client.post(f"/f/{token}", data={"full_name": "Ana Lopez", "email": email})
    assert response.status_code == 200
    db.session.commit()  # end the read: see what the app's other sessions wrote
    return db.session.scalars(select(Lead).where(Lead.email == email)).one()


def outbox() -> list[OutboxMessage]:
    db.session.commit()  # end the read: see what the app's other sessions wrote
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def fresh(campaign):
    db.session.commit()  # end the read: see what the dispatcher's sessions wrote
    return campaign


def confirm_path(message: OutboxMessage) -> str:
    return urlsplit(re.search(r"https?://\S+/confirm/\S+", message.body_text).group(0)).path


def test_it_holds_a_form_leads_mail_until_the_link_in_its_confirmation_is_clicked(
    app, client, alice_org, clock
):
    campaign = make_sequence(alice_org, steps=WELCOME[:1])
    lead = submit_form(app, client, alice_org)
    assert (lead.optin_state, lead.optin_form) == ("pending", "website form")
    [confirmation] = outbox()  # sent right after the form's answer
    assert confirmation.to == "ana@example.com"
    assert "confirm" in confirmation.subject.lower() and "Alice Bakes" in confirmation.subject

    result = process_due(app, now=START + timedelta(minutes=5))
    assert result.sent == 0 and len(outbox()) == 1
    [send] = sends_of(fresh(campaign))
    job = db.session.get(QueuedJob, send.queued_job_id)
    assert send.status == "queued" and job.status == "pending"
    assert "Waiting for confirmation" in job.last_error
    assert may_send(db.session, lead, "email").startswith("Not sent: waiting for confirmation")

    clock.set(START + timedelta(hours=1))
    page = client.get(confirm_path(confirmation))
    assert page.status_code == 200 and "you are confirmed" in page.get_data(as_text=True)
    db.session.commit()  # end the read: see what the app's other sessions wrote
    assert (lead.optin_state, lead.optin_confirmed_at) == ("confirmed", START + timedelta(hours=1))
    assert (
        db.session.scalars(select(LeadEvent.description).where(LeadEvent.type == "optin_confirmed"))
        .one()
        .endswith("(signed up through the website form).")
    )

    assert process_due(app, now=START + timedelta(hours=1)).sent == 1
    assert [m.subject for m in outbox()][-1] == "Welcome, Ana!"
    again = client.get(confirm_path(confirmation))
    assert "Already confirmed" in again.get_data(as_text=True)


def test_it_sends_one_confirmation_and_a_scanner_confirms_nothing(app, client, alice_org):
    lead = submit_form(app, client, alice_org)
    submit_form(app, client, alice_org)  # the same address again: merged, not asked twice
    [confirmation] = outbox()
    path = confirm_path(confirmation)
    assert client.head(path).status_code == 200
    scanned = client.get(path, headers={"User-Agent": "Proofpoint URL Defense"})
    assert "Confirm my email address" in scanned.get_data(as_text=True)
    db.session.commit()  # end the read: see what the app's other sessions wrote
    assert lead.optin_state == "pending"
    assert client.post(path).status_code == 200  # the page's button
    db.session.commit()  # end the read: see what the app's other sessions wrote
    assert lead.optin_state == "confirmed"
    for forged in (
        make_token(app.config["SECRET_KEY"], "click", lead.id),
        make_token("another", "confirm", lead.id),
        "nonsense",
    ):
        assert client.get(f"/confirm/{forged}").status_code == 404


def test_the_workspace_can_switch_it_off(app, client, alice_org):
    alice_org.double_optin = False
    db.session.commit()
    campaign = make_sequence(alice_org, steps=WELCOME[:1])
    lead = submit_form(app, client, alice_org)
    assert lead.optin_state is None and outbox() == []
    assert process_due(app, now=START + timedelta(minutes=5)).sent == 1
    assert sends_of(fresh(campaign))[0].status == "sent"


def test_imported_and_api_contacts_are_not_asked(app, alice_org):
    for source in ("csv", "api", "manual"):
        lead, _ = capture_lead(
            db.session, alice_org.id, {"email": f"{source}@example.com"}, source=source, now=START
        )
        assert lead.optin_state is None and may_send(db.session, lead, "email") is None
    db.session.commit()
    assert db.session.scalar(select(QueuedJob.id).where(QueuedJob.kind == optin.KIND)) is None


def test_a_contact_who_never_confirms_gets_its_held_mail_cancelled(app, client, alice_org):
    campaign = make_sequence(alice_org, steps=WELCOME[:1])
    submit_form(app, client, alice_org)
    later = START + optin.GIVE_UP_AFTER + timedelta(days=1)
    assert process_due(app, now=later).sent == 0
    [send] = sends_of(fresh(campaign))
    assert send.status == "cancelled" and "never confirmed" in send.error


def test_the_contact_page_shows_the_confirmation_state(app, client, alice, alice_org):
    lead = submit_form(app, client, alice_org)
    other = make_contact(alice_org, email="imported@example.com")
    login(client, alice)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Email confirmation" in page and "Waiting for confirmation" in page
    client.get(confirm_path(outbox()[0]))
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Confirmed" in page and "from the website form" in page
    assert "Email confirmation" not in client.get(f"/leads/{other.id}").get_data(as_text=True)


def test_the_sequences_tick_sends_a_confirmation_the_form_left_behind(app, alice_org):
    from jobs.runner import run_job
    from webapp.services.leads import receive_form

    lead = receive_form(
        db.session, alice_org.id, {"email": "eve@example.com"}, ip="1", now=START
    ).lead
    db.session.commit()  # no request here, so nothing ran after a response
    assert lead.optin_state == "pending" and outbox() == []
    outcome = run_job(app, "automation", trigger="manual")
    assert outcome.status == "succeeded", outcome.message
    [confirmation] = outbox()
    assert confirmation.to == "eve@example.com" and confirmation.purpose == "optin"
    assert "/confirm/" in confirmation.body_text
