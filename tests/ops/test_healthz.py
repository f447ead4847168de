"""`/healthz`: database, migrations and scheduler checks, and each job's last run, as JSON."""

from __future__ import annotations

from datetime import timedelta

from jobs.runner import run_job
from webapp.core.extensions import db
from webapp.models import SchedulerNode


def add_node(clock, seen_ago: timedelta) -> None:
    db.session.add(
        SchedulerNode(
            id="web-1:4242",
            hostname="web-1",
            pid=4242,
            started_at=clock() - timedelta(hours=1),
            seen_at=clock() - seen_ago,
        )
    )
    db.session.commit()


def test_it_is_unhealthy_when_no_scheduler_is_alive(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["scheduler"]["ok"] is False
    assert "no scheduler process" in body["checks"]["scheduler"]["detail"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is True


def test_it_is_unhealthy_when_the_last_scheduler_went_quiet(client, clock):
    add_node(clock, timedelta(seconds=91))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["scheduler"]["ok"] is False


def test_it_is_healthy_when_a_scheduler_checked_in_within_90_seconds(client, clock):
    add_node(clock, timedelta(seconds=89))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "database_write", "migrations", "scheduler"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["scheduler"]["detail"] == "1 scheduler process alive"
    assert body["checks"]["database"]["detail"] == f"{db.engine.dialect.name} is reachable"
    assert body["checks"]["migrations"]["detail"].startswith("at ")
    assert body["checks"]["database_write"]["detail"] == "a write committed"


def test_it_reports_each_jobs_last_run(app, client, clock):
    add_node(clock, timedelta(seconds=10))
    names = set(app.extensions["jobs"].specs)
    assert client.get("/healthz").get_json()["jobs"] == {
        name: {"status": "never_ran"} for name in names
    }
    # The test client shares the fixture's app context and so its session: end the read
    # transaction the request left open, or SQLite keeps answering from that snapshot.
    db.session.rollback()

    assert run_job(app, "housekeeping").status == "succeeded"
    clock.advance(hours=1)
    assert run_job(app, "housekeeping").status == "succeeded"

    jobs = client.get("/healthz").get_json()["jobs"]
    assert set(jobs) == names
    last = jobs["housekeeping"]
    assert last["status"] == "succeeded"
    assert last["started_at"] == clock().isoformat()
    assert isinstance(last["duration_ms"], int)


def test_it_needs_no_sign_in_and_no_csrf_token(app, client, clock):
    add_node(clock, timedelta(seconds=10))
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content_type == "application/json"
