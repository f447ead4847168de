"""Operations figures: each equals an independent count over the same rows, a workspace sees
only its own, support may see every workspace, and `/metrics` serves them in Prometheus's
text format behind the service token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import START, login
from tests.ops import factories
from tests.ops.test_alerts import add_ai_cost, add_sends
from webapp.core.extensions import db
from webapp.models import Conversation
from webapp.services.ops.operations import operations


def chats(org, total: int, handed_over: int) -> None:
    db.session.add_all(
        Conversation(
            org_id=org.id,
            channel="web",
            chat_state="open",
            created_at=START,
            updated_at=START,
            escalated_at=START if i < handed_over else None,
        )  # fmt: skip
        for i in range(total)
    )
    db.session.commit()


@pytest.fixture
def busy(alice_org, charlie):
    """Alice's workspace with work of every kind; Charlie's with other numbers."""
    from tests.conftest import org_of

    hour_ago = START - timedelta(hours=1)
    factories.add_jobs(alice_org, 3, run_at=hour_ago, created_at=hour_ago)  # due, waiting
    factories.add_jobs(alice_org, 2, run_at=START + timedelta(hours=1), prefix="later")
    factories.add_jobs(alice_org, 6, status="completed", updated_at=hour_ago, prefix="ok")
    factories.add_jobs(alice_org, 2, status="failed", updated_at=hour_ago, prefix="bad")
    factories.add_jobs(alice_org, 9, status="failed", updated_at=START - timedelta(days=9),
                       prefix="old")  # fmt: skip
    add_sends(alice_org, ["sent", "delivered", "delivered", "failed", "queued"])
    add_ai_cost(alice_org, "0.0120", hour_ago)
    add_ai_cost(alice_org, "0.0030", hour_ago)
    chats(alice_org, total=4, handed_over=1)
    other = org_of(charlie)
    factories.add_jobs(other, 5, run_at=hour_ago, created_at=hour_ago, prefix="c")
    chats(other, total=1, handed_over=1)
    return alice_org, other


def test_each_figure_is_the_count_it_says(busy):
    alice_org, _ = busy
    ops = operations(db.session, now=START, org_id=alice_org.id)
    got = {f.key: f.value for f in ops.figures}
    assert got["queue_depth"] == 3  # the 2 jobs due later are not waiting yet
    assert got["queue_age_seconds"] == 3600
    assert got["job_success_percent"] == 75.0  # 6 of 8 inside the week; the old 9 left out
    assert got["workflow_completion_percent"] is None  # no run ended: nothing to measure
    assert got["email_delivery_percent"] == 75.0  # 3 of sent/delivered/failed; queued left out
    assert got["bot_resolution_percent"] == 75.0
    [ai] = ops.ai
    assert (ai.feature, ai.calls, str(ai.cost_usd)) == ("coach_message", 2, "0.0150")


def test_the_deployment_adds_every_workspace(busy):
    got = {f.key: f.value for f in operations(db.session, now=START).figures}
    assert got["queue_depth"] == 8 and got["bot_resolution_percent"] == 60.0


def test_the_page_shows_the_workspaces_own_figures(client, alice, busy):
    login(client, alice)
    html = client.get("/health/operations").get_data(as_text=True)
    assert 'id="ops-queue_depth"' in html and "Every workspace" not in html
    depth = html.split('id="ops-queue_depth"')[1].split("</article>")[0]
    assert ">3<" in re.sub(r"\s+", "", depth)
    assert "Coach message" in html and "0.0150" in html
    # scope=all is for support only: a member still sees their workspace
    assert "Every workspace on this server" not in client.get(
        "/health/operations?scope=all"
    ).get_data(as_text=True)


def test_support_sees_every_workspace(client, support_user, busy):
    login(client, support_user)
    html = client.get("/health/operations?scope=all").get_data(as_text=True)
    assert "Every workspace on this server" in html
    depth = html.split('id="ops-queue_depth"')[1].split("</article>")[0]
    assert ">8<" in re.sub(r"\s+", "", depth)


def test_metrics_need_the_service_token(app, client, busy):
    assert client.get("/metrics").status_code == 403  # no token configured
    app.config["SERVICE_TOKEN"] = "ops-secret-token"
    assert client.get("/metrics").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer ops-secret-token"})
    assert ok.status_code == 200 and ok.mimetype == "text/plain"
    families = {f.name: f for f in text_string_to_metric_families(ok.get_data(as_text=True))}
    assert families["autopilot_queue_depth"].samples[0].value == 8
    cost = {s.labels["feature"]: s.value for s in families["autopilot_ai_cost_usd_7d"].samples}
    assert cost == {"coach_message": pytest.approx(0.015)}
    answered = {s.labels["status"]: s.value for s in families["autopilot_http_requests"].samples
                if s.name.endswith("_total")}  # fmt: skip
    assert answered.get("4xx", 0) >= 3
