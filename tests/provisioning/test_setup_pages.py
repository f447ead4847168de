"""The setup page: progress, steps with reasons and fixes, polling, Re-run setup."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login
from webapp.core.extensions import db
from webapp.models import ProvisioningRun, WorkspacePlan
from webapp.services.provisioning import pipeline as provisioning


@pytest.fixture
def owner(app, client, alice):
    app.config["PROVISIONING_RUN_AFTER_REQUEST"] = False
    login(client, alice)
    return client


def request(org, clock):
    run = provisioning.request_provisioning(
        db.session, org.id, trigger="rerun", actor_id=None, now=clock()
    )
    db.session.commit()
    return run


def test_it_shows_an_empty_state_before_the_first_run(owner):
    page = owner.get("/setup").get_data(as_text=True)
    assert "Setup has not run yet" in page and "Run setup now" in page
    assert 'hx-trigger="every 2s"' not in page
    assert 'aria-current="page"' in page and ">Setup</a>" in page


def test_a_queued_run_polls_every_two_seconds(owner, alice_org, clock):
    request(alice_org, clock)
    page = owner.get("/setup").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in page and 'hx-get="/setup/progress"' in page
    assert "Queued" in page and "0 %" in page and 'value="0" max="100"' in page
    assert "Re-run setup" not in page  # not while it is live
    fragment = owner.get("/setup/progress", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert html.strip().startswith('<section id="setup-progress"')


def test_a_finished_run_shows_every_step_and_stops_polling(app, owner, alice_org, clock):
    request(alice_org, clock)
    provisioning.run_pipeline(app, alice_org.id, now_fn=clock, owner="t")
    db.session.commit()
    html = owner.get("/setup/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' not in html
    # Five of seven steps skipped is not "complete": the page says so and what is left.
    assert "Setup complete" not in html and 'value="100"' in html
    assert "Setup finished: 2 of 7 steps done, 5 skipped" in html
    assert "2 done · 5 skipped · 0 failed" in html
    assert html.count("✓ Done") == 2 and html.count(">Skipped<") == 5
    todo = html[html.index('id="setup-todo"') :]
    assert "Connect a Twilio account" in todo and "Enter your mail server" in todo
    assert todo.count("Connect a Twilio account") == 1  # one line per thing to do
    assert "emails go to the outbox until SMTP is set in Settings → Integrations" in html
    assert "Re-run setup" in html


def test_a_failed_step_shows_the_fix_and_where_to_fix_it(app, owner, alice_org, clock):
    db.session.add(
        WorkspacePlan(org_id=alice_org.id, plan="growth", status="inactive", updated_at=clock())
    )
    db.session.commit()
    request(alice_org, clock)
    provisioning.run_pipeline(app, alice_org.id, now_fn=clock, owner="t")
    db.session.commit()
    html = owner.get("/setup").get_data(as_text=True)
    assert "Setup needs attention" in html and "Complete checkout" in html and "✗ Failed" in html
    assert "tried 1 time" in html


def test_re_run_setup_queues_a_run_for_owners(owner, alice_org):
    token = csrf_token(owner, "/setup")
    response = owner.post("/setup/run", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'hx-trigger="every 2s"' in response.get_data(
        as_text=True
    )
    db.session.commit()
    [run] = db.session.scalars(
        select(ProvisioningRun).where(ProvisioningRun.org_id == alice_org.id)
    )
    assert (run.trigger, run.status) == ("rerun", "queued")
    # Pressed again while it is live: the same run.
    owner.post("/setup/run", data={"csrf_token": token})
    db.session.commit()
    assert len(list(db.session.scalars(select(ProvisioningRun)))) == 1


def test_re_run_setup_starts_the_run_after_the_answer(app, owner, alice_org):
    app.config["PROVISIONING_RUN_AFTER_REQUEST"] = True
    response = owner.post("/setup/run", data={"csrf_token": csrf_token(owner, "/setup")})
    assert response.status_code == 303
    response.close()
    db.session.commit()
    [run] = db.session.scalars(select(ProvisioningRun))
    assert run.status == "succeeded" and run.progress == 100


def test_re_run_needs_the_csrf_token(owner):
    assert owner.post("/setup/run").status_code == 400
    assert db.session.scalars(select(ProvisioningRun)).first() is None


def test_staff_see_progress_but_cannot_re_run(app, client, bob, alice_org, clock):
    request(alice_org, clock)
    login(client, bob)
    page = client.get("/setup").get_data(as_text=True)
    assert "Queued" in page and "Re-run setup" not in page
    assert (
        client.post("/setup/run", data={"csrf_token": csrf_token(client, "/setup")}).status_code
        == 403
    )


def test_support_cannot_re_run(client, support_user):
    login(client, support_user)
    assert client.get("/setup").status_code == 200
    assert (
        client.post("/setup/run", data={"csrf_token": csrf_token(client, "/setup")}).status_code
        == 403
    )


def test_a_workspace_sees_only_its_own_setup(app, client, charlie, alice_org, clock):
    request(alice_org, clock)
    login(client, charlie)
    page = client.get("/setup").get_data(as_text=True)
    assert "Setup has not run yet" in page


def test_activating_the_autopilot_requests_setup(app, alice_org, clock):
    from webapp.core.signals import autopilot_activated
    from webapp.web.provisioning.setup import provision_workspace

    assert provision_workspace in autopilot_activated.receivers_for(app)
    with app.test_request_context("/"):
        provision_workspace(
            app, session=db.session, org_id=alice_org.id, actor_id=None, now=clock(), replaced=False
        )
        db.session.commit()
    [run] = db.session.scalars(select(ProvisioningRun))
    assert (run.trigger, run.status, run.org_id) == ("wizard", "queued", alice_org.id)
    assert re.match(r"^Workspace setup queued \(after the autopilot", _last_activity(alice_org))


def _last_activity(org) -> str:
    from webapp.models import ActivityLog

    return db.session.scalars(
        select(ActivityLog.description)
        .where(ActivityLog.org_id == org.id)
        .order_by(ActivityLog.id.desc())
    ).first()
