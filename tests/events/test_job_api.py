"""The Job API: enqueue (allow-listed kinds, payload checks, idempotency keys), read, retry a
failed job, cancel a pending one, download an export; workspace-scoped; in the document."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from tests.conftest import START, org_of
from tests.events.test_events_api import key_for
from webapp.core import clock as app_clock
from webapp.core.extensions import db
from webapp.models import ActivityLog, Lead, LeadEvent, OutboxMessage, QueuedJob
from webapp.services.api_jobs import enqueue_api_job, run_api_jobs
from webapp.services.leads import capture_lead
from webapp.services.messaging.consent import resubscribe, unsubscribe

EMAIL = {"kind": "email.send", "payload": {"subject": "Your cake is ready", "text": "Come by!"}}


def _lead(org, email="ana@shop.example", **more) -> Lead:
    lead, _ = capture_lead(db.session, org.id, {"email": email, **more}, source="manual", now=START)
    db.session.commit()
    return lead


def _email(lead) -> dict:
    return {**EMAIL, "payload": {**EMAIL["payload"], "contact_id": lead.id}}


def _run() -> None:
    db.session.commit()
    run_api_jobs(db.engine, owner="test", clock=app_clock.now)
    db.session.expire_all()


def _pending_email(org, lead) -> int:
    job, _ = enqueue_api_job(
        db.session, org.id, "email.send", _email(lead)["payload"], key=None, now=START
    )
    db.session.commit()
    return job.id


def test_it_sends_an_email_job_end_to_end(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org)
    created = client.post("/api/v1/jobs", json=_email(ana), headers=auth)
    assert created.status_code == 201, created.get_json()
    job_id = created.get_json()["id"]
    # it ran right after the response
    job = client.get(f"/api/v1/jobs/{job_id}", headers=auth).get_json()
    assert (job["kind"], job["status"], job["attempts"]) == ("email.send", "completed", 1)
    assert job["result"] == {"to": "ana@shop.example"}
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.org_id == alice_org.id)
    ).one()
    assert (mail.to, mail.subject) == ("ana@shop.example", "Your cake is ready")
    assert "Come by!" in mail.body_text
    assert db.session.scalars(select(LeadEvent).where(LeadEvent.type == "email_sent")).one()
    assert db.session.scalars(select(ActivityLog).where(ActivityLog.type == "api.email_sent")).one()


def test_an_idempotency_key_enqueues_once(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org)
    body = {**_email(ana), "idempotency_key": "welcome-ana"}
    first = client.post("/api/v1/jobs", json=body, headers=auth)
    again = client.post("/api/v1/jobs", json=body, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_unknown_kinds_and_bad_payloads_are_refused_with_the_reason(
    client, alice, alice_org, charlie
):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org)
    gone = _lead(alice_org, "gone@shop.example")
    unsubscribe(db.session, gone, channel=None, reason="test", now=START)
    no_email = _lead(alice_org, email="", phone="+447911123456")
    theirs = _lead(org_of(charlie), "cai@shop.example")
    cases = [
        ({"kind": "coach.followup", "payload": {}}, "kind"),
        ({"kind": "nope", "payload": {}}, "kind"),
        ({"payload": {}}, "kind"),
        ({**_email(ana), "priority": 1}, "priority"),
        ({"kind": "email.send", "payload": {"contact_id": ana.id, "text": "x"}}, "payload.subject"),
        ({"kind": "email.send"}, "payload.contact_id"),
        ({"kind": "email.send", "payload": {**_email(ana)["payload"], "bcc": "x"}}, "payload.bcc"),
        (
            {**_email(ana), "payload": {**_email(ana)["payload"], "contact_id": "1"}},
            "payload.contact_id",
        ),
        (
            {**_email(ana), "payload": {**_email(ana)["payload"], "subject": "x" * 201}},
            "payload.subject",
        ),
        ({**_email(theirs)}, "payload.contact_id"),
        ({**_email(gone)}, "payload.contact_id"),
        ({**_email(no_email)}, "payload.contact_id"),
        ({"kind": "leads.export", "payload": {"status": "maybe"}}, "payload.status"),
        ({**_email(ana), "idempotency_key": 7}, "idempotency_key"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/jobs", json=body, headers=auth)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    assert client.post("/api/v1/jobs", data="kind=x", headers=auth).status_code == 400
    gone_answer = client.post("/api/v1/jobs", json=_email(gone), headers=auth).get_json()
    assert gone_answer["error"]["fields"]["payload.contact_id"] == "the contact unsubscribed"
    assert db.session.scalar(select(func.count()).select_from(QueuedJob)) == 0


def test_a_failed_job_is_retried_and_a_finished_one_is_not(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org)
    job_id = _pending_email(alice_org, ana)
    unsubscribe(db.session, ana, channel=None, reason="test", now=START)
    _run()
    failed = client.get(f"/api/v1/jobs/{job_id}", headers=auth).get_json()
    assert (failed["status"], failed["error_class"]) == ("failed", "CONSENT")
    assert failed["last_error"] == "the contact unsubscribed"

    resubscribe(db.session, db.session.get(Lead, ana.id), channel=None, reason="test", now=START)
    db.session.commit()
    retried = client.post(f"/api/v1/jobs/{job_id}/retry", headers=auth)
    assert retried.status_code == 200
    done = client.get(f"/api/v1/jobs/{job_id}", headers=auth).get_json()
    assert (done["status"], done["attempts"]) == ("completed", 1)
    again = client.post(f"/api/v1/jobs/{job_id}/retry", headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_failed"
    assert "completed" in again.get_json()["error"]["message"]


def test_a_pending_job_is_cancelled_and_never_runs(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    ana = _lead(alice_org)
    job_id = _pending_email(alice_org, ana)
    cancelled = client.delete(f"/api/v1/jobs/{job_id}", headers=auth)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.delete(f"/api/v1/jobs/{job_id}", headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_pending"
    assert client.post(f"/api/v1/jobs/{job_id}/retry", headers=auth).status_code == 409
    _run()
    assert db.session.get(QueuedJob, job_id).status == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_export_job_makes_a_csv_to_download(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    _lead(alice_org, "ana@shop.example", name="Ana")
    _lead(alice_org, "=cmd@shop.example", name="=HYPERLINK()")
    created = client.post(
        "/api/v1/jobs", json={"kind": "leads.export", "payload": {}}, headers=auth
    ).get_json()
    job = client.get(f"/api/v1/jobs/{created['id']}", headers=auth).get_json()
    assert job["status"] == "completed" and job["result"]["rows"] == 2
    assert "csv" not in job["result"]
    assert job["download"] == f"/api/v1/jobs/{created['id']}/download"
    download = client.get(job["download"], headers=auth)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [r["email"] for r in rows] == ["ana@shop.example", "'=cmd@shop.example"]
    assert rows[1]["name"] == "'=HYPERLINK()"  # no formula reaches a spreadsheet
    filtered = client.post(
        "/api/v1/jobs", json={"kind": "leads.export", "payload": {"status": "won"}}, headers=auth
    ).get_json()
    assert (
        client.get(f"/api/v1/jobs/{filtered['id']}", headers=auth).get_json()["result"]["rows"] == 0
    )
    email_job = _pending_email(alice_org, db.session.scalars(select(Lead)).first())
    assert client.get(f"/api/v1/jobs/{email_job}/download", headers=auth).status_code == 409


def test_another_workspace_sees_and_affects_nothing(client, alice, alice_org, charlie):
    ana = _lead(alice_org)
    job_id = _pending_email(alice_org, ana)
    theirs = key_for(org_of(charlie), charlie)
    for method, path in [
        ("GET", f"/api/v1/jobs/{job_id}"),
        ("POST", f"/api/v1/jobs/{job_id}/retry"),
        ("DELETE", f"/api/v1/jobs/{job_id}"),
        ("GET", f"/api/v1/jobs/{job_id}/download"),
    ]:
        assert client.open(path, method=method, headers=theirs).status_code == 404, path
    assert db.session.get(QueuedJob, job_id).status == "pending"


def test_the_engines_own_jobs_are_not_reachable(client, alice, alice_org):
    from webapp import queue

    auth = key_for(alice_org, alice)
    own, _ = queue.enqueue(
        db.session, "coach.followup", {}, idempotency_key="internal", now=START, org_id=alice_org.id
    )
    db.session.commit()
    assert client.get(f"/api/v1/jobs/{own.id}", headers=auth).status_code == 404
    assert client.delete(f"/api/v1/jobs/{own.id}", headers=auth).status_code == 404
    assert db.session.get(QueuedJob, own.id).status == "pending"


def test_the_scheduled_job_runs_what_is_left(app, alice_org):
    ana = _lead(alice_org)
    job_id = _pending_email(alice_org, ana)
    outcome = app.extensions["jobs"].run("api_jobs", trigger="manual")
    assert outcome.status == "succeeded", outcome.message
    db.session.rollback()  # a fresh snapshot: the runner wrote from its own session
    assert db.session.get(QueuedJob, job_id).status == "completed"


def test_the_openapi_document_describes_the_job_api(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert paths["/api/v1/jobs"]["post"]["operationId"] == "enqueueJob"
    assert paths["/api/v1/jobs"]["get"]["operationId"] == "listJobs"  # the scheduled jobs
    assert {"get", "delete"} <= set(paths["/api/v1/jobs/{job_id}"])
    assert "409" in paths["/api/v1/jobs/{job_id}/retry"]["post"]["responses"]
    schemas = document["components"]["schemas"]
    payloads = {"EmailSendPayload", "LeadsExportPayload", "WeeklyReportPayload"}
    assert payloads | {"JobRequest", "ApiJob"} <= set(schemas)
    kinds = schemas["JobRequest"]["properties"]["kind"]["enum"]
    assert kinds == ["email.send", "leads.export", "reporting.weekly"]


def test_a_weekly_report_job_builds_the_report_of_last_week(client, alice, alice_org):
    from datetime import timedelta

    from webapp.models import WeeklyReport
    from webapp.services.reporting import last_complete_week

    auth = key_for(alice_org, alice)
    week = last_complete_week(alice_org, START)
    for n in range(3):
        capture_lead(
            db.session,
            alice_org.id,
            {"email": f"w{n}@shop.example"},
            source="manual",
            now=START - timedelta(days=START.weekday() + 5),  # inside last week
        )
    db.session.commit()
    created = client.post(
        "/api/v1/jobs", json={"kind": "reporting.weekly", "payload": {}}, headers=auth
    )
    assert created.status_code == 201, created.get_json()
    job = client.get(f"/api/v1/jobs/{created.get_json()['id']}", headers=auth).get_json()
    assert job["status"] == "completed", job
    result = job["result"]
    assert (result["week_start"], result["leads"]) == (week.isoformat(), 3)
    assert result["insights"] and result["written_by"].startswith("builtin")
    report = db.session.get(WeeklyReport, result["report_id"])
    assert (report.org_id, report.week_start, report.leads) == (alice_org.id, week, 3)
    assert db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "report.generated")
    ).one()


def test_a_weekly_report_job_refuses_weeks_that_are_not_finished_mondays(client, alice, alice_org):
    from datetime import timedelta

    from webapp.services.reporting import last_complete_week

    auth = key_for(alice_org, alice)
    week = last_complete_week(alice_org, START)
    for week_start, why in [
        ((week + timedelta(days=1)).isoformat(), "Monday"),
        ((week + timedelta(days=7)).isoformat(), "not finished"),
        ("last week", "YYYY-MM-DD"),
    ]:
        body = {"kind": "reporting.weekly", "payload": {"week_start": week_start}}
        answer = client.post("/api/v1/jobs", json=body, headers=auth)
        assert answer.status_code == 422, answer.get_json()
        assert why in answer.get_json()["error"]["fields"]["payload.week_start"]
    assert db.session.scalar(select(func.count()).select_from(QueuedJob)) == 0
