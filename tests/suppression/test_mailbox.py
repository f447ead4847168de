"""The bounce mailbox: a real POP3-over-TLS session (tests/fakes/pop3_server.py) holding
real DSNs (Postfix, Exim), an ARF abuse report, a delayed-delivery warning, a reply and a
bounce with a forged VERP token; the job suppresses what bounced for good or complained."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.conftest import START
from tests.messaging.factories import WELCOME, make_contact, make_sequence
from webapp.core.extensions import db
from webapp.integrations.email.bounces import parse_report
from webapp.models import ActivityLog
from webapp.services.connections import save_credentials
from webapp.services.messaging.dispatch import process_due
from webapp.services.suppression import (
    blocked,
    check_bounce_mailbox,
    read_bounce_mailbox,
    verp_token,
)

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str, *, verp: str, rcpt: str) -> bytes:
    return (SAMPLES / name).read_text().replace("{VERP}", verp).replace("{RCPT}", rcpt).encode()


def save_mailbox(org_id: int, port: int, password: str = "s3cret") -> None:
    values = {"host": "127.0.0.1", "port": str(port), "username": "bounces",
              "password": password, "address": "bounces@shop.example"}  # fmt: skip
    save_credentials(db.session, org_id, "bounces", values, actor_id=None, now=START)
    db.session.commit()


def sent_to(app, org, email: str):
    make_sequence(org, steps=WELCOME[:1])
    lead = make_contact(org, email=email, name="Dana")
    db.session.commit()
    assert process_due(app, now=START).sent == 1
    return lead


def verp_of(send_id: int) -> str:
    return f"bounces+{verp_token(send_id)}@shop.example"


def test_the_parser_reads_real_reports():
    verp, rcpt = "bounces+1.x@shop.example", "dana@example.org"
    postfix = parse_report(sample("postfix_550_5_1_1.eml", verp=verp, rcpt=rcpt))
    assert (postfix.kind, postfix.permanent) == ("bounce", [rcpt])
    assert verp in postfix.recipients and "5.1.1" in postfix.detail
    exim = parse_report(sample("exim_no_such_user.eml", verp=verp, rcpt=rcpt))
    assert (exim.kind, exim.permanent) == ("bounce", [rcpt])
    delayed = parse_report(sample("postfix_delayed_4_4_1.eml", verp=verp, rcpt=rcpt))
    assert delayed.kind == "bounce" and not delayed.permanent and delayed.temporary == [rcpt]
    arf = parse_report(sample("arf_abuse.eml", verp=verp, rcpt=rcpt))
    assert (arf.kind, arf.permanent) == ("complaint", [rcpt]) and "abuse" in arf.detail
    assert parse_report(sample("not_a_report.eml", verp=verp, rcpt=rcpt)).kind is None


def test_the_mailbox_suppresses_bounces_and_complaints_and_keeps_the_rest(app, alice_org, pop3):
    dana = sent_to(app, alice_org, "dana@example.org")
    [send] = [s for s in sends_of_lead(dana)]
    good = verp_of(send.id)
    forged = (
        "bounces+" + str(send.id + 1) + "." + verp_token(send.id).split(".", 1)[1] + "@shop.example"
    )
    pop3.add(sample("postfix_550_5_1_1.eml", verp=good, rcpt="dana@example.org"))
    pop3.add(sample("postfix_delayed_4_4_1.eml", verp=good, rcpt="dana@example.org"))
    pop3.add(sample("exim_no_such_user.eml", verp=forged, rcpt="erin@example.org"))
    pop3.add(sample("not_a_report.eml", verp=good, rcpt="x"))
    save_mailbox(alice_org.id, pop3.port)

    run = read_bounce_mailbox(db.session, alice_org.id, now=START, commit=db.session.commit)
    db.session.commit()

    assert run.error is None and run.read == 4
    assert run.suppressed == ["dana@example.org"] and run.temporary == 1 and run.ignored == 2
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") == "hard_bounce"
    assert blocked(db.session, alice_org.id, "email", "erin@example.org") is None  # forged
    assert len(pop3.messages) == 2  # the forged bounce and the reply stay for a person
    activity = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "bounces.mailbox_read")
    ).one()
    assert "1 address suppressed" in activity.description

    # The same bounce again (a server that failed to delete) acts once.
    pop3.add(sample("postfix_550_5_1_1.eml", verp=good, rcpt="dana@example.org"))
    again = read_bounce_mailbox(db.session, alice_org.id, now=START, commit=db.session.commit)
    assert again.suppressed == [] and len(pop3.messages) == 2


def test_a_complaint_report_suppresses_as_complaint(app, alice_org, pop3):
    dana = sent_to(app, alice_org, "fay@example.com")
    [send] = sends_of_lead(dana)
    pop3.add(sample("arf_abuse.eml", verp=verp_of(send.id), rcpt="fay@example.com"))
    save_mailbox(alice_org.id, pop3.port)
    read_bounce_mailbox(db.session, alice_org.id, now=START, commit=db.session.commit)
    db.session.commit()
    assert blocked(db.session, alice_org.id, "email", "fay@example.com") == "complaint"


def test_another_workspaces_send_is_not_touched(app, alice_org, charlie, pop3):
    from tests.conftest import org_of

    dana = sent_to(app, alice_org, "dana@example.org")
    [send] = sends_of_lead(dana)
    pop3.add(sample("postfix_550_5_1_1.eml", verp=verp_of(send.id), rcpt="dana@example.org"))
    save_mailbox(org_of(charlie).id, pop3.port)
    run = read_bounce_mailbox(db.session, org_of(charlie).id, now=START, commit=db.session.commit)
    assert run.suppressed == []
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") is None


def test_wrong_credentials_are_reported_not_raised(app, alice_org, pop3):
    save_mailbox(alice_org.id, pop3.port, password="wrong")
    worked, text = check_bounce_mailbox(db.session, alice_org.id)
    assert not worked and "invalid credentials" in text
    run = read_bounce_mailbox(db.session, alice_org.id, now=START, commit=db.session.commit)
    assert run.error and "invalid credentials" in run.error
    save_mailbox(alice_org.id, pop3.port)
    worked, text = check_bounce_mailbox(db.session, alice_org.id)
    assert worked and "0 messages waiting" in text


def sends_of_lead(lead):
    from webapp.models.sequence import Send

    return list(
        db.session.scalars(select(Send).where(Send.lead_id == lead.id, Send.status == "sent"))
    )


def test_the_scheduled_job_reads_every_workspaces_mailbox(app, alice_org, charlie, pop3):
    from jobs.runner import run_job
    from tests.conftest import org_of

    dana = sent_to(app, alice_org, "dana@example.org")
    [send] = sends_of_lead(dana)
    pop3.add(sample("postfix_550_5_1_1.eml", verp=verp_of(send.id), rcpt="dana@example.org"))
    save_mailbox(alice_org.id, pop3.port)
    save_mailbox(org_of(charlie).id, pop3.port, password="wrong")  # its failure stops nobody

    outcome = run_job(app, "bounces", trigger="manual")

    assert outcome.status == "succeeded", outcome.message
    db.session.rollback()
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") == "hard_bounce"
    assert pop3.messages == []
    failed = db.session.scalars(
        select(ActivityLog).where(
            ActivityLog.org_id == org_of(charlie).id, ActivityLog.type == "bounces.mailbox_read"
        )  # fmt: skip
    ).one()
    assert "could not be read" in failed.description
