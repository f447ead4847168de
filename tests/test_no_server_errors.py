"""No page answers 5xx: a crawl of the URL map over a realistic workspace.

"Alice Bakes" gets an activated autopilot with 60 days of results, leads, a sequence with
sends, outbox messages, a weekly report, the coach with a conversation, a provisioning
run, an open health alert and saved integration credentials. Then every GET route that
needs no argument, or only ids of that data (plus the few string arguments with a known
set of values), is fetched as owner, staff and support, as a full page and as an htmx
partial, and the list pages again with junk query strings. Routes added later are
crawled by themselves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import START, login
from tests.messaging.factories import make_contact, make_sequence
from webapp.core.extensions import db
from webapp.models import Conversation, Organization, OutboxMessage, User
from webapp.models.sequence import Send

JUNK = [
    {"page": "-1"},
    {"page": "abc"},
    {"page": "99999999999999999999"},
    {"per_page": "100000"},
    {"per_page": "-5"},
    {"status": "<script>alert(1)</script>"},
    {"q": "' OR 1=1 --"},
    {"sort": "unknown"},
    {"channel": "nope", "source": "nope", "campaign": "abc", "score": "x"},
    {"days": "abc", "week": "not-a-date", "from": "x", "to": "y"},
    # str.isdigit() is true for these, int() refuses them.
    {"page": "²", "org": "²", "lead_id": "²", "campaign": "²", "before": "²"},
    # Wider than a 64-bit integer: PostgreSQL refuses such a bind parameter.
    {
        "org": "99999999999999999999",
        "lead_id": "99999999999999999999",
        "before": "99999999999999999999",
    },
    {"since": "0001-01-01", "until": "9999-12-31"},
    {"since": "9999-12-31", "until": "9999-12-31", "entity_id": "x" * 500},
    {"before": "-1", "seen": "x", "cancel": "1", "close": "1", "automated": "maybe", "type": "<b>"},
]


def _workspace(app: Flask, org: Organization, owner: User, clock) -> dict[str, int]:
    """Build Alice's data through the services; returns ids by URL argument name."""
    from jobs.runner import run_job
    from webapp.services.accounts.api_keys import create_api_key
    from webapp.services.accounts.people import create_invite, membership
    from webapp.services.coach import audience as coach
    from webapp.services.coach.inbound import record_inbound
    from webapp.services.connections.credentials import save_credentials
    from webapp.services.demo.campaigns import add_demo_campaigns
    from webapp.services.leads.capture import capture_lead
    from webapp.services.messaging.dispatch import process_due
    from webapp.services.ops.alerts import evaluate_alerts
    from webapp.services.provisioning import pipeline as provisioning
    from webapp.services.reporting.reports import build_weekly_report

    add_demo_campaigns(db.session, org, START)
    db.session.commit()

    sequence = make_sequence(org, name="Welcome")
    for n in range(3):
        make_contact(
            org,
            email=f"crawl{n}@example.com",
            full_name=f"Crawl Contact {n}",
            phone=f"+1415555010{n}",
        )
    db.session.commit()
    process_due(app, org_id=org.id, now=START)  # sends the first step to the outbox
    db.session.commit()

    report = build_weekly_report(db.session, org, None, START)
    coach.save_settings(
        db.session,
        org.id,
        {**coach.DEFAULTS, "enabled": True, "auto_reply": True},
        actor_id=None,
        now=START,
    )
    lead, _created = capture_lead(
        db.session,
        org.id,
        {"full_name": "Carla Coachee", "phone": "+14155550199"},
        source="manual",
        now=START,
    )
    coach.schedule_followups(db.session, org.id, now=START)
    record_inbound(db.session, org.id, lead, "Do you bake gluten-free?", "SMcrawl1", START)
    save_credentials(
        db.session, org.id, "smtp",
        {"host": "127.0.0.1", "port": "2525", "username": "alice", "password": "s3cret", "from_address": "shop@example.com"},
        actor_id=owner.id, now=START,
    )  # fmt: skip
    invite, _token = create_invite(
        db.session, membership(db.session, owner, org.id), "staff", "crawl", now=START
    )
    api_key, _key = create_api_key(
        db.session, membership(db.session, owner, org.id), "Crawl", now=START
    )
    db.session.commit()

    from webapp.services.coach.process import process_due as coach_due

    coach_due(app, now=START + timedelta(minutes=1), org_id=org.id)  # writes and sends the messages
    db.session.commit()

    provisioning.request_provisioning(
        db.session, org.id, trigger="wizard", actor_id=owner.id, now=START
    )
    db.session.commit()
    provisioning.run_pipeline(app, org.id, now_fn=clock, owner="crawl")
    db.session.commit()

    # An open alert: more than 100 jobs overdue.
    from webapp.models import QueuedJob

    for i in range(101):
        db.session.add(
            QueuedJob(
                org_id=org.id,
                kind="send",
                payload={},
                idempotency_key=f"crawl-late-{i}",
                status="pending",
                run_at=START - timedelta(hours=1),
                created_at=START - timedelta(hours=1),
                updated_at=START - timedelta(hours=1),
            )
        )
    db.session.commit()
    alerts = evaluate_alerts(db.session, org.id, now=START, notify=True)
    db.session.commit()
    assert alerts, "the crawl needs an open health alert"

    run_job(app, "weekly_report", trigger="manual", org_id=org.id)
    db.session.commit()

    from webapp.services.segments import manage as segments

    segment = segments.create_segment(
        db.session,
        org.id,
        "Won, tagged vip",
        {
            "kind": "group",
            "match": "all",
            "rules": [
                {"kind": "rule", "field": "status", "operator": "equals", "value": "won"},
                {"kind": "rule", "field": "tag", "operator": "equals", "value": "vip"},
            ],
        },
        actor_id=owner.id,
        now=START,
    )
    db.session.commit()

    from webapp.services.workflows import create_from_template, run_for_contact

    workflow = create_from_template(
        db.session, org.id, "abandoned_cart", actor_id=owner.id, now=START
    )
    execution = run_for_contact(db.session, workflow, str(lead.id), test_mode=True, now=START)
    from webapp.services.broadcasts import create_broadcast

    broadcast = create_broadcast(
        db.session,
        org.id,
        {
            "name": "News",
            "channel": "email",
            "subject": "Hi {{firstName}}",
            "body": "Hello",
            "segment_id": segment.id,
        },
        actor_id=owner.id,
        now=START,
    )
    # One sending and one paused, so their pages (and pause/resume forms) are crawled too.
    from webapp.services.broadcasts import pause_broadcast, send_now

    for name in ("Sending", "Paused"):
        started = create_broadcast(
            db.session,
            org.id,
            {"name": name, "channel": "email", "subject": "Hi", "body": "Hi {{firstName}}"},
            actor_id=owner.id,
            now=START,
        )
        send_now(db.session, started, actor_id=owner.id, now=START)
        if name == "Paused":
            pause_broadcast(db.session, started, actor_id=owner.id, now=START)
    db.session.commit()

    from webapp.services.assets import create_asset, run_asset_jobs

    asset = create_asset(
        db.session, org.id, "email_sequence", {}, campaign=None, actor_id=owner.id, now=START
    )
    db.session.commit()
    run_asset_jobs(db.engine, owner="crawl", clock=lambda: START)

    from webapp.services.analytics import TEMPLATES, create_report

    analytics_report = create_report(
        db.session,
        org.id,
        {**TEMPLATES["daily_sales"], "recipients": [owner.email]},
        actor_id=owner.id,
        now=START,
    )
    db.session.commit()

    from webapp.models import Campaign, CampaignTask, JobRun, SequenceStep
    from webapp.models import Membership as MembershipModel

    def first(stmt):
        value = db.session.scalars(stmt.limit(1)).first()
        assert value is not None, f"the crawl data lacks {stmt}"
        return value

    send = first(
        select(Send).where(Send.campaign_id == sequence.id, Send.queued_job_id.is_not(None))
    )
    # A marketing campaign with one budget line linked (its Unlink form) and one not (Link).
    from tests.marketing.factories import make_campaign
    from webapp.services.marketing import link_line

    marketing = make_campaign(org, name="Crawl campaign", channels=["meta_ads", "email"])
    line = first(select(Campaign.id).where(Campaign.org_id == org.id, Campaign.kind == "auto"))
    link_line(db.session, org, marketing, line, actor_id=owner.id, now=START)
    db.session.commit()
    from tests.landing_pages.helpers import page as landing_page

    landing = landing_page(org, published=True)  # its editor, preview and public form
    return {
        "org_id": org.id,
        "campaign_id": sequence.id,
        "lead_id": lead.id,
        "report_id": report.id,
        "invite_id": invite.id,
        "api_key_id": api_key.id,
        "membership_id": first(select(MembershipModel.id).where(MembershipModel.org_id == org.id)),
        "run_id": first(select(JobRun.id).where(JobRun.org_id == org.id)),
        "task_id": first(select(CampaignTask.id).where(CampaignTask.org_id == org.id)),
        "step_id": first(select(SequenceStep.id).where(SequenceStep.campaign_id == sequence.id)),
        "job_id": send.queued_job_id,
        "message_id": first(select(OutboxMessage.id).where(OutboxMessage.org_id == org.id)),
        "conversation_id": first(select(Conversation.id).where(Conversation.org_id == org.id)),
        "segment_id": segment.id,
        "workflow_id": workflow.id,
        "execution_id": execution.id,
        "broadcast_id": broadcast.id,
        "marketing_campaign_id": marketing.id,
        "landing_page_id": landing.id,
        "asset_id": asset.id,
        "analytics_report_id": analytics_report.id,
    }


