"""The "update contact" step writes the real lead columns by the leads area's field rules
(not a custom attribute of the same name), and tells `contact_changed`, so a segment on
the updated field gains the contact."""

from __future__ import annotations

from sqlalchemy import select

from tests.segments.factories import all_of, make_segment, rule
from tests.workflows.helpers import live, log_of, make_lead, tick
from webapp.core.extensions import db
from webapp.models import Lead, LeadEvent, SegmentMember, WorkflowExecution
from webapp.services.workflows import start_run


def _flow(*updates: tuple[str, str]) -> dict:
    return {
        "trigger": {"kind": "manual"},
        "steps": [
            {"id": f"set_{n}", "kind": "update", "action": "set_field", "field": f, "value": v}
            for n, (f, v) in enumerate(updates)
        ],
    }


def _run(org_id: int, flow: dict, lead: Lead, clock) -> WorkflowExecution:
    workflow = live(org_id, flow, now=clock())
    execution = start_run(db.session, workflow, lead.id, key="k", trigger={}, now=clock())
    tick(clock)
    return db.session.get(WorkflowExecution, execution.id)


def _members(segment_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(SegmentMember.lead_id).where(
                SegmentMember.segment_id == segment_id, SegmentMember.exited_at.is_(None)
            )
        )
    )


def test_the_step_sets_the_lead_columns_and_a_segment_on_them_gains_the_contact(alice_org, clock):
    lead = make_lead(alice_org.id, "Ana Plain", phone=None)
    vip = make_segment(
        alice_org.id, "VIP addresses", all_of(rule("email", "contains", "@vip.example"))
    )
    londoners = make_segment(
        alice_org.id, "London", all_of(rule("timezone", "equals", "Europe/London"))
    )
    assert lead.id not in _members(vip.id) | _members(londoners.id)
    flow = _flow(
        ("email", "  Ana@VIP.example "),
        ("phone", "07911 123456"),
        ("name", "  Ana   Vip "),
        ("timezone", "Europe/London"),
        ("plan", "gold"),
    )
    execution = _run(alice_org.id, flow, lead, clock)
    lead = db.session.get(Lead, lead.id)
    assert execution.status == "completed", execution.error
    # The stored forms of the leads area: lower-cased email, E.164 phone (the workspace's
    # region), collapsed name; only the unknown field is a custom attribute.
    assert (lead.email, lead.phone, lead.full_name) == (
        "ana@vip.example",
        "+447911123456",
        "Ana Vip",
    )
    assert lead.timezone == "Europe/London"
    assert lead.extra == {"plan": "gold"}
    assert "ana@vip.example" in lead.search_text
    assert lead.id in _members(vip.id) and lead.id in _members(londoners.id)
    timeline = db.session.scalars(
        select(LeadEvent.description).where(
            LeadEvent.lead_id == lead.id, LeadEvent.type == "fields_updated"
        )
    ).all()
    assert "A workflow changed the email." in timeline
    assert log_of(execution)[0] == ("set_0", "done", "email set to “ana@vip.example”.")


def test_a_value_the_field_rules_refuse_fails_the_step_and_changes_nothing(alice_org, clock):
    lead = make_lead(alice_org.id, "Ben Kept", phone="+447700900456")
    execution = _run(alice_org.id, _flow(("phone", "not a number")), lead, clock)
    lead = db.session.get(Lead, lead.id)
    assert execution.status == "failed"
    assert execution.error == "The contact was not updated (phone: invalid phone number)."
    assert lead.phone == "+447700900456" and "phone" not in (lead.extra or {})
    # A contact keeps an email or a phone.
    clearing = _run(alice_org.id, _flow(("email", ""), ("phone", "")), lead, clock)
    assert clearing.status == "failed" and "phone: no email or phone" in clearing.error


def test_a_status_goes_through_the_leads_status_change(alice_org, clock):
    lead = make_lead(alice_org.id, "Cleo Status")
    execution = _run(alice_org.id, _flow(("status", "Qualified")), lead, clock)
    lead = db.session.get(Lead, lead.id)
    assert execution.status == "completed" and lead.status == "qualified"
    assert "status" not in (lead.extra or {})
    assert (
        db.session.scalar(
            select(LeadEvent.description).where(
                LeadEvent.lead_id == lead.id, LeadEvent.type == "status_changed"
            )
        )
        == "A workflow changed the status from new to qualified."
    )
