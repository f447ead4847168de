"""The provisioning pipeline against the local fake Twilio server, with the real client."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jobs.runner import run_job
from jobs.schedule import registry
from tests.fakes import twilio_server
from tests.fakes.twilio_server import FakeTwilio
from webapp import queue
from webapp.core.extensions import db
from webapp.integrations.resilience import FIXES, ErrorClass
from webapp.models import (
    ActivityLog,
    IntegrationCredential,
    JobRun,
    ProvisioningRun,
    ProvisioningStep,
    QueuedJob,
    WorkspacePlan,
)
from webapp.services.connections.credentials import load_credentials
from webapp.services.provisioning import pipeline as provisioning
from webapp.services.provisioning.runner import STEP_KIND

fake_twilio = twilio_server.fake_twilio  # the fixture

PUBLIC = "https://autopilot.example.com"


def master(app, server: FakeTwilio, **over) -> None:
    """Master credentials only: the deployment's own number is not needed for provisioning."""
    app.config.update(
        TWILIO_ACCOUNT_SID=server.account_sid,
        TWILIO_AUTH_TOKEN=server.auth_token,
        TWILIO_FROM=None,
        TWILIO_WHATSAPP_FROM=None,
        TWILIO_API_BASE=server.base_url,
        TWILIO_TIMEOUT_SECONDS=5,
        PUBLIC_URL=PUBLIC,
    )
    app.config.update(over)


def request(org, clock, trigger: str = "rerun") -> ProvisioningRun:
    run = provisioning.request_provisioning(
        db.session, org.id, trigger=trigger, actor_id=None, now=clock()
    )
    db.session.commit()
    return run


def run(app, org, clock, owner: str = "test") -> ProvisioningRun | None:
    finished = provisioning.run_pipeline(app, org.id, now_fn=clock, owner=owner)
    db.session.commit()  # a fresh snapshot: the pipeline commits in its own session
    return finished


def steps(run_id: int) -> dict[str, ProvisioningStep]:
    db.session.commit()  # a fresh snapshot: the pipeline commits in its own session
    rows = db.session.scalars(select(ProvisioningStep).where(ProvisioningStep.run_id == run_id))
    return {s.key: s for s in rows}


def latest(org) -> ProvisioningRun:
    db.session.commit()  # a fresh snapshot: the pipeline commits in its own session
    return provisioning.latest_runs(db.session, [org.id])[org.id]


def lease_owner(run_id: int) -> str | None:
    """Who holds the run's step job that is being worked on (the engine's lease)."""
    db.session.commit()  # a fresh snapshot
    return db.session.scalar(
        select(QueuedJob.lease_owner).where(
            QueuedJob.kind == STEP_KIND,
            QueuedJob.status == "processing",
            QueuedJob.payload["run_id"].as_integer() == run_id,
        )
    )


def calls(server: FakeTwilio, method: str, suffix: str) -> list:
    return [r for r in server.requests if r.method == method and r.path.endswith(suffix)]


def activity_types(org) -> list[str]:
    db.session.commit()  # a fresh snapshot: the pipeline commits in its own session
    return list(
        db.session.scalars(
            select(ActivityLog.type)
            .where(ActivityLog.org_id == org.id, ActivityLog.type.like("provisioning.%"))
            .order_by(ActivityLog.id)
        )
    )


# --- requesting --------------------------------------------------------------------------------


def test_it_queues_one_run_with_seven_weighted_steps(app, alice_org, clock):
    first = request(alice_org, clock)
    again = request(alice_org, clock, trigger="stripe")
    assert again.id == first.id and first.status == "queued" and first.progress == 0
    rows = steps(first.id)
    assert [s.key for s in sorted(rows.values(), key=lambda s: s.position)] == [
        "plan",
        "subaccount",
        "phone_number",
        "whatsapp",
        "email",
        "defaults",
        "smoke_tests",
    ]
    assert sum(s.weight for s in rows.values()) == 100
    assert activity_types(alice_org) == ["provisioning.requested"]


