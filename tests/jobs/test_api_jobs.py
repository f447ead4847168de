"""The cron-friendly job endpoints of the JSON API."""

from __future__ import annotations

from sqlalchemy import select

from webapp.core.extensions import db
from webapp.models import JobRun

TOKEN = "cron-secret-token"


def test_it_refuses_without_a_configured_token(client, app):
    response = client.post("/api/v1/jobs/housekeeping/run")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "service_token_not_configured"


def test_it_refuses_a_wrong_token(client, app):
    app.config["SERVICE_TOKEN"] = TOKEN
    response = client.post(
        "/api/v1/jobs/housekeeping/run", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert db.session.scalar(select(JobRun.id)) is None


def test_it_runs_a_job_for_cron(client, app):
    app.config["SERVICE_TOKEN"] = TOKEN
    response = client.post(
        "/api/v1/jobs/housekeeping/run", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "succeeded"
    run = db.session.scalars(select(JobRun)).one()
    assert run.trigger == "http"
    listing = client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {TOKEN}"}).json
    assert listing["jobs"][0]["name"] == "housekeeping"
    assert listing["jobs"][0]["last_run"]["status"] == "succeeded"


def test_it_answers_json_404_for_an_unknown_job(client, app):
    app.config["SERVICE_TOKEN"] = TOKEN
    response = client.post("/api/v1/jobs/nope/run", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_job"
