"""Every route that takes an id answers 404 to a member of another workspace.

The sweep walks the URL map, so routes added later are covered by themselves: a route
whose `*_id` argument has no factory below fails the sweep until one is added.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import START, login, make_user
from webapp.core.extensions import db
from webapp.models import Membership, Organization, User
from webapp.services.accounts import people as accounts


def _invite(org: Organization, owner: User) -> int:
    m = accounts.membership(db.session, owner, org.id)
    invite, _token = accounts.create_invite(db.session, m, "staff", "sweep", now=START)
    db.session.commit()
    return invite.id


def _membership(org: Organization, _owner: User) -> int:
    teammate = make_user("sweep-teammate@example.com", "Teammate")
    m = Membership(org_id=org.id, user_id=teammate.id, role="staff", created_at=START)
    db.session.add(m)
    db.session.commit()
    return m.id


def _weekly_report(org: Organization, _owner: User) -> int:
    from webapp.services.reporting.reports import build_weekly_report

    report = build_weekly_report(db.session, org, None, START)
    db.session.commit()
    return report.id


def _job_run(org: Organization, _owner: User) -> int:
    from webapp.models import JobRun

    run = JobRun(
        job="weekly_report",
        period="sweep",
        org_id=org.id,
        trigger="manual",
        status="succeeded",
        holder="sweep",
        started_at=START,
        heartbeat_at=START,
        summary={},
    )
    db.session.add(run)
    db.session.commit()
    return run.id


def _campaign(org: Organization, _owner: User) -> int:
    from sqlalchemy import select

    from tests.autopilot.test_campaigns_pages import with_campaigns
    from webapp.models import Campaign

    existing = db.session.scalars(  # an autopilot campaign (it has tasks), not a sequence's
        select(Campaign.id)
        .where(Campaign.org_id == org.id, Campaign.kind == "auto")
        .order_by(Campaign.id)
        .limit(1)
    ).first()
    return existing or with_campaigns(org)[0].id


def _campaign_task(org: Organization, owner: User) -> int:
    from sqlalchemy import select

    from webapp.models import CampaignTask

    campaign_id = _campaign(org, owner)
    return db.session.scalars(
        select(CampaignTask.id).where(CampaignTask.campaign_id == campaign_id).limit(1)
    ).one()


def _budget_change(org: Organization, owner: User) -> int:
    from sqlalchemy import select

    from webapp.models import BudgetChange

    campaign_id = _campaign(org, owner)
    return db.session.scalars(
        select(BudgetChange.id).where(BudgetChange.campaign_id == campaign_id).limit(1)
    ).one()


def _lead(org: Organization, _owner: User) -> int:
    from webapp.services.leads.capture import capture_lead

    lead, _created = capture_lead(
        db.session, org.id, {"email": "sweep-lead@example.com"}, source="manual", now=START
    )
    db.session.commit()
    return lead.id


def _api_key(org: Organization, owner: User) -> int:
    from webapp.services.accounts.api_keys import create_api_key

    row, _key = create_api_key(
        db.session, accounts.membership(db.session, owner, org.id), "Sweep", now=START
    )
    db.session.commit()
    return row.id


def _sequence_step(org: Organization, _owner: User) -> int:
    from tests.messaging.test_automation_pages import make_sequence, steps_of

    return steps_of(make_sequence(org, name="Sweep sequence"))[0].id


def _sequence_job(org: Organization, _owner: User) -> int:
    from tests.messaging.test_automation_pages import add_contact, make_sequence
    from webapp.services.messaging.triggering import trigger_new_contacts

    campaign = make_sequence(org, name="Sweep sequence (jobs)", active=True)
    add_contact(org, name="Sweep Contact", email="sweep-contact@example.com")
    trigger_new_contacts(db.session, org_id=org.id, campaign_id=campaign.id, now=START)
    db.session.commit()
    # Capturing the contact enrolled it already (an active sequence enrols new contacts at once).
    from sqlalchemy import select

    from webapp.models.sequence import Send

    return db.session.scalars(
        select(Send.queued_job_id).where(Send.campaign_id == campaign.id)
    ).first()


def _outbox_message(org: Organization, _owner: User) -> int:
    from webapp.models import OutboxMessage

    row = OutboxMessage(
        org_id=org.id,
        channel="email",
        to="sweep@example.com",
        subject="Sweep",
        body_text="Hi",
        created_at=START,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def _coach_conversation(org: Organization, _owner: User) -> int:
    from webapp.services.coach import audience as coach
    from webapp.services.leads.capture import capture_lead

    coach.save_settings(
        db.session, org.id, {**coach.DEFAULTS, "enabled": True}, actor_id=None, now=START
    )
    capture_lead(
        db.session,
        org.id,
        {"full_name": "Sweep Coachee", "phone": "+14155550199", "whatsapp_consent": "yes"},
        source="manual",
        now=START,
    )
    coach.schedule_followups(db.session, org.id, now=START)
    db.session.commit()
    from sqlalchemy import select

    from webapp.models import Conversation

    return db.session.scalars(select(Conversation.id).where(Conversation.org_id == org.id)).first()


def _chat_intent(org: Organization, _owner: User) -> int:
    from webapp.services.chat.intents import chat_settings

    chat_settings(db.session, org.id, now=START)  # makes the default intents
    db.session.commit()
    from sqlalchemy import select

    from webapp.models import ChatIntent

    return db.session.scalars(select(ChatIntent.id).where(ChatIntent.org_id == org.id)).first()


def _segment(org: Organization, _owner: User) -> int:
    from webapp.services.segments import manage

    rules = {
        "kind": "group",
        "match": "all",
        "rules": [{"kind": "rule", "field": "status", "operator": "equals", "value": "won"}],
    }
    segment = manage.create_segment(db.session, org.id, "Sweep", rules, actor_id=None, now=START)
    db.session.commit()
    return segment.id


def _workflow(org: Organization, _owner: User) -> int:
    from webapp.services.workflows import create_from_template

    workflow = create_from_template(db.session, org.id, "welcome", actor_id=None, now=START)
    db.session.commit()
    return workflow.id


def _workflow_execution(org: Organization, owner: User) -> int:
    from webapp.models import Workflow
    from webapp.services.workflows import run_for_contact

    workflow = db.session.get(Workflow, _workflow(org, owner))
    lead_id = _lead(org, owner)
    execution = run_for_contact(db.session, workflow, str(lead_id), test_mode=True, now=START)
    db.session.commit()
    return execution.id


def _broadcast(org: Organization, owner: User) -> int:
    from webapp.services.broadcasts import create_broadcast

    fields = {"name": "Sweep", "channel": "email", "subject": "Hi", "body": "Hello"}
    broadcast = create_broadcast(db.session, org.id, fields, actor_id=owner.id, now=START)
    db.session.commit()
    return broadcast.id


def _analytics_report(org: Organization, owner: User) -> int:
    from webapp.services.analytics import TEMPLATES, create_report

    fields = {**TEMPLATES["weekly_marketing"], "recipients": [owner.email]}
    report = create_report(db.session, org.id, fields, actor_id=owner.id, now=START)
    db.session.commit()
    return report.id


def _marketing_campaign(org: Organization, _owner: User) -> int:
    from tests.marketing.factories import make_campaign

    return make_campaign(org, name="Sweep campaign").id


def _landing_page(org: Organization, _owner: User) -> int:
    from tests.landing_pages.helpers import page

    return page(org, published=True).id


def _asset(org: Organization, owner: User) -> int:
    from webapp.services.assets import create_asset

    asset = create_asset(
        db.session,
        org.id,
        "social_post",
        {"platform": "x"},
        campaign=None,
        actor_id=owner.id,
        now=START,
    )
    db.session.commit()
    return asset.id


def _suppression(org: Organization, owner: User) -> int:
    from webapp.services.suppression import suppress

    row = suppress(db.session, org.id, "email", "sweep@example.org", reason="manual", now=START)
    db.session.commit()
    return row.id


# Argument name -> builds one of Alice's objects and returns its id.
FACTORIES: dict[str, Callable[[Organization, User], int]] = {
    "invite_id": _invite,
    "membership_id": _membership,
    "org_id": lambda org, _owner: org.id,
    "report_id": _weekly_report,
    "run_id": _job_run,
    "campaign_id": _campaign,
    "task_id": _campaign_task,
    "change_id": _budget_change,
    "lead_id": _lead,
    "api_key_id": _api_key,
    "suppression_id": _suppression,
    "step_id": _sequence_step,
    "job_id": _sequence_job,
    "message_id": _outbox_message,
    "conversation_id": _coach_conversation,
    "segment_id": _segment,
    "workflow_id": _workflow,
    "execution_id": _workflow_execution,
    "broadcast_id": _broadcast,
    "marketing_campaign_id": _marketing_campaign,
    "landing_page_id": _landing_page,
    "asset_id": _asset,
    "intent_id": _chat_intent,
    "analytics_report_id": _analytics_report,
}


def _workspace_key(user: User) -> str:
    from webapp.services.accounts.api_keys import create_api_key

    org_id = user.memberships[0].org_id
    _row, key = create_api_key(
        db.session, accounts.membership(db.session, user, org_id), "Sweep", now=START
    )
    db.session.commit()
    return key


def _id_routes(app: Flask) -> list:
    # Provider webhooks (`webhooks.*`) are no one's pages: no signed-in user reaches them,
    # only a request signed with the provider's secret (tests/test_webhooks.py covers that
    # a signed callback for one workspace's message cannot touch another's).
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(arg.endswith("_id") for arg in rule.arguments)
        and not rule.endpoint.startswith("webhooks.")
    ]


def test_it_finds_the_id_routes(app):
    endpoints = {rule.endpoint for rule in _id_routes(app)}
    assert {"workspace.revoke_invite", "workspace.remove_member", "workspace.switch"} <= endpoints


def test_it_answers_404_to_an_outsider_on_every_id_route(app, client, alice, alice_org, charlie):
    app.config["WTF_CSRF_ENABLED"] = False  # so a refused request is the 404 we test, not a 400
    ids: dict[str, int] = {}
    missing = []
    for rule in _id_routes(app):
        for arg in rule.arguments:
            if not arg.endswith("_id"):
                continue
            if arg not in FACTORIES:
                missing.append(f"{rule.rule} ({arg})")
            elif arg not in ids:
                ids[arg] = FACTORIES[arg](alice_org, alice)
    assert not missing, f"add a factory for these id routes to the tenancy sweep: {missing}"

    login(client, charlie)
    # The JSON API authenticates by workspace key, not by session: use Charlie's own key.
    charlie_key = _workspace_key(charlie)
    checked = 0
    for rule in _id_routes(app):
        values = {arg: ids.get(arg, "x") for arg in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        headers = (
            {"Authorization": f"Bearer {charlie_key}"} if rule.endpoint.startswith("api.") else {}
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={}, headers=headers)
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            checked += 1
    assert checked >= 3

    # And nothing of Alice's changed.
    invite = db.session.get(accounts.Invite, ids["invite_id"])
    assert invite.revoked_at is None
    assert db.session.get(Membership, ids["membership_id"]) is not None


@pytest.mark.parametrize("org_id_offset", [0, 999])
def test_it_hides_whether_a_workspace_exists(app, client, charlie, alice_org, org_id_offset):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, charlie)
    response = client.post(f"/workspaces/{alice_org.id + org_id_offset}/switch")
    assert response.status_code == 404
