"""The coach under real worker processes (tests/workers/coach_worker.py), on the session's
SQLite file or, with TEST_DATABASE_URL, its PostgreSQL database: two workers never write
to one conversation at the same time, and a worker killed with SIGKILL mid-follow-up is
taken over after its lease, the follow-up sent exactly once. The workers use the real wall
clock, so the parent schedules with `system_now()`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.coach.test_coach import contact, switch_on
from tests.fakes import twilio_server
from tests.fakes.openai_server import FakeOpenAI, Reply, reply_json
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import (
    AiCall,
    CoachFollowup,
    ConversationMessage,
    Lead,
    Organization,
    OutboxMessage,
)
from webapp.models.queue import QueuedJob
from webapp.services.coach import audience as coach
from webapp.services.coach.inbound import record_inbound

fake_twilio = twilio_server.fake_twilio  # the fixture
REPO = Path(__file__).resolve().parents[2]
DANA = "+14155552671"


# --- one conversation, one worker -----------------------------------------------------------------


@pytest.mark.slow
def test_two_worker_processes_never_write_to_one_conversation_at_once(
    app, database_url, alice_org, clock, tmp_path
):
    """Each conversation has a follow-up and a reply due; two processes race for them."""
    now = datetime.now(UTC).replace(microsecond=0)
    org = db.session.get(Organization, alice_org.id)
    org.timezone = "UTC"
    switch_on(
        alice_org.id,
        clock,
        frequency="daily",
        window_start="00:00",
        window_end="23:59",
        auto_reply=True,
    )
    leads = [
        contact(
            alice_org.id, clock, f"Person{n} Racer", f"+1415555{3000 + n}", timezone=midday(now)
        )
        for n in range(30)
    ]
    coach.schedule_followups(db.session, alice_org.id, now=now)
    for lead in leads:
        record_inbound(
            db.session, alice_org.id, db.session.get(Lead, lead.id), "hi", f"SM{lead.id}", now
        )
    # A conversation's follow-up and reply are due at the same moment, next to each other in
    # the claim order: without the conversation lease, the second worker takes the reply while
    # the first writes the follow-up.
    for n, lead in enumerate(leads):
        db.session.execute(
            update(CoachFollowup)
            .where(CoachFollowup.lead_id == lead.id)
            .values(due_at=now - timedelta(minutes=10) + timedelta(seconds=n))
        )
    db.session.commit()
    db.session.remove()

    go = tmp_path / "go"
    workers = []
    for name in ("w1", "w2"):
        log = tmp_path / f"{name}.jsonl"
        command = [
            sys.executable,
            "-m",
            "tests.workers.coach_worker",
            "--url",
            database_url,
            "--owner",
            name,
            "--go",
            str(go),
            "--log",
            str(log),
            "--ready",
            str(tmp_path / f"{name}.ready"),
        ]
        workers.append(
            (
                subprocess.Popen(
                    command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                ),
                log,
            )
        )
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"{n}.ready").exists() for n in ("w1", "w2")):
        assert time.monotonic() < deadline and all(p.poll() is None for p, _ in workers), [
            p.stdout.read().decode()[-2000:] for p, _ in workers if p.poll() is not None
        ]
        time.sleep(0.05)
    go.write_text("go")
    for process_, _log in workers:
        output = process_.communicate(timeout=120)[0].decode()
        assert process_.returncode == 0, output[-3000:]

    spans: dict[int, list[tuple[float, float, str]]] = {}
    for _process, log in workers:
        for line in log.read_text().splitlines():
            row = json.loads(line)
            spans.setdefault(row["conversation"], []).append(
                (row["start"], row["end"], row["owner"])
            )
    assert sum(len(v) for v in spans.values()) == 60  # every follow-up and reply written once
    for conversation, intervals in spans.items():
        intervals.sort()
        for (_s1, e1, o1), (s2, _e2, o2) in zip(intervals, intervals[1:], strict=False):
            assert e1 <= s2, f"conversation {conversation}: {o1} and {o2} overlapped"
    owners = {owner for intervals in spans.values() for _s, _e, owner in intervals}
    assert owners == {"w1", "w2"}, "both workers should have taken part"
    db.session.rollback()
    sent = db.session.execute(
        select(ConversationMessage.followup_id, func.count())
        .where(ConversationMessage.direction == "out")
        .group_by(ConversationMessage.followup_id)
    ).all()
    assert len(sent) == 60 and all(count == 1 for _id, count in sent)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 60


# --- a worker killed mid-follow-up --------------------------------------------------------------


def midday(now: datetime) -> str:
    """A zone where it is about noon at `now`: these workers run on the real clock, and a
    contact's quiet hours (21:00–08:00 in its zone) would hold its follow-up."""
    offset = 12 - now.hour  # -11 … +12 hours from UTC
    return f"Etc/GMT{-offset:+d}"  # the Etc zones' sign is the other way round