def _string_values() -> dict[str, list[str]]:
    """Known values for the string arguments worth crawling (and one that is not one)."""
    from jobs.schedule import registry
    from webapp.services.autopilot.wizard import STEPS

    return {"step": [*STEPS, "nope"], "job_name": [*registry(), "nope"], "token": ["not-a-token"]}


def _paths(app: Flask, ids: dict[str, int]) -> list[tuple[str, str]]:
    """(endpoint, path) for every GET route the crawl can fill."""
    strings = _string_values()
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        choices: list[dict] = [{}]
        for arg in sorted(rule.arguments):
            if arg in ids:
                values = [ids[arg]]
            elif arg in strings:
                values = strings[arg]
            else:
                values = []
            choices = [{**c, arg: v} for c in choices for v in values]
        for values in choices:
            if set(values) == set(rule.arguments):
                paths.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return paths


@pytest.fixture
def workspace(app, alice, alice_org, bob, support_user, clock) -> dict[str, int]:
    return _workspace(app, alice_org, alice, clock)


def _crawl(client: FlaskClient, paths: list[tuple[str, str]]) -> list[str]:
    # /healthz answers 503 on purpose when the deployment is unhealthy (load balancers read it).
    failures = []
    for _endpoint, path in paths:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            response.get_data()  # a streamed body (the CSV export) runs to its end here
            response.close()
            if _endpoint == "health.healthz" and response.status_code == 503:
                assert response.json["status"], "an unhealthy /healthz still says why"
            elif response.status_code >= 500:
                failures.append(f"GET {path} {headers or ''} answered {response.status_code}")
    return failures


