"""The campaigns pages over HTTP: list, campaign page, task toggle, run now, dry run, isolation."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.autopilot.test_orchestrator import activate
from tests.conftest import START, csrf_token, login, org_of
from webapp.core.extensions import db
from webapp.models import ActivityLog, BudgetChange, Campaign, CampaignMetric, CampaignTask, JobRun
from webapp.services.autopilot.campaigns import create_campaigns_from_strategy


def with_campaigns(
    org, monthly: str = "1000", created=START - timedelta(days=10)
) -> list[Campaign]:
    config = activate(org, monthly)
    made = create_campaigns_from_strategy(db.session, config, org, now=created)
    db.session.commit()
    return made


def add_metric(c: Campaign, day: date, **figures) -> None:
    values = {
        "impressions": 0,
        "clicks": 0,
        "spend": Decimal("0"),
        "leads": 0,
        "conversions": 0,
        "revenue": Decimal("0"),
    }
    values.update(
        {k: Decimal(str(v)) if k in ("spend", "revenue") else v for k, v in figures.items()}
    )
    db.session.add(
        CampaignMetric(org_id=c.org_id, campaign_id=c.id, day=day, updated_at=START, **values)
    )
    db.session.commit()


def hx(token: str) -> dict:
    return {"HX-Request": "true", "X-CSRFToken": token}


# --- the list ---------------------------------------------------------------------------------


def test_it_explains_what_to_do_without_an_autopilot(client, alice):
    login(client, alice)
    html = client.get("/campaigns").get_data(as_text=True)
    assert "No campaigns yet" in html and "describe" in html
    assert 'href="/autopilot' in html
    assert "Run autopilot now" not in html


def test_it_offers_run_now_when_the_autopilot_is_active_but_has_no_campaigns(
    client, alice, alice_org
):
    activate(alice_org)
    login(client, alice)
    html = client.get("/campaigns").get_data(as_text=True)
    assert "Your campaigns are on their way" in html
    assert "Run autopilot now" in html and "Preview changes (dry run)" in html


def test_it_lists_campaigns_with_budget_spend_and_results_this_month(client, alice, alice_org):
    meta, google, _email = with_campaigns(alice_org)
    add_metric(
        meta, date(2026, 11, 20), clicks=200, spend="100", leads=5, conversions=4, revenue="180.50"
    )
    add_metric(meta, date(2026, 11, 2), clicks=200, spend="50", leads=1, conversions=0)
    add_metric(
        meta, date(2026, 10, 31), clicks=999, spend="999", leads=99, conversions=99
    )  # last month
    login(client, alice)
    html = client.get("/campaigns").get_data(as_text=True)
    assert "Meta ads — Alice Bakes" in html and "Google ads — Alice Bakes" in html
    assert "$400.00" in html and "$150.00" in html  # budget and spend this month
    assert "(38%)" in html  # 150 of 400
    assert "$180.50" in html and "1.00%" in html  # revenue; 4 conversions of 400 clicks
    assert "November 2026" in html
    assert f'href="/campaigns/{meta.id}"' in html and f'href="/campaigns/{google.id}"' in html
    assert "add up to $1,000.00 of your $1,000.00 monthly budget" in html


def test_it_refreshes_the_table_as_a_partial(client, alice, alice_org):
    with_campaigns(alice_org)
    login(client, alice)
    html = client.get("/campaigns", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="campaigns-table"') and "<html" not in html


# --- a campaign -------------------------------------------------------------------------------


def test_it_shows_a_campaign_with_tasks_metrics_and_budget_history(client, alice, alice_org):
    meta, *_ = with_campaigns(alice_org)
    add_metric(
        meta,
        date(2026, 11, 20),
        impressions=10000,
        clicks=300,
        spend="45.5",
        leads=6,
        conversions=3,
        revenue="120",
    )
    add_metric(meta, date(2026, 10, 20), clicks=1, spend="1")  # older than 30 days
    db.session.add(
        BudgetChange(
            org_id=alice_org.id,
            campaign_id=meta.id,
            before=Decimal("400"),
            after=Decimal("320"),
            rule="low_performance",
            reason="Conversion rate 0.5% … so the budget goes down 20%.",
            details={},
            created_at=START,
        )
    )
    db.session.commit()
    login(client, alice)
    html = client.get(f"/campaigns/{meta.id}").get_data(as_text=True)
    assert "Install the Meta pixel" in html and 'type="checkbox"' in html
    assert "Fri 20 Nov" in html and "10,000" in html and "$45.50" in html and "1.00%" in html
    assert "20 Oct" not in html
    assert "$400.00 → $320.00" in html and "so the budget goes down 20%." in html and "Cut" in html
    assert "First budget" in html and "Initial budget: 40%" in html


def test_it_toggles_a_task_and_answers_with_the_task(client, alice, alice_org):
    meta, *_ = with_campaigns(alice_org)
    task = meta.tasks[0]
    login(client, alice)
    token = csrf_token(client, f"/campaigns/{meta.id}")
    response = client.post(f"/campaigns/tasks/{task.id}/toggle", headers=hx(token))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        html.lstrip().startswith(f'<li id="task-{task.id}"')
        and "<html" not in html
        and "checked" in html
    )
    assert "activity-changed" in response.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(CampaignTask, task.id).done_at == START
    (row,) = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "campaign.task_done")
    ).all()
    assert row.actor_id == alice.id and "Alice Owner ticked off" in row.description
    client.post(f"/campaigns/tasks/{task.id}/toggle", headers=hx(token))
    db.session.expire_all()
    assert db.session.get(CampaignTask, task.id).done_at is None


def test_it_refuses_a_toggle_without_csrf(client, alice, alice_org):
    meta, *_ = with_campaigns(alice_org)
    login(client, alice)
    assert client.post(f"/campaigns/tasks/{meta.tasks[0].id}/toggle").status_code == 400


def test_support_sees_but_cannot_toggle(client, support_user, alice_org):
    # Support belongs to its own workspace; it cannot even reach Alice's tasks by id.
    meta, *_ = with_campaigns(alice_org)
    login(client, support_user)
    token = csrf_token(client, "/campaigns")
    assert (
        client.post(f"/campaigns/tasks/{meta.tasks[0].id}/toggle", headers=hx(token)).status_code
        == 403
    )


# --- dry run and run now ---------------------------------------------------------------------


def test_the_dry_run_shows_what_would_change_and_why_without_changing_anything(
    client, alice, alice_org
):
    meta, google, email = with_campaigns(alice_org)
    for day in range(16, 23):
        add_metric(meta, date(2026, 11, day), clicks=100, conversions=0, spend="40")
        add_metric(email, date(2026, 11, day), clicks=100, conversions=6, spend="5")
    before = db.session.scalar(select(func.count()).select_from(ActivityLog))
    login(client, alice)
    response = client.get("/campaigns/preview", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="preview"') and "<html" not in html
    assert "Nothing has been changed" in html and "16 Nov–22 Nov" in html
    assert "$400.00" in html and "$320.00" in html and "Cut" in html
    assert "$250.00" in html and "$300.00" in html and "Raise" in html
    assert "No clicks in the last 7 days" in html  # google
    assert "Below 1% with more than 50% spent" in html
    db.session.expire_all()
    assert [c.monthly_budget for c in (meta, google, email)] == [
        Decimal("400.00"),
        Decimal("350.00"),
        Decimal("250.00"),
    ]
    assert db.session.scalar(select(func.count()).select_from(ActivityLog)) == before
    page = client.get("/campaigns/preview").get_data(as_text=True)
    assert "<html" in page and "Dry run" in page


def test_run_now_runs_the_autopilot_for_this_workspace_only(client, alice, alice_org, charlie):
    activate(alice_org)
    activate(org_of(charlie))
    login(client, alice)
    token = csrf_token(client, "/campaigns")
    response = client.post("/campaigns/run", headers=hx(token))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<div id="autopilot-run"' in html and "<html" not in html
    run = _wait_for_run()
    assert (run.status, run.org_id, run.started_by_id, run.trigger) == (
        "succeeded",
        alice_org.id,
        alice.id,
        "manual",
    )
    assert db.session.scalar(select(func.count()).where(Campaign.org_id == alice_org.id)) == 3
    assert db.session.scalar(select(func.count()).where(Campaign.org_id == org_of(charlie).id)) == 0
    status = client.get(f"/campaigns/runs/{run.id}", headers={"HX-Request": "true"})
    text = status.get_data(as_text=True)
    assert (
        "Created 3 campaigns from your strategy" in text
        and "campaigns-changed" in status.headers["HX-Trigger"]
    )
    table = client.get("/campaigns", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Meta ads — Alice Bakes" in table


def test_it_polls_a_run_that_is_still_going(client, alice, alice_org):
    activate(alice_org)
    run = JobRun(
        job="orchestrator",
        period="manual:x",
        org_id=alice_org.id,
        trigger="manual",
        status="running",
        holder="h",
        started_at=START,
        heartbeat_at=START,
        summary={},
    )
    db.session.add(run)
    db.session.commit()
    login(client, alice)
    html = client.get(f"/campaigns/runs/{run.id}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Running the autopilot" in html and f'hx-get="/campaigns/runs/{run.id}"' in html
    page = client.get("/campaigns").get_data(as_text=True)  # the page shows the run in progress too
    assert "Running the autopilot" in page


def test_run_status_only_shows_orchestrator_runs_of_this_workspace(
    client, alice, alice_org, charlie
):
    other = JobRun(
        job="orchestrator",
        period="manual:y",
        org_id=org_of(charlie).id,
        trigger="manual",
        status="succeeded",
        holder="h",
        started_at=START,
        heartbeat_at=START,
        summary={},
    )
    housekeeping = JobRun(
        job="housekeeping",
        period="p",
        org_id=alice_org.id,
        trigger="manual",
        status="succeeded",
        holder="h",
        started_at=START,
        heartbeat_at=START,
        summary={},
    )
    db.session.add_all([other, housekeeping])
    db.session.commit()
    login(client, alice)
    assert client.get(f"/campaigns/runs/{other.id}").status_code == 404
    assert client.get(f"/campaigns/runs/{housekeeping.id}").status_code == 404


def test_it_refuses_run_now_without_csrf(client, alice, alice_org):
    activate(alice_org)
    login(client, alice)
    assert client.post("/campaigns/run").status_code == 400


def _wait_for_run() -> JobRun:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.rollback()
        run = db.session.scalars(select(JobRun).where(JobRun.job == "orchestrator")).first()
        if run is not None and run.status != "running":
            return run
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


# --- isolation ---------------------------------------------------------------------------------


def test_an_outsider_sees_none_of_alices_campaigns(client, alice_org, charlie):
    meta, *_ = with_campaigns(alice_org)
    login(client, charlie)
    assert "Alice Bakes" not in client.get("/campaigns").get_data(as_text=True)
    assert client.get(f"/campaigns/{meta.id}").status_code == 404
    token = csrf_token(client, "/campaigns")
    assert (
        client.post(f"/campaigns/tasks/{meta.tasks[0].id}/toggle", headers=hx(token)).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(CampaignTask, meta.tasks[0].id).done_at is None
    assert "Alice" not in client.get("/campaigns/metrics/template.csv").get_data(as_text=True)
