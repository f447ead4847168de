"""The dispatcher after crashes (issue 10, items 2 and 4), in one process:

- each message's attempt is counted as its sending begins, not when its batch is leased;
- a message whose sender died on its last attempt: housekeeping fails its Send and stops
  its enrolment, with the reason, so neither stays "queued"/"active" forever;
- a lost database connection mid-run costs one batch: the run reconnects, records the
  message it had sent, and sends the rest at once (no lease to wait out), each once. On
  PostgreSQL the connection is really lost (`pg_terminate_backend` of every other backend
  of the test database: the dispatcher's); on SQLite the DBAPI raises OperationalError.
"""

from __future__ import annotations

import smtplib
import sqlite3
from collections import Counter

import pytest
from sqlalchemy import select, text, update

from jobs.runner import run_job
from tests.fakes import smtp_server
from tests.messaging.factories import WELCOME, enrollments_of, job_of, make_contact, make_sequence
from tests.messaging.factories import sends_of as sends_of_campaign
from webapp import queue
from webapp.core.extensions import db
from webapp.integrations import delivery
from webapp.models import ActivityLog, QueuedJob
from webapp.services.messaging import dispatch_acks
from webapp.services.messaging.dispatch import Dispatcher, process_due

ONE_EMAIL = [WELCOME[0]]

smtp_sink = smtp_server.smtp_sink  # the fixture
use_smtp = smtp_server.use_smtp


def attempts_now() -> list[int]:
    with db.engine.connect() as conn:
        return list(conn.scalars(select(QueuedJob.attempts).order_by(QueuedJob.id)))


def test_each_message_is_charged_an_attempt_as_its_sending_begins(
    app, alice_org, smtp_sink, monkeypatch
):
    use_smtp(app, smtp_sink)
    make_sequence(alice_org, steps=ONE_EMAIL)
    for i in range(4):
        make_contact(alice_org, email=f"c{i}@example.com")
    seen: list[list[int]] = []
    real_data = smtplib.SMTP.data

    def spy(smtp, mail):
        seen.append(attempts_now())
        return real_data(smtp, mail)

    monkeypatch.setattr(smtplib.SMTP, "data", spy)
    db.session.commit()
    assert process_due(app, now=app.config["CLOCK"]()).sent == 4
    # As a message goes out (its DATA), it and those before it have spent an attempt; the
    # rest of the claimed batch none (a worker dying now costs them nothing).
    assert seen == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]


def test_housekeeping_fails_the_send_and_stops_the_enrolment_of_a_job_failed_for_good(
    app, alice_org, clock
):
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    make_contact(alice_org, email="ana@example.com")
    [send] = sends_of_campaign(campaign)
    db.session.execute(update(QueuedJob).values(max_attempts=1))
    # A sender claims it, starts it, and dies on its only attempt.
    [job] = queue.claim(db.session, "dead-sender", now=clock(), lease_seconds=60)
    db.session.commit()
    clock.advance(minutes=5)

    assert run_job(app, "housekeeping", trigger="manual").status == "succeeded"

    assert job_of(send).status == "failed"
    [send] = sends_of_campaign(campaign)
    assert (send.status, send.error_class) == ("failed", "LEASE_EXPIRED")
    assert "stopped before finishing on the last attempt" in send.error
    [enrollment] = enrollments_of(campaign)
    assert enrollment.status == "stopped"
    assert enrollment.stopped_reason.startswith("Step 1 could not be sent: The worker stopped")
    assert enrollment.finished_at == clock()
    logged = db.session.scalars(
        select(ActivityLog.description).where(ActivityLog.type == "sequence.processed")
    ).all()
    assert any("1 failed" in line for line in logged), logged
    # Settled once: a second tick changes nothing.
    clock.advance(hours=1)
    assert run_job(app, "housekeeping").status == "succeeded"
    assert [s.status for s in sends_of_campaign(campaign)] == ["failed"]


def lose_the_connection(monkeypatch) -> None:
    """The dispatcher's database connection is gone before its next acknowledgement."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:  # every other backend of this database: the dispatcher's
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        return
    real = dispatch_acks.acknowledge

    def broken(*args, **kwargs):  # the DBAPI fails this statement, once
        monkeypatch.setattr(dispatch_acks, "acknowledge", real)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(dispatch_acks, "acknowledge", broken)


def test_a_lost_database_connection_costs_one_batch_not_the_run(
    app, alice_org, smtp_sink, monkeypatch
):
    use_smtp(app, smtp_sink)
    app.config["AUTOMATION_BATCH_SIZE"] = 5
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    total = 12
    for i in range(total):
        make_contact(alice_org, email=f"c{i}@example.com")
    real_send = delivery.ChannelSender.send
    sent = []

    def send_and_lose_the_connection(self, message, **kwargs):
        sent.append(message.to)
        if len(sent) == 2:  # mid-batch, in the middle of the run
            lose_the_connection(monkeypatch)
        return real_send(self, message, **kwargs)

    monkeypatch.setattr(delivery.ChannelSender, "send", send_and_lose_the_connection)
    recoveries = []
    real_recover = Dispatcher.recover

    def recover(self):
        recoveries.append(self.unacked is not None)
        return real_recover(self)

    monkeypatch.setattr(Dispatcher, "recover", recover)
    db.session.commit()

    # One run, with the clock standing still: nothing waits for a lease to expire.
    result = process_due(app, now=app.config["CLOCK"]())

    assert recoveries == [True]  # the connection was lost with a message sent, unrecorded
    assert result.sent == total
    assert smtp_sink.wait_for(total)
    assert set(Counter(m.rcpt_tos[0] for m in smtp_sink.messages).values()) == {1}
    db.session.expire_all()
    assert {s.status for s in sends_of_campaign(campaign)} == {"sent"}
    jobs = db.session.scalars(select(QueuedJob).order_by(QueuedJob.id)).all()
    assert [(j.status, j.attempts) for j in jobs] == [("completed", 1)] * total
    assert {e.status for e in enrollments_of(campaign)} == {"completed"}


def test_a_failure_making_the_next_message_keeps_the_record_of_the_one_sent(
    app, alice_org, smtp_sink, monkeypatch
):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    for i in range(3):
        make_contact(alice_org, email=f"c{i}@example.com")
    real_compose = Dispatcher.compose
    made = []

    def compose_then_break(self, job, *args):
        made.append(job.id)
        if len(made) == 2:  # the first message is sent; its record waits for the second's MAIL
            raise RuntimeError("a template bug")
        return real_compose(self, job, *args)

    monkeypatch.setattr(Dispatcher, "compose", compose_then_break)
    db.session.commit()

    with pytest.raises(RuntimeError):
        process_due(app, now=app.config["CLOCK"]())

    assert smtp_sink.wait_for(1)
    db.session.expire_all()
    assert [s.status for s in sends_of_campaign(campaign)] == ["sent", "queued", "queued"]
    jobs = db.session.scalars(select(QueuedJob).order_by(QueuedJob.id)).all()
    assert jobs[0].status == "completed"
