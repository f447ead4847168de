"""The abandoned-cart race with two real processes: the order is recorded by one while
the other runs the timeout's job, at the same instant. Exactly one branch runs — repeated,
on the session's database (PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.workflows.helpers import live, log_of, make_lead, record_event, tick
from webapp.core.extensions import db
from webapp.models import WorkflowExecution
from webapp.models.sequence import Send
from webapp.services.workflows.templates import ABANDONED_CART

REPO = Path(__file__).resolve().parents[2]


def _racer(
    mode: str, tmp: Path, url: str, org: int, lead: int, at
) -> tuple[subprocess.Popen, Path, Path]:
    ready, go = tmp / f"{mode}.ready", tmp / "go"
    command = [
        sys.executable,
        "-m",
        "tests.workers.workflow_racer",
        mode,
        "--url",
        url,
        "--org",
        str(org),
        "--lead",
        str(lead),
        "--at",
        at.isoformat(),
        "--ready",
        str(ready),
        "--go",
        str(go),
    ]
    log = open(tmp / f"{mode}.log", "wb")
    return subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT), ready, go


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_two_processes_racing_the_order_and_the_timeout_run_one_branch(
    alice_org, clock, database_url, tmp_path, attempt
):
    live(alice_org.id, ABANDONED_CART, now=clock())
    ana = make_lead(alice_org.id, f"Ana Racer {attempt}")
    record_event(alice_org.id, ana.id, "cart.abandoned", clock(), cart_id="c1")
    tick(clock)
    at = clock.advance(hours=4)
    db.session.commit()
    racers = [
        _racer(mode, tmp_path, database_url, alice_org.id, ana.id, at)
        for mode in ("event", "timeout")
    ]
    deadline = time.monotonic() + 60
    while not all(ready.exists() for _p, ready, _g in racers):
        assert time.monotonic() < deadline, "the racers did not start"
        time.sleep(0.01)
    racers[0][2].touch()  # go
    for process, _ready, _go in racers:
        assert process.wait(timeout=120) == 0, (tmp_path / "event.log").read_text()[-2000:] + (
            tmp_path / "timeout.log"
        ).read_text()[-2000:]
    tick(clock)  # whatever the winner queued
    execution = db.session.scalar(
        select(WorkflowExecution).where(WorkflowExecution.lead_id == ana.id)
    )
    first = [reason for step, _o, reason in log_of(execution) if step == "wait_for_order"]
    assert len(first) == 1, first
    sends = db.session.scalars(select(Send.id).where(Send.lead_id == ana.id)).all()
    assert execution.status == "completed"
    if "on_event" in first[0]:
        assert sends == []
    else:
        # The timeout won: the reminder went, and the order (which did arrive) ends the next
        # wait, whichever of the two committed first — no discount to someone who ordered.
        second = [reason for step, _o, reason in log_of(execution) if step == "wait_after_reminder"]
        assert len(sends) == 1 and len(second) == 1 and "on_event" in second[0], second
