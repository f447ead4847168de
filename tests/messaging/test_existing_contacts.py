"""Sequences and the contacts already there (issue 15, item 8): activation offers "also
existing contacts who match" with the count and a confirmation; each contact enters at
the first step it can receive and skips the others; the builder shows each step's reach;
enrolling in bulk is set-based (a fixed number of statements, whatever the count)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from tests.conftest import START, csrf_token, login
from tests.messaging.test_automation_pages import WELCOME, add_contact, make_sequence
from webapp.core.extensions import db
from webapp.models import Suppression
from webapp.models.sequence import Enrollment, Send
from webapp.services.messaging import sequence_lifecycle


def _first_sends(campaign) -> dict[int, str]:
    rows = db.session.execute(
        select(Send.lead_id, Send.channel).where(Send.campaign_id == campaign.id)
    ).all()
    return dict(rows)


def test_activating_with_existing_contacts_enrols_each_at_its_first_receivable_step(app, alice_org):
    campaign = make_sequence(alice_org)  # email, then SMS, then WhatsApp; not active
    both = add_contact(alice_org, email="both@example.com", phone="+447911123401")
    email_only = add_contact(alice_org, email="mail@example.com")
    phone_only = add_contact(alice_org, phone="+447911123402")
    opted_out = add_contact(alice_org, phone="+447911123403")
    db.session.add(Suppression(org_id=alice_org.id, channel="sms", address=opted_out.phone,
                               reason="unsubscribe", created_at=START))  # fmt: skip
    db.session.add(Suppression(org_id=alice_org.id, channel="whatsapp", address=opted_out.phone,
                               reason="unsubscribe", created_at=START))  # fmt: skip
    db.session.commit()

    enrolled = sequence_lifecycle.activate_sequence(
        db.session, campaign, actor_id=None, now=START, include_existing=True
    )
    db.session.commit()
    assert enrolled == 3
    assert _first_sends(campaign) == {both.id: "email", email_only.id: "email",
                                      phone_only.id: "sms"}  # fmt: skip
    # Never twice: activating again enrols nobody new.
    assert (
        sequence_lifecycle.activate_sequence(
            db.session, campaign, actor_id=None, now=START, include_existing=True
        )
        == 0
    )


def test_bulk_enrolment_of_existing_contacts_takes_the_same_statements_for_10_or_300(
    app, alice_org
):
    def statements(n: int) -> int:
        campaign = make_sequence(alice_org, name=f"Seq {n}")
        from webapp.services.leads.capture import capture_leads

        rows = [{"email": f"c{n}-{i}@example.com"} for i in range(n)]
        rows += [{"phone": f"+447911{n % 100:02d}{i:04d}"} for i in range(n)]
        capture_leads(db.session, alice_org.id, rows, source="csv", now=START - timedelta(days=1))
        db.session.commit()
        count = 0

        def seen(*_args) -> None:
            nonlocal count
            count += 1

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            enrolled = sequence_lifecycle.activate_sequence(
                db.session, campaign, actor_id=None, now=START, include_existing=True
            )
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        db.session.commit()
        assert enrolled == 2 * n + (0 if n == 10 else 20)  # earlier contacts join too
        return count

    assert statements(10) == statements(300)


def test_activate_offers_existing_contacts_with_the_count_and_a_confirmation(
    client, alice, alice_org
):
    campaign = make_sequence(alice_org, steps=WELCOME)
    add_contact(alice_org, email="ann@example.com")
    add_contact(alice_org, phone="+447911123404")
    login(client, alice)
    page = client.get(f"/automation/{campaign.id}/edit").get_data(as_text=True)
    assert "Also the 2 existing contacts who match" in page
    assert page.count("reaches 1 contact") == 3  # one email address, one phone per step
    token = csrf_token(client, f"/automation/{campaign.id}/edit")
    confirm = client.post(f"/automation/{campaign.id}/activate",
                          data={"csrf_token": token, "who": "existing"})  # fmt: skip
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "2 existing contacts" in html
    assert db.session.scalar(select(Enrollment.id).limit(1)) is None  # nothing before confirming
    done = client.post(f"/automation/{campaign.id}/activate",
                       data={"csrf_token": token, "who": "existing", "confirmed": "yes"},
                       follow_redirects=True)  # fmt: skip
    assert "2 existing contacts enrolled" in done.get_data(as_text=True)
    assert len(db.session.scalars(select(Enrollment)).all()) == 2
