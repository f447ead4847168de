"""The health page, the dashboard widget (a self-refreshing partial), the support view of
every workspace, and `/healthz`."""

from __future__ import annotations

import re
from datetime import timedelta

from jobs.runner import run_job
from tests.conftest import START, login, org_of
from tests.ops.factories import add_jobs, open_breaker
from webapp.core.extensions import db
from webapp.models import Organization, SchedulerNode

HX = {"HX-Request": "true"}


def open_twilio_breaker(org) -> None:
    open_breaker(
        org.id, "twilio", "THIRD_PARTY_AUTH_FAILED", "Twilio 401 (error 20003): Authenticate"
    )


def late_jobs(org, n: int) -> None:
    add_jobs(org, n, run_at=START - timedelta(hours=2), prefix="late")


def test_the_health_page_says_healthy_and_keeps_the_installation_checks(client, alice):
    login(client, alice)

    html = client.get("/health").get_data(as_text=True)

    assert 'data-status="healthy"' in html
    # A brand-new workspace: nothing broken, but not "setup is complete" (issue 15 item 3).
    assert "Nothing is broken, but setup is not finished" in html
    assert "No issues: nothing needs your attention." in html
    for section in (
        "health-integrations",
        "health-provisioning",
        "health-queue",
        "health-scheduler",
        "health-alerts",
        "health-report",
    ):
        assert f'id="{section}"' in html
    assert "SMS and WhatsApp (Twilio)" in html
    assert "No — messages go to the outbox" in html
    assert "Database" in html and "Migrations" in html and "no scheduler process" in html
    assert "Every workspace (support)" not in html


def test_the_health_page_explains_a_paused_integration(client, alice, alice_org):
    open_twilio_breaker(alice_org)
    login(client, alice)

    html = client.get("/health").get_data(as_text=True)

    assert 'data-status="unhealthy"' in html
    assert "SMS sending is paused: Twilio rejected the credentials" in html
    assert "The provider refused the credentials: check them in Settings → Integrations." in html
    assert 'href="/settings/integrations"' in html
    assert "THIRD_PARTY_AUTH_FAILED" in html


def test_the_widget_is_a_self_refreshing_partial(client, alice, alice_org):
    login(client, alice)

    response = client.get("/health/widget", headers=HX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    root = re.match(r"\s*<article ([^>]*)>", html)
    assert root, html[:200]
    attrs = root.group(1)
    assert 'id="health-widget"' in attrs
    assert 'hx-get="/health/widget"' in attrs
    assert 'hx-trigger="every 60s"' in attrs
    assert 'hx-swap="outerHTML"' in attrs
    assert 'hx-target="this"' in attrs
    assert html.strip().endswith("</article>") and html.count("<article") == 1
    assert "Healthy" in html

    late_jobs(alice_org, 101)
    html = client.get("/health/widget", headers=HX).get_data(as_text=True)
    assert 'data-status="unhealthy"' in html
    assert "The queue is backed up: 101 messages are late" in html
    assert 'href="/health"' in html


def test_the_dashboard_includes_the_widget(client, alice, alice_org):
    open_twilio_breaker(alice_org)
    login(client, alice)

    html = client.get("/").get_data(as_text=True)

    assert 'id="health-widget"' in html
    assert "SMS sending is paused: Twilio rejected the credentials" in html


def test_a_member_sees_only_their_own_workspace(client, alice_org, charlie):
    open_twilio_breaker(alice_org)
    login(client, charlie)

    assert "Twilio rejected" not in client.get("/health").get_data(as_text=True)
    assert "Twilio rejected" not in client.get("/health/widget", headers=HX).get_data(as_text=True)
    assert client.get("/support/health").status_code == 404
    assert client.get(f"/support/health/{alice_org.id}").status_code == 404


def test_an_owner_cannot_open_the_support_view(client, alice):
    login(client, alice)
    assert client.get("/support/health").status_code == 404


def test_support_sees_every_workspace_worst_first(app, client, alice_org, charlie, support_user):
    charlie_org = org_of(charlie)
    late_jobs(charlie_org, 50)  # late for two hours, but not backed up: degraded
    open_twilio_breaker(alice_org)
    assert run_job(app, "health_alerts").status == "succeeded"  # it writes the health rows
    db.session.rollback()
    login(client, support_user)

    html = client.get("/support/health").get_data(as_text=True)

    rows = re.findall(r'<tr id="ws-(\d+)" data-status="(\w+)">', html)
    support_org = support_user.memberships[0].org_id
    assert rows == [
        (str(alice_org.id), "unhealthy"),
        (str(charlie_org.id), "degraded"),
        (str(support_org), "healthy"),
    ]
    assert "As of the last health check" in html
    assert "SMS sending is paused: Twilio rejected the credentials" in html

    detail = client.get(f"/support/health/{alice_org.id}")
    assert detail.status_code == 200
    page = detail.get_data(as_text=True)
    assert "Health: Alice Bakes" in page
    assert "SMS sending is paused" in page
    assert client.get("/support/health/999999").status_code == 404
    assert "Every workspace (support)" in client.get("/health").get_data(as_text=True)


def test_the_support_view_pages_by_100_and_filters_by_status(app, client, alice_org, support_user):
    for n in range(150):
        db.session.add(Organization(name=f"Shop {n:03d}", timezone="UTC", created_at=START))
    db.session.commit()
    open_twilio_breaker(alice_org)
    login(client, support_user)
    assert "No health check has run yet" in client.get("/support/health").get_data(as_text=True)
    db.session.rollback()
    assert run_job(app, "health_alerts").status == "succeeded"  # it writes the health rows
    db.session.rollback()

    first = client.get("/support/health").get_data(as_text=True)
    assert len(re.findall(r'<tr id="ws-', first)) == 100
    assert "Showing 1–100 of 152." in first
    second = client.get("/support/health?page=2").get_data(as_text=True)
    assert len(re.findall(r'<tr id="ws-', second)) == 52
    only = client.get("/support/health?status=unhealthy").get_data(as_text=True)
    assert re.findall(r'<tr id="ws-(\d+)"', only) == [str(alice_org.id)]
    assert "Unhealthy (1)" in only and "Healthy (151)" in only


def test_healthz_keeps_its_shape_and_ignores_workspace_trouble(client, alice_org, charlie, clock):
    db.session.add(
        SchedulerNode(id="web-1:1", hostname="web-1", pid=1, started_at=clock(), seen_at=clock())
    )
    db.session.commit()
    open_twilio_breaker(alice_org)

    response = client.get("/healthz")

    assert response.status_code == 200  # one workspace's Twilio trouble is not the deployment's
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "database_write", "migrations", "scheduler"}
    assert "workspaces" not in body  # the support view counts them; /healthz never scans them