def test_it_reports_the_latest_run_per_workspace(app, alice_org, charlie, clock):
    first = request(alice_org, clock)
    run(app, alice_org, clock)
    clock.advance(minutes=1)
    second = request(alice_org, clock)
    latest = provisioning.latest_runs(db.session, [alice_org.id])
    assert latest[alice_org.id].id == second.id != first.id
    assert provisioning.latest_runs(db.session, []) == {}
    assert set(provisioning.latest_runs(db.session, None)) == {alice_org.id}


# --- offline ------------------------------------------------------------------------------------


def test_it_skips_twilio_steps_with_reasons_when_nothing_is_configured(app, alice_org, clock):
    queued = request(alice_org, clock)
    finished = run(app, alice_org, clock)
    assert finished.id == queued.id and finished.status == "succeeded" and finished.progress == 100
    rows = steps(queued.id)
    assert rows["plan"].status == "done"
    for key in ("subaccount", "phone_number", "whatsapp", "email", "smoke_tests"):
        assert rows[key].status == "skipped", key
        assert rows[key].detail, key
    assert "outbox" in rows["subaccount"].detail
    assert "until SMTP is set in Settings → Integrations" in rows["email"].detail
    plan = db.session.scalar(select(WorkspacePlan).where(WorkspacePlan.org_id == alice_org.id))
    assert (plan.plan, plan.status, plan.activated_at) == ("starter", "active", clock())
    types = activity_types(alice_org)
    assert types[:2] == ["provisioning.requested", "provisioning.started"]
    assert types == ["provisioning.requested", "provisioning.started", "provisioning.succeeded"]
    closing = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "provisioning.succeeded")
    ).one()
    assert "Done: Plan active, AI and coach settings." in closing.description
    assert (
        "Skipped: Twilio subaccount, Phone number, WhatsApp, Email, Connection tests."
        in closing.description
    )


def test_it_fails_the_plan_step_with_the_fix_when_the_plan_is_not_paid(app, alice_org, clock):
    db.session.add(
        WorkspacePlan(org_id=alice_org.id, plan="pro", status="past_due", updated_at=clock())
    )
    db.session.commit()
    request(alice_org, clock)
    finished = run(app, alice_org, clock)
    assert (
        finished.status == "failed" and finished.next_attempt_at is None and finished.progress == 0
    )
    assert "Complete checkout" in finished.fix
    assert steps(finished.id)["plan"].status == "failed"
    assert steps(finished.id)["subaccount"].status == "pending"


def test_it_has_nothing_to_run_without_a_request(app, alice_org, clock):
    assert run(app, alice_org, clock) is None


# --- with Twilio ---------------------------------------------------------------------------------


def test_it_creates_a_subaccount_and_buys_a_number_pointed_at_the_app(
    app, alice_org, clock, fake_twilio
):
    master(app, fake_twilio)
    queued = request(alice_org, clock)
    finished = run(app, alice_org, clock)
    assert finished.status == "succeeded" and finished.progress == 100, finished.error
    rows = steps(queued.id)
    assert {k: s.status for k, s in rows.items()} == {
        "plan": "done",
        "subaccount": "done",
        "phone_number": "done",
        "whatsapp": "done",
        "email": "skipped",
        "defaults": rows["defaults"].status,
        "smoke_tests": "done",
    }
    assert len(calls(fake_twilio, "POST", "/Accounts.json")) == 1
    [sub] = [a for a in fake_twilio.state.accounts.values() if a["sid"] != fake_twilio.account_sid]
    assert sub["friendly_name"] == f"Alice Bakes (workspace {alice_org.id})"
    [number] = fake_twilio.state.numbers.values()
    assert number["account_sid"] == sub["sid"]
    assert (
        number["sms_url"] == f"{PUBLIC}/webhooks/twilio/inbound" and number["sms_method"] == "POST"
    )
    creds = load_credentials(db.session, alice_org.id, "twilio")
    assert creds == {
        "account_sid": sub["sid"],
        "auth_token": sub["auth_token"],
        "from_number": number["phone_number"],
        "whatsapp_from": number["phone_number"],
        "subaccount": "1",
    }
    row = db.session.scalar(
        select(IntegrationCredential).where(IntegrationCredential.org_id == alice_org.id)
    )
    assert sub["auth_token"] not in row.ciphertext and sub["auth_token"] not in str(row.hint)
    # The token waited in the checkpoint encrypted, never in the clear.
    assert sub["auth_token"] not in str(rows["subaccount"].checkpoint)
    assert rows["phone_number"].checkpoint["phone_number"] == number["phone_number"]
    assert "Twilio" in rows["smoke_tests"].detail


