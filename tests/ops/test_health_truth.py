"""Issue 15 item 3: health says what the rest of the product says — the Scheduler page's
runs, what is left to set up, OpenAI's last call, the coach's key lookup, a refused
connection's fix."""

from __future__ import annotations

from jobs.runner import run_job
from tests.conftest import START, login
from tests.ops.factories import open_breaker
from webapp.core.extensions import db
from webapp.models import CircuitBreaker
from webapp.services.connections.credentials import save_credentials


def row(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</tr>", start)]


def test_a_job_run_by_hand_shows_as_run_on_health_as_on_the_scheduler(
    app, client, alice, alice_org
):
    login(client, alice)
    assert run_job(app, "orchestrator", trigger="manual", org_id=alice_org.id, actor_id=alice.id)
    db.session.rollback()

    scheduler = client.get("/scheduler").get_data(as_text=True)
    health = client.get("/health").get_data(as_text=True)

    assert "succeeded" in scheduler
    daily = row(health, "sched-orchestrator")
    assert "never ran" not in daily
    assert "succeeded" in daily


def test_a_brand_new_workspace_says_what_is_left_to_set_up(client, alice):
    login(client, alice)

    html = client.get("/health").get_data(as_text=True)

    assert "setup is complete" not in html
    assert "setup is not finished" in html
    assert "run the setup wizard" in html
    assert "connect Email (SMTP)" in html


def test_openai_with_only_failures_is_not_working(client, alice, alice_org):
    db.session.add(
        CircuitBreaker(
            org_id=alice_org.id,
            provider="openai",
            state="closed",
            consecutive_failures=2,
            last_failure_at=START,
            last_error_class="TRANSIENT_NETWORK",
            last_error="timed out",
            updated_at=START,
        )
    )
    db.session.commit()
    login(client, alice)

    openai = row(client.get("/health").get_data(as_text=True), "integration-openai")

    assert "Working" not in openai
    assert "Failing" in openai


def test_the_coach_sees_the_workspaces_saved_openai_key(app, client, alice, alice_org, clock):
    from cryptography.fernet import Fernet

    app.config["CREDENTIALS_KEY"] = Fernet.generate_key().decode()
    app.config["OPENAI_API_KEY"] = ""
    save_credentials(
        db.session, alice_org.id, "openai", {"api_key": "sk-test-123"}, actor_id=None, now=clock()
    )
    db.session.commit()
    login(client, alice)

    html = client.get("/coach/settings").get_data(as_text=True)

    assert "no OpenAI key configured" not in html
    assert "OpenAI (" in html


def test_a_refused_connection_is_not_told_it_clears_by_itself(client, alice, alice_org):
    open_breaker(alice_org.id, "smtp", "TRANSIENT_NETWORK", "[Errno 111] Connection refused")
    login(client, alice)

    html = client.get("/health").get_data(as_text=True)

    assert "Connection refused" in html
    assert "clears by itself" not in html.lower()
    assert "check the host and port" in html
