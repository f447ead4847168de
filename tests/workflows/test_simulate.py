""" "What would this contact get in the next 14 days": the simulation walks the workflow as
the engine would (branches and why, waits in the contact's zone, messages rendered with the
contact's data, when they go out), and reads only — no row anywhere is added or changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START, login
from tests.workflows.helpers import make_lead, record_event
from webapp.core.errors import NotFound
from webapp.core.extensions import db
from webapp.services.segments import add_tag, tags_of
from webapp.services.workflows import create_from_template, create_workflow
from webapp.services.workflows.simulate import simulate


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_the_abandoned_cart_takes_its_timeouts_and_renders_both_emails_in_the_contacts_zone(
    alice_org,
):
    alice_org.timezone = "Europe/London"
    ana = make_lead(alice_org.id, "Ana Lima", timezone="America/New_York")
    record_event(alice_org.id, ana.id, "cart.abandoned", START - timedelta(hours=1), cart_id="c-9")
    workflow = create_from_template(
        db.session, alice_org.id, "abandoned_cart", actor_id=None, now=START
    )
    db.session.commit()

    before = _counts()
    result = simulate(db.session, alice_org, workflow, ana.id, now=START)
    assert not db.session.new and not db.session.dirty and not db.session.deleted
    db.session.commit()
    assert _counts() == before

    assert result.tz == "America/New_York"
    assert "cart_id=c-9" in result.trigger
    wait, reminder, wait_again, discount = result.steps
    assert [p.step_id for p in result.steps] == [
        "wait_for_order",
        "reminder",
        "wait_after_reminder",
        "discount",
    ]
    assert wait.at == START and wait.branch == "on_timeout"
    assert "Waits for order.placed with cart_id=c-9. If it arrives: the run ends." in wait.reason
    assert wait.reason.endswith(", on to step reminder.")
    # 4 hours after 10:00 UTC is 09:00 in New York (UTC-5 in November).
    assert (
        "If no event arrives: timeout branch at Mon 23 Nov 2026, 09:00 (America/New_York)"
        in wait.reason
    )
    assert reminder.at == START + timedelta(hours=4) == reminder.send_at and reminder.goes_out
    assert reminder.message.subject == "You left something in your basket"
    assert (
        reminder.message.text.startswith("Hi Ana,") and reminder.address == "ana.lima@example.com"
    )
    assert "timeout branch at Tue 24 Nov 2026, 09:00 (America/New_York)" in wait_again.reason
    assert discount.at == START + timedelta(hours=28)
    assert discount.message.subject == "10% off to finish your order"
    assert result.end == "The run ends: no steps left."


def test_waits_branches_and_updates_read_the_contact_and_write_nothing(alice_org):
    ana = make_lead(
        alice_org.id, "Ana Lima", timezone="Asia/Tokyo", company="Other", phone="+15550101"
    )
    add_tag(db.session, alice_org.id, ana.id, "vip", now=START)
    steps = [
        {"id": "nap", "kind": "wait", "days": 1, "until_time": "09:00"},
        {
            "id": "vip",
            "kind": "condition",
            "check": {"type": "tag", "value": "vip"},
            "else": "exit",
        },
        {"id": "mark", "kind": "update", "action": "add_tag", "value": "seen"},
        {
            "id": "seen",
            "kind": "condition",
            "check": {"type": "tag", "value": "seen"},
            "else": "exit",
        },
        {
            "id": "acme",
            "kind": "condition",
            "check": {"type": "field", "field": "company", "op": "equals", "value": "Acme"},
            "then": "exit",
        },
        {"id": "text", "kind": "send", "channel": "sms", "body": "Hi {{firstName}}, 20% off"},
        {
            "id": "bought",
            "kind": "condition",
            "check": {"type": "event", "event": "order.placed"},
            "then": "exit",
        },
        {
            "id": "rename",
            "kind": "update",
            "action": "set_field",
            "field": "company",
            "value": "Acme",
        },
        {
            "id": "again",
            "kind": "condition",
            "check": {"type": "field", "field": "company", "value": "Acme"},
        },
    ]
    workflow = create_workflow(
        db.session,
        alice_org.id,
        name="Tokyo",
        definition={"trigger": {"kind": "manual"}, "steps": steps},
        actor_id=None,
        now=START,
    )
    db.session.commit()
    before = _counts()
    result = simulate(db.session, alice_org, workflow, ana.id, now=START)
    db.session.commit()
    assert _counts() == before
    assert tags_of(db.session, alice_org.id, ana.id) == ["vip"]
    db.session.refresh(ana)
    assert ana.company == "Other"

    by_id = {p.step_id: p for p in result.steps}
    # Monday 19:00 in Tokyo + 1 day = Tuesday 19:00; the next 09:00 there is Wednesday's.
    assert by_id["nap"].reason == "Waits until Wed 25 Nov 2026, 09:00 (Asia/Tokyo)."
    wake = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert by_id["vip"].at == wake and by_id["vip"].branch == "then"
    assert by_id["vip"].reason == "tag “vip”: has it: then branch."
    assert by_id["seen"].branch == "then" and "added by an earlier step" in by_id["seen"].reason
    assert by_id["acme"].branch == "else"
    assert by_id["acme"].reason == "company is “Other” (equals “Acme”): else branch."
    assert by_id["text"].goes_out and by_id["text"].message.text == "Hi Ana, 20% off"
    assert by_id["text"].send_at == wake and by_id["text"].address == "+15550101"
    assert (
        by_id["bought"].branch == "else"
        and "no order.placed since the run started" in by_id["bought"].reason
    )
    assert by_id["again"].branch == "then"  # the earlier update step's value
    assert result.end == "The run ends: no steps left."


def test_an_unsubscribed_contact_gets_nothing_and_another_workspaces_contact_is_not_found(
    alice_org, charlie
):
    gone = make_lead(alice_org.id, "Gone Away", unsubscribed_at=START - timedelta(days=2))
    workflow = create_from_template(db.session, alice_org.id, "welcome", actor_id=None, now=START)
    db.session.commit()
    result = simulate(db.session, alice_org, workflow, gone.id, now=START)
    hello = result.steps[0]
    assert (
        not hello.goes_out and hello.reason == "Not sent: the contact unsubscribed on 2026-11-21."
    )
    # Welcome: hello, 3 days then 09:30, story, 4 days then 09:30, offer — all inside 14 days.
    assert [p.step_id for p in result.steps] == [
        "hello",
        "wait_3_days",
        "story",
        "wait_4_days",
        "offer",
    ]
    other = make_lead(charlie.memberships[0].org_id, "Not Yours")
    db.session.commit()
    with pytest.raises(NotFound):
        simulate(db.session, alice_org, workflow, other.id, now=START)


def test_the_page_finds_a_contact_and_shows_their_next_14_days(client, alice, alice_org, charlie):
    ana = make_lead(alice_org.id, "Ana Lima", search_text="ana lima ana.lima@example.com")
    other = make_lead(charlie.memberships[0].org_id, "Ana Other")
    workflow = create_from_template(
        db.session, alice_org.id, "post_purchase", actor_id=None, now=START
    )
    db.session.commit()
    login(client, alice)
    path = f"/workflows/{workflow.id}/simulate"
    assert "Search for a contact" in client.get(path).get_data(as_text=True)
    matches = client.get(f"{path}?q=ana", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"lead_id={ana.id}" in matches and "Ana Other" not in matches
    page = client.get(f"{path}?lead_id={ana.id}").get_data(as_text=True)
    assert 'id="sim-steps"' in page and "Thank you for your order" in page and "Hi Ana," in page
    assert "Tag “customer” added (not in the simulation)." in page
    refused = client.get(f"{path}?lead_id={other.id}")
    assert refused.status_code == 200 and "No such contact in this workspace." in refused.get_data(
        as_text=True
    )
    assert "Ana Other" not in refused.get_data(as_text=True)
