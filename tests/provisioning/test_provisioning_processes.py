"""A setup step killed midway resumes in another process, through the work engine.

Real processes (tests/workers/provisioning_worker.py) against the local fake Twilio. The
fake holds back its answer to a purchase (it has bought the number, or made the
subaccount), the worker is SIGKILLed while it waits, and a second worker takes the step's
job over when its lease expires: it finds what was bought and finishes, buying nothing
more. Each step's job completes exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fakes import twilio_server
from tests.fakes.twilio_server import FakeTwilio
from webapp.core.extensions import db
from webapp.models import ActivityLog, ProvisioningRun, ProvisioningStep, QueuedJob
from webapp.services.connections.credentials import load_credentials
from webapp.services.provisioning import pipeline as provisioning
from webapp.services.provisioning.runner import STEP_KIND
from webapp.services.provisioning.steps import STEPS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
fake_twilio = twilio_server.fake_twilio  # the fixture


class Worker:
    def __init__(self, tmp: Path, url: str, twilio: str, org_id: int, owner: str) -> None:
        self.owner = owner
        self.ready = tmp / f"{owner}.ready"
        self.log = tmp / f"{owner}.log"
        command = [
            sys.executable,
            "-m",
            "tests.workers.provisioning_worker",
            "--url",
            url,
            "--twilio",
            twilio,
            "--org",
            str(org_id),
            "--owner",
            owner,
            "--ready",
            str(self.ready),
            "--lease",
            "3",
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def spawn(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(org_id: int, owner: str) -> Worker:
        worker = Worker(tmp_path, database_url, fake_twilio.base_url, org_id, owner)
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


def wait_until(condition: Callable[[], bool], timeout: float, what: str, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            pytest.fail(
                f"worker {worker.owner} exited ({worker.process.returncode}) before {what}:\n{worker.output()}"
            )
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}:\n{worker.output()}")


def step(run_id: int, key: str) -> ProvisioningStep:
    db.session.commit()
    return db.session.scalar(
        select(ProvisioningStep).where(
            ProvisioningStep.run_id == run_id, ProvisioningStep.key == key
        )
    )


def jobs(org_id: int) -> dict[str, QueuedJob]:
    """The run's step jobs by step, as the engine left them."""
    db.session.commit()  # a fresh snapshot
    rows = db.session.scalars(
        select(QueuedJob).where(QueuedJob.kind == STEP_KIND, QueuedJob.org_id == org_id)
    )
    return {job.payload["step"]: job for job in rows}


def assert_each_step_ran_once(org_id: int, resumed: str) -> None:
    """Seven jobs, all completed; only the killed step's job was claimed twice."""
    found = jobs(org_id)
    assert sorted(found) == sorted(spec.key for spec in STEPS)
    assert {key: job.status for key, job in found.items()} == dict.fromkeys(found, "completed")
    assert {key: job.attempts for key, job in found.items()} == {
        key: 2 if key == resumed else 1 for key in found
    }


def test_a_run_killed_while_buying_its_number_resumes_and_buys_only_one(
    app, alice_org, clock, fake_twilio, spawn
):
    run = provisioning.request_provisioning(
        db.session, alice_org.id, trigger="rerun", actor_id=None, now=clock()
    )
    db.session.commit()
    # Requests in order: find subaccount, create it, list its numbers, search, BUY (held 30 s).
    for delay in (0, 0, 0, 0, 30):
        fake_twilio.delay_next(delay)
    first = spawn(alice_org.id, "first")
    wait_until(
        lambda: bool(fake_twilio.posted("/IncomingPhoneNumbers.json")),
        60,
        "the number purchase",
        first,
    )
    assert len(fake_twilio.state.numbers) == 1  # bought; the answer is still on its way
    first.process.kill()  # SIGKILL: no cleanup, no rollback, lease left behind
    first.process.wait(timeout=10)

    db.session.commit()  # a fresh snapshot
    crashed = db.session.get(ProvisioningRun, run.id)
    db.session.refresh(crashed)
    assert crashed.status == "running" and jobs(alice_org.id)["phone_number"].lease_owner == "first"
    assert jobs(alice_org.id)["phone_number"].status == "processing"
    number_step = step(run.id, "phone_number")
    assert number_step.status == "running" and "number_sid" not in number_step.checkpoint
    assert step(run.id, "subaccount").status == "done"
    fake_twilio.delays.clear()

    second = spawn(alice_org.id, "second")
    assert second.process.wait(timeout=90) == 0, second.output()

    db.session.commit()
    finished = db.session.get(ProvisioningRun, run.id)
    db.session.refresh(finished)
    assert finished.status == "succeeded" and finished.progress == 100, (
        finished.error,
        second.output(),
    )
    assert len(fake_twilio.posted("/Accounts.json")) == 1
    assert len(fake_twilio.posted("/IncomingPhoneNumbers.json")) == 1
    [number] = fake_twilio.state.numbers.values()
    assert number["sms_url"] == "https://autopilot.example.com/webhooks/twilio/inbound"
    assert (
        load_credentials(db.session, alice_org.id, "twilio")["from_number"]
        == number["phone_number"]
    )
    assert step(run.id, "phone_number").checkpoint["number_sid"] == number["sid"]
    types = list(
        db.session.scalars(select(ActivityLog.type).where(ActivityLog.org_id == alice_org.id))
    )
    assert types.count("provisioning.started") == 1 and types.count("provisioning.resumed") == 1
    assert_each_step_ran_once(alice_org.id, resumed="phone_number")


def test_a_run_killed_while_creating_its_subaccount_resumes_and_creates_only_one(
    app, alice_org, clock, fake_twilio, spawn
):
    run = provisioning.request_provisioning(
        db.session, alice_org.id, trigger="rerun", actor_id=None, now=clock()
    )
    db.session.commit()
    # Requests in order: find the subaccount (none), CREATE it (held 30 s).
    for delay in (0, 30):
        fake_twilio.delay_next(delay)
    first = spawn(alice_org.id, "first")
    wait_until(
        lambda: bool(fake_twilio.posted("/Accounts.json")), 60, "the subaccount creation", first
    )
    first.process.kill()  # SIGKILL midway through the step
    first.process.wait(timeout=10)
    subaccount = step(run.id, "subaccount")
    assert subaccount.status == "running" and "account_sid" not in subaccount.checkpoint
    assert jobs(alice_org.id)["subaccount"].lease_owner == "first"
    assert "phone_number" not in jobs(alice_org.id)  # the next step is not queued yet
    fake_twilio.delays.clear()

    second = spawn(alice_org.id, "second")
    assert second.process.wait(timeout=90) == 0, second.output()

    db.session.commit()
    finished = db.session.get(ProvisioningRun, run.id)
    db.session.refresh(finished)
    assert finished.status == "succeeded" and finished.progress == 100, (
        finished.error,
        second.output(),
    )
    assert len(fake_twilio.posted("/Accounts.json")) == 1  # found again, not created twice
    assert len(fake_twilio.state.accounts) == 2  # the master account and one subaccount
    assert len(fake_twilio.posted("/IncomingPhoneNumbers.json")) == 1
    assert "Found the Twilio subaccount" in step(run.id, "subaccount").detail
    assert_each_step_ran_once(alice_org.id, resumed="subaccount")