def test_a_second_run_buys_nothing_more(app, alice_org, clock, fake_twilio):
    master(app, fake_twilio)
    request(alice_org, clock)
    run(app, alice_org, clock)
    bought = len(calls(fake_twilio, "POST", "/IncomingPhoneNumbers.json"))
    clock.advance(minutes=5)
    second = request(alice_org, clock)
    finished = run(app, alice_org, clock)
    assert finished.id == second.id and finished.status == "succeeded"
    assert len(calls(fake_twilio, "POST", "/Accounts.json")) == 1
    assert bought == 1 and len(calls(fake_twilio, "POST", "/IncomingPhoneNumbers.json")) == 1
    assert len(fake_twilio.state.numbers) == 1 and len(fake_twilio.state.accounts) == 2
    assert "Texts go out from" in steps(second.id)["phone_number"].detail


def test_it_finds_a_subaccount_it_created_before_its_answer_was_lost(
    app, alice_org, clock, fake_twilio
):
    master(app, fake_twilio)
    request(alice_org, clock)
    name = f"Alice Bakes (workspace {alice_org.id})"
    fake_twilio.handle(
        "POST",
        "/2010-04-01/Accounts.json",
        {},
        {"FriendlyName": name},
        (fake_twilio.account_sid, fake_twilio.auth_token),
    )
    finished = run(app, alice_org, clock)
    assert finished.status == "succeeded"
    assert len(calls(fake_twilio, "POST", "/Accounts.json")) == 1  # only the one made above
    assert "Found the Twilio subaccount" in steps(finished.id)["subaccount"].detail


def test_it_retries_a_failing_twilio_with_backoff_then_fails_with_the_fix(
    app, alice_org, clock, fake_twilio
):
    master(app, fake_twilio)
    fake_twilio.fail_next(500, times=50)
    request(alice_org, clock)
    started = clock()
    finished = run(app, alice_org, clock)
    assert finished.status == "failed" and finished.next_attempt_at == started + timedelta(
        minutes=1
    )
    assert provisioning.waiting_to_retry(finished)
    step = steps(finished.id)["subaccount"]
    assert (step.status, step.attempts) == ("failed", 1) and "Twilio 500" in step.detail
    # Not due yet: nothing runs.
    assert provisioning.run_due(app, now=clock(), owner="runner")["due"] == 0
    delays = []
    for _ in range(3):
        clock.set(finished.next_attempt_at)
        counts = provisioning.run_due(app, now=clock(), owner="runner", now_fn=clock)
        assert counts["due"] == 1
        previous, finished = finished, latest(alice_org)
        if finished.next_attempt_at:
            delays.append(finished.next_attempt_at - clock())
    assert delays == [timedelta(minutes=2), timedelta(minutes=4)]
    assert previous.id == finished.id
    assert (
        finished.status == "failed"
        and finished.next_attempt_at is None
        and finished.finished_at == clock()
    )
    step = steps(finished.id)["subaccount"]
    assert step.attempts == 4 and step.status == "failed"  # the first try and 3 retries
    assert "kept failing after 3 retries" in finished.fix and "re-run setup" in finished.fix
    # One POST per attempt (after the lookup failed): the client does not retry by itself.
    assert len(calls(fake_twilio, "GET", "/Accounts.json")) == 4
    assert activity_types(alice_org).count("provisioning.retry_scheduled") == 3
    assert activity_types(alice_org)[-1] == "provisioning.failed"


