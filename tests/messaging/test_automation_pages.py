"""The automation pages over HTTP: the sequence list, the builder (schedule, steps, preview),
the Automation tab (its four buttons, counts, jobs, retry and cancel), the outbox, roles and
workspace isolation."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import START, csrf_token, login, org_of
from webapp.core.extensions import db
from webapp.models import Campaign, Lead, OutboxMessage, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.leads.capture import capture_leads
from webapp.services.messaging import sequence_lifecycle, sequences

ALWAYS = {
    "days": [0, 1, 2, 3, 4, 5, 6],
    "start": "00:00",
    "end": "23:59",
    "timezone_mode": "workspace",
    "timezone": None,
}
WELCOME = [
    {
        "channel": "email",
        "subject": "Welcome to {{companyName}}, {{firstName|there}}!",
        "body": "Hi {{firstName|there}},\n\nThanks for joining.",
        "delay_value": 0,
        "delay_unit": "minutes",
    },
    {
        "channel": "sms",
        "subject": "",
        "body": "Hi {{firstName}}, a reminder from {{companyName}}.",
        "delay_value": 2,
        "delay_unit": "days",
    },
    {
        "channel": "whatsapp",
        "subject": "",
        "body": "Come back soon, {{firstName|friend}}!",
        "delay_value": 7,
        "delay_unit": "days",
    },
]


def make_sequence(
    org, *, steps=WELCOME, active: bool = False, name: str = "Welcome series", schedule=ALWAYS
) -> Campaign:
    campaign = sequences.create_sequence(
        db.session,
        org.id,
        name=name,
        schedule=schedule,
        actor_id=None,
        now=START - timedelta(hours=1),
    )
    for step in steps:
        sequences.add_step(
            db.session, campaign, **step, actor_id=None, now=START - timedelta(hours=1)
        )
    if active:
        sequence_lifecycle.activate_sequence(
            db.session, campaign, actor_id=None, now=START - timedelta(minutes=30)
        )
    db.session.commit()
    return campaign


def add_contact(org, now=START - timedelta(minutes=10), **data) -> Lead:
    """A contact as an import brings it: enrolled by the next trigger (15-minute job or Trigger Now)."""
    (outcome,) = capture_leads(db.session, org.id, [data], source="csv", now=now)
    db.session.commit()
    return db.session.get(Lead, outcome.lead_id)


def hx(token: str) -> dict:
    return {"HX-Request": "true", "X-CSRFToken": token}


def steps_of(campaign: Campaign) -> list[SequenceStep]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(SequenceStep)
            .where(SequenceStep.campaign_id == campaign.id)
            .order_by(SequenceStep.position)
        )
    )


# --- the list ---------------------------------------------------------------------------------


def test_it_explains_sequences_when_there_are_none(client, alice):
    login(client, alice)
    html = client.get("/automation").get_data(as_text=True)
    assert "No sequences yet" in html and "A sequence is" in html
    assert "SMS</span> 2 days later" in html and "WhatsApp</span> a week after that" in html
    assert 'href="/automation/new"' in html and 'href="/outbox"' in html
    assert 'href="/automation" aria-current="page"' in html  # the nav entry is the real page now


def test_it_lists_sequences_with_trigger_status_steps_and_results(client, alice, alice_org):
    campaign = make_sequence(alice_org, active=True)
    make_sequence(alice_org, name="Draft one", steps=WELCOME[:1])
    login(client, alice)
    html = client.get("/automation").get_data(as_text=True)
    row = re.search(rf'<tr id="sequence-{campaign.id}">(.*?)</tr>', html, re.S).group(1)
    assert "Welcome series" in row and "New contact" in row and "Active" in row
    assert '<td class="num">3</td>' in row  # steps
    assert "Draft one" in html and "Draft" in html


# --- creating and editing the sequence -------------------------------------------------------


def test_it_creates_a_sequence_and_opens_its_builder(client, alice, alice_org):
    login(client, alice)
    token = csrf_token(client, "/automation/new")
    response = client.post(
        "/automation/new",
        data={
            "csrf_token": token,
            "name": "Welcome",
            "days": ["0", "1", "2", "3", "4"],
            "start": "09:00",
            "end": "18:00",
            "timezone_mode": "contact",
        },
    )
    assert response.status_code == 303
    campaign = db.session.scalars(
        select(Campaign).where(Campaign.org_id == alice_org.id, Campaign.kind == "sequence")
    ).one()
    assert response.headers["Location"].endswith(f"/automation/{campaign.id}/edit")
    assert campaign.status == "draft" and campaign.settings["trigger"] == "new_contact"
    assert campaign.settings["schedule"] == {
        "days": [0, 1, 2, 3, 4],
        "start": "09:00",
        "end": "18:00",
        "timezone_mode": "contact",
        "timezone": None,
    }
    page = client.get(f"/automation/{campaign.id}/edit").get_data(as_text=True)
    assert "No messages yet" in page and "Europe/London" in page and "{{firstName|there}}" in page


def test_it_shows_field_errors_in_place_when_the_sequence_form_is_wrong(client, alice, alice_org):
    login(client, alice)
    token = csrf_token(client, "/automation/new")
    response = client.post(
        "/automation/new",
        headers=hx(token),
        data={"name": "  ", "start": "18:00", "end": "09:00", "timezone_mode": "workspace"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and html.lstrip().startswith('<form id="sequence-form"')
    assert (
        "Give the sequence a name." in html
        and "Tick at least one day." in html
        and "The window must end after it starts." in html
    )
    assert db.session.scalar(select(Campaign.id).where(Campaign.kind == "sequence")) is None


def test_it_saves_name_and_schedule_or_says_what_is_wrong(client, alice, alice_org):
    campaign = make_sequence(alice_org)
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}/edit")
    bad = client.post(
        f"/automation/{campaign.id}/edit",
        headers=hx(token),
        data={"name": "Welcome", "days": ["9"], "start": "25:00", "end": "18:00"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Not a valid choice" in html or "not a valid choice" in html.lower()
    good = client.post(
        f"/automation/{campaign.id}/edit",
        headers=hx(token),
        data={
            "name": "Hello <b>series</b>",
            "days": ["5", "6"],
            "start": "10:00",
            "end": "16:30",
            "timezone_mode": "workspace",
        },
    )
    assert good.status_code == 200 and "Saved." in good.get_data(as_text=True)
    assert "Hello &lt;b&gt;series&lt;/b&gt;" in good.get_data(as_text=True)
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.name == "Hello <b>series</b>" and campaign.settings["schedule"]["days"] == [
        5,
        6,
    ]
    assert campaign.settings["schedule"]["end"] == "16:30"


# --- steps ----------------------------------------------------------------------------------


def test_it_adds_a_step_and_answers_with_the_list(client, alice, alice_org):
    campaign = make_sequence(alice_org, steps=[])
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}/edit")
    form = client.get(f"/automation/{campaign.id}/steps/new", headers=hx(token)).get_data(
        as_text=True
    )
    assert (
        form.lstrip().startswith('<div id="new-step"')
        and "<html" not in form
        and "the contact joins" in form
    )
    response = client.post(
        f"/automation/{campaign.id}/steps/new",
        headers=hx(token),
        data={
            "channel": "email",
            "subject": "Welcome {{firstName|there}}",
            "body": "Hello!",
            "delay_value": "0",
            "delay_unit": "minutes",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="sequence-steps"')
    assert response.headers["HX-Retarget"] == "#sequence-steps"
    assert "activity-changed" in response.headers["HX-Trigger"]
    (step,) = steps_of(campaign)
    assert f'id="step-{step.id}"' in html and "Right away, when the contact joins" in html
    assert step.subject == "Welcome {{firstName|there}}" and step.channel == "email"


def test_it_shows_step_errors_in_place(client, alice, alice_org):
    campaign = make_sequence(alice_org, steps=[])
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}/edit")
    response = client.post(
        f"/automation/{campaign.id}/steps/new",
        headers=hx(token),
        data={
            "channel": "email",
            "subject": "",
            "body": "   ",
            "delay_value": "-1",
            "delay_unit": "days",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert (
        "An email needs a subject." in html
        and "Write the message." in html
        and "Enter 0 or more." in html
    )
    # The service's own rules land under their field too (an unknown variable).
    response = client.post(
        f"/automation/{campaign.id}/steps/new",
        headers=hx(token),
        data={
            "channel": "sms",
            "body": "Hi {{nickname}}",
            "delay_value": "1",
            "delay_unit": "days",
        },
    )
    assert response.status_code == 422 and "Unknown variable {{nickname}}" in response.get_data(
        as_text=True
    )
    assert steps_of(campaign) == []


def test_it_edits_a_step_in_place(client, alice, alice_org):
    campaign = make_sequence(alice_org)
    first, second, _third = steps_of(campaign)
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}/edit")
    form = client.get(f"/automation/steps/{second.id}/edit", headers=hx(token)).get_data(
        as_text=True
    )
    assert form.lstrip().startswith(f'<li id="step-{second.id}"') and "Edit message 2" in form
    response = client.post(
        f"/automation/steps/{second.id}/edit",
        headers=hx(token),
        data={
            "channel": "whatsapp",
            "body": "Changed text",
            "delay_value": "3",
            "delay_unit": "hours",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(f'<li id="step-{second.id}"')
    assert "3 hours after the previous message" in html and "Changed text" in html
    cancel = client.get(f"/automation/steps/{first.id}", headers=hx(token)).get_data(as_text=True)
    assert cancel.lstrip().startswith(f'<li id="step-{first.id}"') and "<html" not in cancel


def test_it_moves_and_deletes_steps(client, alice, alice_org):
    campaign = make_sequence(alice_org)
    email, sms, whatsapp = steps_of(campaign)
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}/edit")
    response = client.post(
        f"/automation/steps/{whatsapp.id}/move", headers=hx(token), data={"direction": "up"}
    )
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert [s.id for s in steps_of(campaign)] == [email.id, whatsapp.id, sms.id]
    client.post(
        f"/automation/steps/{email.id}/move", headers=hx(token), data={"direction": "up"}
    )  # already first
    assert [s.id for s in steps_of(campaign)] == [email.id, whatsapp.id, sms.id]
    assert (
        client.post(
            f"/automation/steps/{email.id}/move", headers=hx(token), data={"direction": "sideways"}
        ).status_code
        == 400
    )
    response = client.post(f"/automation/steps/{email.id}/delete", headers=hx(token))
    html = response.get_data(as_text=True)
    assert (
        response.status_code == 200
        and "Message deleted." in html
        and f'id="step-{email.id}"' not in html
    )
    assert [(s.id, s.position) for s in steps_of(campaign)] == [(whatsapp.id, 1), (sms.id, 2)]


def test_it_previews_a_step_for_a_real_contact_escaping_what_people_typed(client, alice, alice_org):
    campaign = make_sequence(
        alice_org,
        steps=[
            {
                "channel": "email",
                "subject": "Hi {{firstName|there}} <i>x</i>",
                "body": "<script>alert(1)</script> Dear {{customerName}}",
                "delay_value": 0,
                "delay_unit": "days",
            },
            {
                "channel": "sms",
                "subject": "",
                "body": "Hi {{firstName|there}} from {{companyName}}",
                "delay_value": 1,
                "delay_unit": "days",
            },
        ],
    )
    email, sms = steps_of(campaign)
    add_contact(alice_org, name="<b>Eve</b> Evil", email="eve@example.com")
    nameless = add_contact(alice_org, phone="+447911123456")
    login(client, alice)
    html = client.get(
        f"/automation/steps/{email.id}/preview", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert html.lstrip().startswith(f'<div id="preview-{email.id}"') and "<html" not in html
    assert "<script>alert" not in html and "<b>Eve" not in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "eve@example.com" in html
    assert "sandbox" in html and "allow-scripts" not in html
    html = client.get(
        f"/automation/steps/{sms.id}/preview?lead_id={nameless.id}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Hi there from Alice Bakes" in html and "+447911123456" in html


def test_it_activates_only_a_sequence_with_steps_and_pauses_it(client, alice, alice_org):
    empty = make_sequence(alice_org, steps=[], name="Empty")
    ready = make_sequence(alice_org)
    login(client, alice)
    token = csrf_token(client, f"/automation/{empty.id}/edit")
    response = client.post(
        f"/automation/{empty.id}/activate", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Not activated: Add at least one step" in response.get_data(as_text=True)
    client.post(f"/automation/{ready.id}/activate", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Campaign, ready.id).status == "active"
    assert db.session.get(Campaign, empty.id).status == "draft"
    client.post(f"/automation/{ready.id}/pause", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Campaign, ready.id).status == "paused"


def test_it_finishes_a_sequence_after_its_queued_messages(client, alice, alice_org):
    campaign = make_sequence(alice_org, active=True)
    add_contact(alice_org, name="Ann Lee", email="ann@example.com")
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}")
    client.post(
        f"/automation/{campaign.id}/run/trigger", headers=hx(token)
    )  # Ann's three messages queued
    response = client.post(
        f"/automation/{campaign.id}/finish", data={"csrf_token": token}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert (
        "Finishing: nobody new is enrolled" in html
        and "completes once its last queued message" in html
    )
    assert "Finish</button>" not in html
    db.session.expire_all()
    assert (
        db.session.get(Campaign, campaign.id).status == "active"
    )  # never completed while jobs remain
    empty = make_sequence(alice_org, name="Nobody yet", active=True)
    html = client.post(
        f"/automation/{empty.id}/finish", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Completed: no message of it was left to send." in html
    db.session.expire_all()
    assert db.session.get(Campaign, empty.id).status == "completed"


# --- the automation tab ---------------------------------------------------------------------


def test_the_tab_shows_the_buttons_counts_and_an_empty_job_list(client, alice, alice_org):
    campaign = make_sequence(alice_org, active=True)
    login(client, alice)
    html = client.get(f"/automation/{campaign.id}").get_data(as_text=True)
    for label in ("Test Trigger", "Trigger Now", "Test Process", "Process Now"):
        assert label in html
    assert 'id="automation-status"' in html and "No messages yet" in html
    assert 'hx-target="this" hx-swap="outerHTML"' in html


def test_trigger_now_enrols_new_contacts_and_says_who_was_skipped(client, alice, alice_org):
    campaign = make_sequence(alice_org, active=True)
    add_contact(alice_org, name="Ann Lee", email="ann@example.com")
    add_contact(alice_org, name="Ben Ray", email="ben@example.com")
    add_contact(alice_org, name="Phone Only", phone="+447911123401")
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}")
    response = client.post(f"/automation/{campaign.id}/run/trigger", headers=hx(token))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    # The phone-only contact enters at its first SMS step (issue 15): nobody is skipped.
    assert "Enrolled 3 new contacts." in html
    assert {"activity-changed", "automation-changed"} <= set(
        response.headers["HX-Trigger"].split('"')
    )
    assert (
        db.session.scalar(select(Enrollment.id).where(Enrollment.test_mode.is_(False)).limit(1))
        is not None
    )
    again = client.post(f"/automation/{campaign.id}/run/trigger", headers=hx(token)).get_data(
        as_text=True
    )
    assert "No new contacts to enrol" in again


def test_process_now_sends_what_is_due_to_the_outbox(client, alice, alice_org):
    campaign = make_sequence(alice_org, active=True)
    add_contact(alice_org, name="Ann Lee", email="ann@example.com")
    add_contact(alice_org, name="Bad Address", email="bad@example.com")
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}")
    client.post(f"/automation/{campaign.id}/run/trigger", headers=hx(token))
    due = client.get(f"/automation/{campaign.id}/status", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "load delay:5s" in due and "Due now:</strong> 2" in due  # polls while messages are due
    db.session.expire_all()
    response = client.post(f"/automation/{campaign.id}/run/process", headers=hx(token))
    html = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Sent 2." in html
    # Email-only contacts: their SMS and WhatsApp steps are skipped, never queued (issue 15).
    assert "waiting for their time" not in html
    db.session.expire_all()
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.org_id == alice_org.id)
    ).all()
    assert sorted(m.to for m in mails) == ["ann@example.com", "bad@example.com"]
    assert "Welcome to Alice Bakes, Ann!" in {m.subject for m in mails}
    status = client.get(
        f"/automation/{campaign.id}/status", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert status.lstrip().startswith('<section id="automation-status"') and "100.0%" in status
    assert "load delay:5s" not in status  # nothing due now: it stops polling
    seen = re.search(r"seen=([\d-]+)", status).group(1)
    moved_on = client.get(
        f"/automation/{campaign.id}/status?seen=4-4-0-0-0-0", headers={"HX-Request": "true"}
    )
    assert "automation-jobs-stale" in moved_on.headers["HX-Trigger"]  # the jobs table refreshes too
    same = client.get(
        f"/automation/{campaign.id}/status?seen={seen}", headers={"HX-Request": "true"}
    )
    assert "HX-Trigger" not in same.headers
    jobs = client.get(
        f"/automation/{campaign.id}/jobs?status=completed", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert jobs.count("status-job-completed") == 2 and "Ann Lee" in jobs
    again = client.post(f"/automation/{campaign.id}/run/process", headers=hx(token)).get_data(
        as_text=True
    )
    assert "Nothing was due." in again


def test_test_trigger_and_test_process_record_tests_and_send_nothing_real(client, alice, alice_org):
    campaign = make_sequence(alice_org)  # a draft: the test buttons still work
    add_contact(alice_org, name="Ann Lee", email="ann@example.com")
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}")
    real = client.post(f"/automation/{campaign.id}/run/trigger", headers=hx(token)).get_data(
        as_text=True
    )
    assert "the sequence is not active" in real
    html = client.post(f"/automation/{campaign.id}/run/test-trigger", headers=hx(token)).get_data(
        as_text=True
    )
    assert "Enrolled 1 new contact as a test" in html
    html = client.post(f"/automation/{campaign.id}/run/test-process", headers=hx(token)).get_data(
        as_text=True
    )
    assert "Recorded 1 test message in the outbox (sent to nobody)." in html
    db.session.expire_all()
    (mail,) = db.session.scalars(select(OutboxMessage)).all()
    assert mail.test_mode
    assert db.session.scalar(select(Send.test_mode)) is True
    jobs = client.get(f"/automation/{campaign.id}").get_data(as_text=True)
    assert "test-badge" in jobs


def test_it_cancels_a_pending_job_and_retries_a_failed_one(client, alice, alice_org):
    campaign = make_sequence(
        alice_org, active=True, steps=WELCOME[1:2]
    )  # one SMS, 2 days after joining
    add_contact(alice_org, name="Ann Lee", phone="+447911123401")
    add_contact(alice_org, name="Ben Ray", phone="+447911123402")
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}")
    client.post(f"/automation/{campaign.id}/run/trigger", headers=hx(token))
    db.session.expire_all()
    first, second = db.session.scalars(select(Send).order_by(Send.id)).all()
    response = client.post(
        f"/automation/{campaign.id}/jobs/{first.queued_job_id}/cancel", headers=hx(token)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="automation-jobs"')
    assert "The message was cancelled" in html and "Cancelled by Alice Owner." in html
    assert "automation-counts-changed" in response.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(QueuedJob, first.queued_job_id).status == "cancelled"
    # A failed job (its provider refused it for good) can be retried.
    job = db.session.get(QueuedJob, second.queued_job_id)
    job.status, job.last_error, job.error_class = (
        "failed",
        "The provider refused the credentials.",
        "THIRD_PARTY_AUTH_FAILED",
    )
    send = db.session.get(Send, second.id)
    send.status, send.error, send.error_class = (
        "failed",
        "The provider refused the credentials.",
        "THIRD_PARTY_AUTH_FAILED",
    )
    db.session.commit()
    html = client.get(f"/automation/{campaign.id}").get_data(as_text=True)
    assert "THIRD_PARTY_AUTH_FAILED" in html and "check them in Settings → Integrations" in html
    response = client.post(
        f"/automation/{campaign.id}/jobs/{second.queued_job_id}/retry", headers=hx(token)
    )
    assert "will be sent again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QueuedJob, second.queued_job_id).status == "pending"
    again = client.post(
        f"/automation/{campaign.id}/jobs/{second.queued_job_id}/retry", headers=hx(token)
    )
    assert "nothing to retry" in again.get_data(as_text=True)


def test_the_jobs_table_pages(client, alice, alice_org):
    campaign = make_sequence(alice_org, active=True, steps=WELCOME[1:2])
    for n in range(27):
        add_contact(alice_org, name=f"Person {n:02d}", phone=f"+4479111234{n:02d}")
    login(client, alice)
    token = csrf_token(client, f"/automation/{campaign.id}")
    client.post(f"/automation/{campaign.id}/run/trigger", headers=hx(token))
    first = client.get(f"/automation/{campaign.id}/jobs", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert first.count('<tr id="job-') == 25 and "Older →" in first
    second = client.get(
        f"/automation/{campaign.id}/jobs?page=2", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert second.count('<tr id="job-') == 2 and "← Newer" in second and "Older" not in second


# --- the outbox -----------------------------------------------------------------------------


def _outbox(org, **fields) -> OutboxMessage:
    row = OutboxMessage(org_id=org.id, created_at=START, **fields)
    db.session.add(row)
    db.session.commit()
    return row


def test_the_outbox_lists_messages_newest_first_and_filters_by_channel(client, alice, alice_org):
    _outbox(
        alice_org,
        channel="email",
        to="ann@example.com",
        subject="Welcome Ann",
        body_text="Hi",
        purpose="sequence",
    )
    _outbox(
        alice_org,
        channel="sms",
        to="+447911123401",
        body_text="Reminder text",
        purpose="sequence",
        test_mode=True,
    )
    login(client, alice)
    html = client.get("/outbox").get_data(as_text=True)
    assert html.index("Reminder text") < html.index("Welcome Ann")  # same time: higher id first
    assert "No mail server (SMTP) or Twilio account is set up" in html and "test-badge" in html
    only_sms = client.get("/outbox?channel=sms", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "<html" not in only_sms and "Reminder text" in only_sms and "Welcome Ann" not in only_sms
    assert "No WhatsApp messages" in client.get("/outbox?channel=whatsapp").get_data(as_text=True)


def test_the_outbox_is_empty_with_a_hint(client, alice):
    login(client, alice)
    assert "The outbox is empty" in client.get("/outbox").get_data(as_text=True)


def test_an_outbox_email_shows_headers_the_html_in_a_sandbox_and_the_text(client, alice, alice_org):
    mail = _outbox(
        alice_org,
        channel="email",
        to="ann@example.com",
        sender="Alice Bakes <shop@example.com>",
        subject="Welcome <Ann>",
        body_text="Hi Ann",
        body_html='<p>Hi Ann</p><script>alert("x")</script>',
        purpose="sequence",
        headers={
            "List-Unsubscribe": "<http://127.0.0.1:8000/u/abc>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    login(client, alice)
    html = client.get(f"/outbox/{mail.id}").get_data(as_text=True)
    assert "Welcome &lt;Ann&gt;" in html and "List-Unsubscribe" in html and "One-Click" in html
    iframe = re.search(r"<iframe[^>]*>", html).group(0)
    assert " sandbox " in iframe and "allow-scripts" not in iframe
    assert "<script>alert" not in html and "&lt;script&gt;" in iframe
    assert "Plain-text version" in html and "Hi Ann" in html


def test_an_outbox_text_message_shows_as_a_phone_bubble(client, alice, alice_org):
    sms = _outbox(
        alice_org,
        channel="whatsapp",
        to="+447911123401",
        body_text="Hello <b>there</b>",
        test_mode=True,
        purpose="sequence",
    )
    login(client, alice)
    html = client.get(f"/outbox/{sms.id}").get_data(as_text=True)
    assert 'class="bubble"' in html and "Hello &lt;b&gt;there&lt;/b&gt;" in html
    assert "A test message" in html


# --- roles and isolation --------------------------------------------------------------------


def test_staff_can_build_and_run_a_sequence(client, bob, alice_org):
    campaign = make_sequence(alice_org, active=True)
    login(client, bob)
    token = csrf_token(client, f"/automation/{campaign.id}")
    assert (
        client.post(f"/automation/{campaign.id}/run/trigger", headers=hx(token)).status_code == 200
    )
    response = client.post(
        f"/automation/{campaign.id}/steps/new",
        headers=hx(token),
        data={
            "channel": "sms",
            "body": "Bob's step",
            "delay_value": "1",
            "delay_unit": "days",
        },
    )
    assert response.status_code == 200 and len(steps_of(campaign)) == 4


def test_support_reads_but_cannot_change_anything(client, support_user):
    org = org_of(support_user)
    campaign = make_sequence(org, active=True)
    step = steps_of(campaign)[0]
    login(client, support_user)
    for path in (
        "/automation",
        f"/automation/{campaign.id}",
        f"/automation/{campaign.id}/edit",
        "/outbox",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    tab = client.get(f"/automation/{campaign.id}").get_data(as_text=True)
    assert "Process Now" not in tab and "Pause" not in tab
    assert "New sequence" not in client.get("/automation").get_data(as_text=True)
    token = csrf_token(client, "/automation")
    for path in (
        f"/automation/{campaign.id}/run/process",
        f"/automation/{campaign.id}/pause",
        f"/automation/steps/{step.id}/delete",
        f"/automation/{campaign.id}/steps/new",
        "/automation/new",
    ):
        assert client.post(path, headers=hx(token)).status_code == 403, path
    assert client.get("/automation/new").status_code == 403


def test_another_workspace_sees_nothing(client, alice_org, charlie):
    campaign = make_sequence(alice_org, active=True)
    step = steps_of(campaign)[0]
    alice_lead = add_contact(alice_org, name="Ann Lee", email="ann@example.com")
    mail = _outbox(
        alice_org, channel="email", to="ann@example.com", subject="Alice's mail", body_text="Hi"
    )
    login(client, charlie)
    assert "Welcome series" not in client.get("/automation").get_data(as_text=True)
    assert "Alice&#39;s mail" not in client.get("/outbox").get_data(as_text=True)
    for path in (
        f"/automation/{campaign.id}",
        f"/automation/{campaign.id}/edit",
        f"/automation/{campaign.id}/status",
        f"/automation/steps/{step.id}/preview",
        f"/outbox/{mail.id}",
    ):
        assert client.get(path).status_code == 404, path
    # Charlie's own sequence cannot preview Alice's contact either.
    own = make_sequence(org_of(charlie), name="Charlie's")
    own_step = steps_of(own)[0]
    assert (
        client.get(f"/automation/steps/{own_step.id}/preview?lead_id={alice_lead.id}").status_code
        == 404
    )


def test_an_auto_campaign_is_not_a_sequence(client, alice, alice_org):
    from tests.autopilot.test_campaigns_pages import with_campaigns

    meta, *_ = with_campaigns(alice_org)
    login(client, alice)
    assert client.get(f"/automation/{meta.id}").status_code == 404


def test_a_sequence_form_sent_twice_creates_one_sequence(client, alice, alice_org):
    import re

    login(client, alice)
    page = client.get("/automation/new").get_data(as_text=True)
    once = re.search(r'name="_once" value="([0-9a-f]{32})"', page).group(1)
    data = {"csrf_token": csrf_token(client, "/automation/new"), "_once": once,
            "days": ["0", "1", "2", "3", "4"], "start": "09:00", "end": "18:00",
            "timezone_mode": "workspace"}  # fmt: skip

    refused = client.post("/automation/new", data={**data, "name": " "})
    assert refused.status_code == 422  # nothing created: the token stays free
    first = client.post("/automation/new", data={**data, "name": "Welcome"})
    again = client.post("/automation/new", data={**data, "name": "Welcome"})
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]  # where the first led
    sequences = select(func.count()).select_from(Campaign).where(Campaign.kind == "sequence")
    assert db.session.scalar(sequences) == 1
    assert "already sent" in client.get(again.headers["Location"]).get_data(as_text=True)
    by_htmx = client.post(
        "/automation/new", data={**data, "name": "Welcome"}, headers=hx(data["csrf_token"])
    )
    assert by_htmx.headers["HX-Redirect"] == first.headers["Location"]
    assert db.session.scalar(sequences) == 1
