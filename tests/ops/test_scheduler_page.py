"""The scheduler page over HTTP (the browser test drives it too)."""

from __future__ import annotations

import time

from sqlalchemy import select

from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import JobRun


def test_it_lists_each_job_with_schedule_and_next_run(client, alice, clock):
    login(client, alice)
    html = client.get("/scheduler").get_data(as_text=True)
    assert "Housekeeping" in html and "Every hour at :05" in html
    assert "23 Nov 2026, 10:05" in html  # next run, in the workspace's zone (London = UTC in Nov)
    assert "Never ran" in html
    assert "No scheduler process is running" in html


def test_it_runs_a_job_now_and_answers_with_the_row(client, alice):
    login(client, alice)
    token = csrf_token(client, "/scheduler")
    response = client.post(
        "/scheduler/jobs/housekeeping/run", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<tbody id="job-housekeeping"') and "<html" not in html
    deadline = time.monotonic() + 10
    run = None
    while time.monotonic() < deadline:
        db.session.rollback()  # end the read snapshot to see the job's commits
        run = db.session.scalars(select(JobRun)).one_or_none()
        if run is not None and run.status != "running":
            break
        time.sleep(0.05)
    assert run is not None and (run.status, run.trigger, run.started_by_id) == (
        "succeeded",
        "manual",
        alice.id,
    )
    row = client.get("/scheduler/jobs/housekeeping", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Succeeded" in row and "manual" in row


def test_it_answers_404_for_an_unknown_job(client, alice):
    login(client, alice)
    token = csrf_token(client, "/scheduler")
    assert (
        client.post("/scheduler/jobs/nope/run", headers={"X-CSRFToken": token}).status_code == 404
    )
    assert client.get("/scheduler/jobs/nope").status_code == 404


def test_it_refuses_run_now_without_csrf(client, alice):
    login(client, alice)
    assert client.post("/scheduler/jobs/housekeeping/run").status_code == 400


def test_it_runs_a_per_workspace_job_only_for_the_current_workspace(
    client, alice, alice_org, charlie, app
):
    login(client, alice)
    token = csrf_token(client, "/scheduler")
    client.post(
        "/scheduler/jobs/orchestrator/run", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    deadline = time.monotonic() + 15
    run = None
    while time.monotonic() < deadline:
        db.session.rollback()
        run = db.session.scalars(select(JobRun).where(JobRun.job == "orchestrator")).one_or_none()
        if run is not None and run.status != "running":
            break
        time.sleep(0.05)
    assert run is not None and run.org_id == alice_org.id


def test_it_lets_only_owners_run_deployment_wide_jobs(client, bob):
    login(client, bob)
    html = client.get("/scheduler").get_data(as_text=True)
    assert 'hx-post="/scheduler/jobs/housekeeping/run"' not in html
    token = csrf_token(client, "/scheduler")
    assert (
        client.post("/scheduler/jobs/housekeeping/run", headers={"X-CSRFToken": token}).status_code
        == 403
    )