def test_refused_credentials_fail_at_once_with_the_fix(app, alice_org, clock, fake_twilio):
    master(app, fake_twilio, TWILIO_AUTH_TOKEN="wrong-token")
    request(alice_org, clock)
    finished = run(app, alice_org, clock)
    assert finished.status == "failed" and finished.next_attempt_at is None
    assert finished.fix == FIXES[ErrorClass.THIRD_PARTY_AUTH_FAILED]
    step = steps(finished.id)["subaccount"]
    assert step.attempts == 1 and "401" in step.detail
    assert finished.progress == 5  # the plan step only
    assert len(fake_twilio.requests) == 1


def test_a_rerun_after_a_fix_continues_without_duplicates(app, alice_org, clock, fake_twilio):
    master(app, fake_twilio)
    fake_twilio.fail_next(401, code=20003)
    request(alice_org, clock)
    assert run(app, alice_org, clock).status == "failed"
    clock.advance(minutes=1)
    request(alice_org, clock)
    assert run(app, alice_org, clock).status == "succeeded"
    assert len(fake_twilio.state.accounts) == 2 and len(fake_twilio.state.numbers) == 1


# --- one pipeline at a time ----------------------------------------------------------------------


def test_two_runners_at_once_run_the_pipeline_once(app, alice_org, clock, fake_twilio):
    master(app, fake_twilio)
    fake_twilio.delay_next(0.5)  # hold the first runner inside its first Twilio call
    request(alice_org, clock)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}
    org_id = alice_org.id

    def go(owner: str) -> None:
        barrier.wait()
        results[owner] = provisioning.run_pipeline(app, org_id, now_fn=clock, owner=owner)

    threads = [threading.Thread(target=go, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    outcomes = sorted((r.status if r else "busy") for r in results.values())
    assert outcomes == ["busy", "succeeded"]
    assert len(calls(fake_twilio, "POST", "/Accounts.json")) == 1
    assert len(fake_twilio.state.numbers) == 1
    assert activity_types(alice_org).count("provisioning.started") == 1


def test_a_run_whose_lease_expired_is_taken_over(app, alice_org, clock):
    queued = request(alice_org, clock)
    # A process took the run's first step (its job, leased for 5 minutes) and died.
    [job] = queue.claim(db.session, "dead-process", now=clock(), lease_seconds=5 * 60)
    db.session.execute(
        ProvisioningRun.__table__.update()
        .where(ProvisioningRun.id == queued.id)
        .values(status="running", attempts=1)
    )
    db.session.commit()
    assert job.payload == {"run_id": queued.id, "step": "plan"}
    assert provisioning.run_due(app, now=clock(), owner="runner")["due"] == 0
    clock.advance(minutes=6)
    assert provisioning.run_due(app, now=clock(), owner="runner", now_fn=clock)["succeeded"] == 1
    assert "provisioning.resumed" in activity_types(alice_org)


def test_a_step_whose_workers_all_died_fails_the_run_with_the_fix(app, alice_org, clock):
    """Every attempt's process died mid-step: housekeeping fails the job, and through the
    kind's on_failed the run stops with a fix (it said "running" for ever before)."""
    queued = request(alice_org, clock)
    for n in range(4):  # 1 + MAX_RETRIES attempts, each taken by a process that died
        [job] = queue.claim(db.session, f"dead-{n}", now=clock(), lease_seconds=60)
        db.session.execute(
            ProvisioningRun.__table__.update()
            .where(ProvisioningRun.id == queued.id)
            .values(status="running", attempts=n + 1)
        )
        db.session.execute(
            ProvisioningStep.__table__.update()
            .where(ProvisioningStep.run_id == queued.id, ProvisioningStep.key == "plan")
            .values(status="running")
        )
        db.session.commit()
        clock.advance(minutes=2)
        if n < 3:  # the first deaths are retried (the run says when)
            assert queue.recover_stale(db.session, now=clock()) == 1
            db.session.commit()
            assert latest(alice_org).next_attempt_at is not None
    assert queue.recover_stale(db.session, now=clock()) == 1
    db.session.commit()

    run = latest(alice_org)
    assert (run.status, run.next_attempt_at) == ("failed", None)
    assert "stopped before finishing" in run.error and run.fix
    assert steps(queued.id)["plan"].status == "failed"
    assert activity_types(alice_org)[-1] == "provisioning.failed"


def test_a_runner_that_lost_its_lease_writes_nothing_more(app, alice_org, clock):
    queued = request(alice_org, clock)
    stolen = []

    def thief_clock():
        # After the first step, another process takes the run over (its running job).
        if not stolen and steps(queued.id)["plan"].status == "done":
            taken = db.session.execute(
                QueuedJob.__table__.update()
                .where(QueuedJob.org_id == alice_org.id, QueuedJob.status == "processing")
                .values(lease_owner="thief")
            ).rowcount
            db.session.commit()
            if taken:
                stolen.append(True)
        return clock()

    finished = provisioning.run_pipeline(app, alice_org.id, now_fn=thief_clock, owner="slow")
    assert stolen and lease_owner(queued.id) == "thief" and finished.status == "running"
    assert steps(queued.id)["subaccount"].status in ("pending", "running")
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ActivityLog)
            .where(ActivityLog.type == "provisioning.succeeded")
        )
        == 0
    )