@pytest.mark.parametrize("persona", ["alice", "bob", "support_user"])
def test_it_answers_every_page_without_a_server_error(app, client, workspace, persona, request):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500 rather than raising here
    paths = _paths(app, workspace)
    endpoints = {endpoint for endpoint, _path in paths}
    # The crawl must reach the id pages, not only the argument-free ones.
    assert {
        "leads.show",
        "coach.conversation",
        "automation.show",
        "reports.show",
        "automation.outbox_message",
        "health.support_workspace",
        "automation.step",
        "campaigns.show",
    } <= endpoints
    login(client, request.getfixturevalue(persona))
    failures = _crawl(client, paths)
    assert not failures, "\n".join(failures)


def _pages(app: Flask, ids: dict[str, int]) -> list[tuple[str, str]]:
    """The crawled pages but /healthz (503 on purpose) and the downloads."""
    return [
        (e, p)
        for e, p in _paths(app, ids)
        if e != "health.healthz" and not p.endswith((".csv", ".json", ".gif"))
    ]


@pytest.mark.parametrize("persona", ["alice", "support_user"])
def test_it_survives_junk_query_strings(app, client, workspace, persona, request):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(client, request.getfixturevalue(persona))
    failures = []
    for _endpoint, path in _pages(app, workspace):
        for query in JUNK:
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(path, query_string=query, headers=headers)
                response.get_data()
                response.close()
                if response.status_code >= 500:
                    failures.append(
                        f"GET {path}?{str(query)[:120]} {headers or ''} answered {response.status_code}"
                    )
    assert not failures, "\n".join(failures)


def test_the_api_survives_junk_query_strings(app, client, workspace, alice, alice_org):
    from webapp.services.accounts.api_keys import create_api_key
    from webapp.services.accounts.people import membership

    app.config.update(PROPAGATE_EXCEPTIONS=False, SERVICE_TOKEN="crawl-service-token")
    _row, key = create_api_key(
        db.session, membership(db.session, alice, alice_org.id), "Junk", now=START
    )
    db.session.commit()
    api = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and "GET" in r.methods
    ]
    paths = [
        rule.build({a: workspace[a] for a in rule.arguments}, append_unknown=False)[1]
        for rule in api
        if set(rule.arguments) <= set(workspace)
    ]
    assert {"/api/v1/leads", "/api/v1/jobs", "/api/v1/automation/summary"} <= set(paths)
    failures = []
    for path in paths:
        for bearer in (key, "crawl-service-token", "junk"):
            for query in [{}, *JUNK]:
                response = client.get(
                    path, query_string=query, headers={"Authorization": f"Bearer {bearer}"}
                )
                if response.status_code >= 500:
                    failures.append(
                        f"GET {path}?{str(query)[:120]} answered {response.status_code}"
                    )
    assert not failures, "\n".join(failures)
