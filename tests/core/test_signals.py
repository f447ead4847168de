"""The named signals: each goes out once, from the service where the thing happens, with
its payload; the activation subscriber runs whatever order the blueprints register in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from jobs.cli import build_app
from tests.conftest import START
from webapp import web
from webapp.core import signals
from webapp.core.extensions import db
from webapp.models import Organization, ProvisioningRun
from webapp.services.autopilot import config as autopilot
from webapp.services.autopilot.builtin_planner import builtin_strategy
from webapp.services.autopilot.plan_inputs import PlanInputs
from webapp.services.demo import workspace as demo
from webapp.services.leads.capture import capture_leads, change_status, update_notes
from webapp.services.messaging.consent import resubscribe, unsubscribe
from webapp.web.provisioning.setup import provision_workspace


class Heard:
    """A receiver that keeps each payload (without the session) it is sent."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, sender, **payload) -> None:
        assert payload.pop("session") is db.session
        self.calls.append({"sender": sender, **payload})


@pytest.fixture
def heard(app):
    """heard(signal) -> the list of payloads `signal` sends during the test."""
    receivers = []

    def listen(signal) -> list[dict]:
        receiver = Heard()
        receivers.append(receiver)  # blinker holds a weak reference only
        signal.connect(receiver, sender=app)
        return receiver.calls

    yield listen
    for receiver in receivers:
        for signal in (signals.lead_captured, signals.contact_changed, signals.demo_created):
            signal.disconnect(receiver)


def _inputs() -> PlanInputs:
    return PlanInputs(
        business="A family bakery in Leeds.",
        who="Busy families",
        where="Leeds",
        market="b2c",
        interests=("baking",),
        monthly_budget=Decimal("1200"),
        primary_goal="sales",
    )


def _activate(org_id: int, actor_id: int | None) -> bool:
    org = db.session.get(Organization, org_id)
    config = autopilot.ensure_config(db.session, org, START)
    inputs = _inputs()
    return autopilot.activate(
        db.session, org, config, inputs, builtin_strategy(inputs), actor_id=actor_id, now=START
    )


def test_it_sends_lead_captured_once_per_new_lead(app, alice_org, heard):
    captured = heard(signals.lead_captured)
    changed = heard(signals.contact_changed)
    outcomes = capture_leads(
        db.session,
        alice_org.id,
        [
            {"email": "ana@limaltd.com"},
            {"email": "ben@example.com", "source": "referral"},
            {"email": "ana@limaltd.com", "phone": "+447911123456"},  # merges into the first
        ],
        source="api",
        now=START,
    )
    ana, ben = outcomes[0].lead_id, outcomes[1].lead_id
    assert [(c["lead_id"], c["via"], c["source"]) for c in captured] == [
        (ana, "api", "api"),
        (ben, "api", "referral"),
    ]
    assert captured[0]["sender"] is app and captured[0]["org_id"] == alice_org.id
    assert captured[0]["now"] == START and captured[0]["actor_id"] is None
    assert captured[0]["score"] > 0
    assert changed == []  # a merge within the batch is part of a new lead


def test_it_sends_contact_changed_when_a_lead_arrives_again(app, alice_org, heard):
    [first] = capture_leads(
        db.session, alice_org.id, [{"email": "a@b.co"}], source="api", now=START
    )
    captured = heard(signals.lead_captured)
    changed = heard(signals.contact_changed)
    capture_leads(
        db.session, alice_org.id, [{"email": "a@b.co", "company": "Lima"}], source="csv", now=START
    )
    assert captured == []
    [merged] = changed
    assert (merged["lead_id"], merged["change"]) == (first.lead_id, "merged")
    assert merged["details"] == {"via": "csv", "fields": ["company"]}


def test_it_sends_contact_changed_for_status_notes_and_consent(app, alice_org, alice, heard):
    [row] = capture_leads(db.session, alice_org.id, [{"email": "a@b.co"}], source="api", now=START)
    from webapp.models import Lead

    lead = db.session.get(Lead, row.lead_id)
    changed = heard(signals.contact_changed)
    change_status(db.session, lead, "contacted", now=START, actor_id=alice.id)
    change_status(db.session, lead, "contacted", now=START, actor_id=alice.id)  # no change
    update_notes(db.session, lead, "Called back.", now=START, actor_id=alice.id)
    unsubscribe(db.session, lead, channel="email", reason="link", now=START)
    unsubscribe(db.session, lead, channel="email", reason="link", now=START)  # already was
    # Consent is per channel: an SMS START for a contact never opted out of SMS changes
    # nothing (and must not resubscribe email).
    resubscribe(db.session, lead, channel="sms", reason="START", now=START)
    assert [(c["change"], c["details"]) for c in changed] == [
        ("status", {"before": "new", "after": "contacted"}),
        ("notes", {"before": "", "after": "Called back."}),
        ("consent", {"subscribed": False, "channel": "email"}),
    ]
    assert {c["lead_id"] for c in changed} == {lead.id}
    assert [c["actor_id"] for c in changed] == [alice.id, alice.id, None]


def test_activation_sends_autopilot_activated_once(app, alice_org, alice):
    heard = []

    def receiver(sender, **payload) -> None:
        heard.append((sender, payload))

    signals.autopilot_activated.connect(receiver, sender=app)
    assert _activate(alice_org.id, alice.id) is False
    [(sender, payload)] = heard
    assert sender is app and payload["session"] is db.session
    assert {k: v for k, v in payload.items() if k != "session"} == {
        "org_id": alice_org.id,
        "actor_id": alice.id,
        "replaced": False,
        "now": START,
    }
    # The provisioning area's subscriber ran too: the workspace's setup is queued.
    [run] = db.session.scalars(select(ProvisioningRun)).all()
    assert (run.org_id, run.trigger, run.status) == (alice_org.id, "wizard", "queued")


@pytest.mark.parametrize("order", [tuple, lambda names: tuple(reversed(names))])
def test_the_activation_subscriber_runs_whatever_the_registration_order(
    app, app_config, alice_org, monkeypatch, order
):
    monkeypatch.setattr(web, "BLUEPRINTS", order(web.BLUEPRINTS))
    other = build_app(app_config)
    assert provision_workspace in signals.autopilot_activated.receivers_for(other)
    with other.app_context():
        _activate(alice_org.id, None)
        db.session.commit()
        [run] = db.session.scalars(select(ProvisioningRun)).all()
        assert (run.org_id, run.trigger) == (alice_org.id, "wizard")
        db.session.remove()


def test_each_app_connects_its_subscriber_once(app, app_config):
    assert list(signals.autopilot_activated.receivers_for(app)).count(provision_workspace) == 1
    other = build_app(app_config)
    assert list(signals.autopilot_activated.receivers_for(other)).count(provision_workspace) == 1
    assert list(signals.autopilot_activated.receivers_for(app)).count(provision_workspace) == 1


def test_the_demo_adds_campaigns_then_reports_then_sends_demo_created(
    app, alice_org, heard, monkeypatch
):
    steps: list[str] = []
    monkeypatch.setattr(demo, "add_demo_campaigns", lambda s, org, now: steps.append("campaigns"))
    monkeypatch.setattr(demo, "add_demo_reports", lambda s, org, now: steps.append("reports"))
    created = heard(signals.demo_created)
    demo.fill_demo_workspace(db.session, alice_org, START)
    assert steps == ["campaigns", "reports"]
    assert created == [{"sender": app, "org": alice_org, "now": START}]


def test_event_recorded_is_declared_for_the_events_area():
    assert signals.event_recorded.name == "event-recorded"
    assert "events area" in signals.event_recorded.__doc__