def test_a_step_that_could_not_start_is_tried_again_later(app, alice_org, clock, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from webapp.services.provisioning import runner

    real, hiccups = runner._start, []

    def locked_once(*args):
        if not hiccups:
            hiccups.append(True)
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return real(*args)

    monkeypatch.setattr(runner, "_start", locked_once)
    queued = request(alice_org, clock)
    assert run(app, alice_org, clock).status == "queued"
    assert provisioning.run_due(app, now=clock(), owner="runner")["due"] == 0
    clock.advance(minutes=1)  # the engine's backoff for this kind
    assert provisioning.run_due(app, now=clock(), owner="runner", now_fn=clock)["succeeded"] == 1
    assert latest(alice_org).id == queued.id and steps(queued.id)["plan"].attempts == 0


@pytest.mark.parametrize("trigger", ["wizard", "stripe"])
def test_a_request_supersedes_a_run_waiting_to_retry(app, alice_org, clock, fake_twilio, trigger):
    master(app, fake_twilio)
    fake_twilio.fail_next(500)
    request(alice_org, clock)
    waiting = run(app, alice_org, clock)
    assert provisioning.waiting_to_retry(waiting)
    fresh = request(alice_org, clock, trigger=trigger)
    assert fresh.id != waiting.id
    assert db.session.get(ProvisioningRun, waiting.id).next_attempt_at is None
    assert run(app, alice_org, clock).id == fresh.id


# --- the 10-minute runner --------------------------------------------------------------------


def test_the_scheduled_job_runs_queued_setups(app, alice_org, charlie, clock):
    assert registry()["provisioning"].schedule.minutes == 10
    request(alice_org, clock)
    outcome = run_job(app, "provisioning")
    assert outcome.status == "succeeded", outcome.message
    assert latest(alice_org).status == "succeeded"
    summary = db.session.get(JobRun, outcome.run_id).summary
    assert summary["due"] == 1 and summary["succeeded"] == 1


def test_one_workspace_crashing_does_not_stop_the_others(
    app, alice_org, charlie, clock, monkeypatch
):
    from sqlalchemy import select as select_

    from webapp.models import Organization

    charlie_org = db.session.scalars(
        select_(Organization).where(Organization.name == "Charlie Cuts")
    ).one()
    request(alice_org, clock)
    request(charlie_org, clock)
    real = provisioning.run_pipeline

    def crash_for_alice(app_, org_id, **kwargs):
        if org_id == alice_org.id:
            raise RuntimeError("database went away for a moment")
        return real(app_, org_id, **kwargs)

    monkeypatch.setattr(provisioning, "run_pipeline", crash_for_alice)
    counts = provisioning.run_due(app, now=clock(), owner="test", now_fn=clock)
    assert (counts["errors"], counts["succeeded"]) == (1, 1)
    assert latest(charlie_org).status == "succeeded"