def start_worker(url: str, tmp: Path, owner: str, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "tests.workers.coach_worker",
        "--url",
        url,
        "--owner",
        owner,
        "--go",
        str(tmp / f"{owner}.go"),
        "--ready",
        str(tmp / f"{owner}.ready"),
        "--attempts",
        str(tmp / f"{owner}.attempts"),
        *extra,
    ]
    log = (tmp / f"{owner}.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


def wait_for(condition, what: str, workers: list, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert all(w.poll() is None for w in workers), f"a worker exited while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def stored_job() -> QueuedJob:
    db.session.rollback()
    job = db.session.scalars(select(QueuedJob).where(QueuedJob.kind == "coach.followup")).one()
    db.session.rollback()
    return job


@pytest.mark.slow
def test_a_worker_killed_mid_followup_is_taken_over_and_it_is_sent_once(
    app, database_url, alice_org, clock, fake_twilio, tmp_path
):
    """The holder is killed with SIGKILL while the AI call is in flight; the rescuer takes
    the job over when the lease expires: one WhatsApp message, one recorded message."""
    now = system_now()
    db.session.get(Organization, alice_org.id).timezone = "UTC"
    switch_on(alice_org.id, clock, frequency="daily", window_start="00:00", window_end="23:59")
    dana_id = contact(alice_org.id, clock, "Dana Diaz", DANA, timezone=midday(now)).id
    assert coach.schedule_followups(db.session, alice_org.id, now=now) == 1
    db.session.commit()
    db.session.remove()

    released = threading.Event()
    openai = FakeOpenAI().start()
    text = "Hi Dana, a quick check-in from Alice Bakes: shall we book your tasting visit?"
    openai.script(
        Reply(200, reply_json({"message": "never sent"}).body, before=lambda: released.wait(60)),
        reply_json({"message": text}),
    )
    servers = ("--twilio", fake_twilio.base_url, "--openai", openai.base_url)
    holder = start_worker(database_url, tmp_path, "holder", "--lease", "3", *servers)
    rescuer = start_worker(database_url, tmp_path, "rescuer", "--lease", "3", *servers)
    workers = [holder, rescuer]
    try:
        wait_for(
            lambda: all((tmp_path / f"{n}.ready").exists() for n in ("holder", "rescuer")),
            "the workers to start",
            workers,
        )
        (tmp_path / "holder.go").touch()
        wait_for(lambda: len(openai.posts) == 1, "the holder's AI call", workers)
        os.kill(holder.pid, signal.SIGKILL)
        assert holder.wait(timeout=10) == -signal.SIGKILL

        job = stored_job()
        assert (job.status, job.lease_owner, job.attempts) == ("processing", "holder", 1)
        assert system_now() < job.lease_expires_at, "the lease ran out before the rescuer tried"

        (tmp_path / "rescuer.go").touch()
        assert rescuer.wait(timeout=60) == 0, (tmp_path / "rescuer.log").read_text()[-3000:]
    finally:
        released.set()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        openai.stop()

    tries = [json.loads(line) for line in (tmp_path / "rescuer.attempts").read_text().splitlines()]
    # A call that ended before the lease expired claimed before it too, so it took nothing.
    # (One that began before and ended after may have claimed after expiry, rightly.)
    early = [t for t in tries if datetime.fromisoformat(t["done"]) < job.lease_expires_at]
    assert early and all(t["sent"] == 0 for t in early), "the rescuer took a leased job"
    assert sum(t["sent"] for t in tries) == 1

    [post] = fake_twilio.posted()  # one WhatsApp message at Twilio
    assert post.form["To"] == f"whatsapp:{DANA}" and post.form["Body"] == text
    assert len(openai.posts) == 2  # the holder's, cut off, and the rescuer's
    db.session.rollback()
    [message] = db.session.scalars(
        select(ConversationMessage).where(ConversationMessage.direction == "out")
    ).all()
    assert (message.body, message.provider, message.ai_provider) == (text, "twilio", "openai")
    assert message.provider_sid == fake_twilio.messages[0]["sid"]
    sent, following = db.session.scalars(
        select(CoachFollowup).where(CoachFollowup.lead_id == dana_id).order_by(CoachFollowup.id)
    ).all()
    assert (sent.status, sent.message_id, message.followup_id) == ("sent", message.id, sent.id)
    assert following.status == "pending" and following.due_at > now
    job = db.session.get(QueuedJob, job.id)
    assert (job.status, job.attempts, job.lease_owner) == ("completed", 2, None)
    assert db.session.scalar(select(func.count(AiCall.id)).where(AiCall.ok.is_(True))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
