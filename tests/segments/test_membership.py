"""Stored membership: contact changes, events and tags re-evaluate only the segments that
read them, for that contact; enter / exit signals fire exactly once; incremental and full
evaluation agree; cycles, caps and unknown fields are refused."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.segments.factories import (
    all_of,
    any_of,
    days,
    make_lead,
    make_segment,
    record_event,
    rule,
)
from webapp.core import signals
from webapp.core.extensions import db
from webapp.models import SegmentMember
from webapp.services.leads.handling import change_status
from webapp.services.segments import add_tag, is_member, manage, membership, remove_tag
from webapp.services.segments.passes import reevaluate
from webapp.services.segments.rules import MAX_DEPTH, MAX_LIST, MAX_RULES, RulesInvalid


@pytest.fixture
def heard(app):
    """Every segment_entered / segment_exited sent, as (kind, segment id, lead id)."""
    seen: list[tuple[str, int, int]] = []

    def entered(_app, *, segment_id, lead_id, **_):
        seen.append(("entered", segment_id, lead_id))

    def exited(_app, *, segment_id, lead_id, **_):
        seen.append(("exited", segment_id, lead_id))

    signals.segment_entered.connect(entered, sender=app)
    signals.segment_exited.connect(exited, sender=app)
    yield seen
    signals.segment_entered.disconnect(entered, sender=app)
    signals.segment_exited.disconnect(exited, sender=app)


def members(segment) -> set[int]:
    return set(
        db.session.scalars(
            select(SegmentMember.lead_id).where(
                SegmentMember.segment_id == segment.id, SegmentMember.exited_at.is_(None)
            )
        )
    )


BUYERS = all_of(
    rule("status", "equals", "won"),
    rule("tag", "equals", "vip"),
    rule("event", "at_least", 2, event="order.placed", days=30),
)


def test_it_enters_and_exits_as_tags_events_and_status_change(alice_org, heard):
    org = alice_org.id
    ana = make_lead(org, "Ana", status="won")
    segment = make_segment(org, "Buyers", BUYERS)
    assert members(segment) == set() and heard == []

    add_tag(db.session, org, ana.id, " VIP ", now=START)
    record_event(org, ana.id, "order.placed", START - days(3))
    assert heard == []  # one order is not two
    record_event(org, ana.id, "order.placed", START - days(1))
    assert heard == [("entered", segment.id, ana.id)]
    assert is_member(db.session, org, segment.id, ana.id)

    record_event(org, ana.id, "order.placed", START)  # a third order: already in, no signal
    add_tag(db.session, org, ana.id, "vip", now=START)  # already tagged: nothing
    assert len(heard) == 1

    change_status(db.session, ana, "lost", now=START, actor_id=None, actor_name="Test")
    assert heard[-1] == ("exited", segment.id, ana.id)
    assert members(segment) == set()
    assert segment.member_count == 0
    row = db.session.get(SegmentMember, (segment.id, ana.id))
    assert row.exited_at == START


def test_a_change_re_evaluates_only_the_segments_that_read_it(alice_org, monkeypatch):
    org = alice_org.id
    ana = make_lead(org, "Ana", status="won")
    by_status = make_segment(org, "Won", all_of(rule("status", "equals", "won")))
    by_tag = make_segment(org, "Tagged", all_of(rule("tag", "equals", "vip")))
    by_event = make_segment(
        org, "Bought", all_of(rule("event", "at_least", 1, event="order.placed"))
    )
    evaluated: list[int] = []
    real = membership._evaluate_one

    def spy(session, segment, *args, **kw):
        evaluated.append(segment.id)
        return real(session, segment, *args, **kw)

    monkeypatch.setattr(membership, "_evaluate_one", spy)
    add_tag(db.session, org, ana.id, "vip", now=START)
    assert evaluated == [by_tag.id]
    evaluated.clear()
    record_event(org, ana.id, "page.viewed", START)
    assert evaluated == []
    record_event(org, ana.id, "order.placed", START)
    assert evaluated == [by_event.id]
    evaluated.clear()
    change_status(db.session, ana, "lost", now=START, actor_id=None, actor_name="Test")
    assert evaluated == [by_status.id]


def test_a_segment_of_a_segment_reads_its_stored_membership_and_follows_it(alice_org, heard):
    org = alice_org.id
    ana = make_lead(org, "Ana", status="won")
    won = make_segment(org, "Won", all_of(rule("status", "equals", "won")))
    won_vips = make_segment(
        org, "Won VIPs", all_of(rule("segment", "equals", won.id), rule("tag", "equals", "vip"))
    )
    add_tag(db.session, org, ana.id, "vip", now=START)
    assert is_member(db.session, org, won_vips.id, ana.id)
    heard.clear()
    change_status(db.session, ana, "lost", now=START, actor_id=None, actor_name="Test")
    # The status moved Ana out of Won, which moved her out of Won VIPs, in that order.
    assert heard == [("exited", won.id, ana.id), ("exited", won_vips.id, ana.id)]


def test_a_cycle_between_segments_is_refused(alice_org):
    org = alice_org.id
    a = make_segment(org, "A", all_of(rule("status", "equals", "won")))
    b = make_segment(org, "B", all_of(rule("segment", "equals", a.id)))
    with pytest.raises(RulesInvalid) as err:
        manage.update_segment(
            db.session, a, "A", all_of(rule("segment", "equals", b.id)), actor_id=None, now=START
        )
    assert "cannot contain itself" in err.value.errors[f"Segment {b.id}"]
    with pytest.raises(RulesInvalid):  # nor itself directly
        manage.update_segment(
            db.session, a, "A", all_of(rule("segment", "equals", a.id)), actor_id=None, now=START
        )
    with pytest.raises(manage.SegmentInUse):
        manage.delete_segment(db.session, a, actor_id=None, now=START)


def test_another_workspaces_segment_cannot_be_read(alice_org, charlie):
    from tests.conftest import org_of

    theirs = make_segment(org_of(charlie).id, "Theirs", all_of(rule("status", "equals", "won")))
    with pytest.raises(RulesInvalid) as err:
        make_segment(alice_org.id, "Mine", all_of(rule("segment", "equals", theirs.id)))
    assert err.value.errors == {
        f"Segment {theirs.id}": "there is no such segment in this workspace"
    }


def test_caps_and_unknown_fields_are_refused_with_the_rule_named(alice_org):
    org = alice_org.id
    deep = all_of(any_of(all_of(any_of(rule("status", "equals", "won")))))
    too_many = all_of(*[rule("score", "greater_than", i) for i in range(MAX_RULES + 1)])
    long_list = all_of(rule("tag", "in", [f"t{i}" for i in range(MAX_LIST + 1)]))
    cases = [
        (deep, "Group 1.1.1", f"groups nest at most {MAX_DEPTH} deep"),
        (
            too_many,
            "Rules",
            f"at most {MAX_RULES} rules in a segment (this one has {MAX_RULES + 1})",
        ),
        (long_list, "Rule 1", f"at most {MAX_LIST} values in a list"),
        (all_of(rule("shoe", "equals", 1)), "Rule 1", "unknown field 'shoe'"),
        (
            all_of(rule("score", "contains", "1")),
            "Rule 1",
            "Score cannot use the operator 'contains'",
        ),
        (all_of(rule("score", "greater_than", "lots")), "Rule 1", "give a number"),
        (
            all_of(rule("status", "equals", "maybe")),
            "Rule 1",
            "status is one of new, contacted, qualified, won, lost",
        ),
        (
            all_of(rule("created_at", "before", "last week")),
            "Rule 1",
            "give a date (2026-11-01) or a relative one (30 days ago)",
        ),
        ({"kind": "group", "match": "xor", "rules": []}, "Rules", "Input should be 'all' or 'any'"),
    ]
    for tree, where, message in cases:
        with pytest.raises(RulesInvalid) as err:
            manage.create_segment(db.session, org, "Bad", tree, actor_id=None, now=START)
        assert err.value.errors.get(where) == message, (where, err.value.errors)


def test_time_relative_segments_are_re_evaluated_by_the_hourly_pass(alice_org, heard):
    org = alice_org.id
    ana = make_lead(org, "Ana")
    recent = make_segment(
        org, "Recent buyers", all_of(rule("event", "at_least", 1, event="order.placed", days=30))
    )
    assert recent.time_relative
    record_event(org, ana.id, "order.placed", START)
    assert heard == [("entered", recent.id, ana.id)]
    later = START + days(31)
    summary = reevaluate(db.session, later, time_relative_only=True)
    assert summary["exited"] == 1 and summary["segments"] == 1
    assert heard[-1] == ("exited", recent.id, ana.id)
    assert reevaluate(db.session, later, time_relative_only=True)["exited"] == 0  # once


def test_a_later_change_counts_the_window_back_from_its_own_moment(alice_org, heard):
    """The one-contact statement is compiled once; its window must still move with now."""
    org = alice_org.id
    ana = make_lead(org, "Ana")
    recent = make_segment(
        org, "Recent", all_of(rule("event", "at_least", 1, event="order.placed", days=7))
    )
    record_event(org, ana.id, "order.placed", START, now=START)
    assert heard == [("entered", recent.id, ana.id)]
    later = START + days(8)  # a back-dated order arrives: both orders are now too old
    record_event(org, ana.id, "order.placed", START - days(10), now=later)
    assert heard[-1] == ("exited", recent.id, ana.id)


def test_the_nightly_pass_repairs_drift(alice_org, heard):
    org = alice_org.id
    ana, bea = make_lead(org, "Ana", status="won"), make_lead(org, "Bea", status="won")
    won = make_segment(org, "Won", all_of(rule("status", "equals", "won")))
    assert members(won) == {ana.id, bea.id}
    # Changed behind the segments' back (no signal): the stored membership has drifted.
    bea.status = "lost"
    db.session.delete(db.session.get(SegmentMember, (won.id, ana.id)))
    db.session.flush()
    heard.clear()
    summary = reevaluate(db.session, START, time_relative_only=False)
    assert summary["entered"] == 1 and summary["exited"] == 1
    assert sorted(heard) == [("entered", won.id, ana.id), ("exited", won.id, bea.id)]
    assert members(won) == {ana.id}


def test_a_new_lead_is_evaluated_at_once(alice_org, heard):
    from webapp.services.leads.capture import capture_lead

    org = alice_org.id
    segment = make_segment(org, "Gmail", all_of(rule("email", "contains", "@gmail.")))
    lead, _ = capture_lead(db.session, org, {"email": "Zed@Gmail.com"}, source="form", now=START)
    assert heard == [("entered", segment.id, lead.id)]


def test_removing_a_tag_exits(alice_org, heard):
    org = alice_org.id
    ana = make_lead(org, "Ana")
    vips = make_segment(org, "VIPs", all_of(rule("tag", "in", ["vip", "gold"])))
    add_tag(db.session, org, ana.id, "gold", now=START)
    assert remove_tag(db.session, org, ana.id, "gold", now=START)
    assert not remove_tag(db.session, org, ana.id, "gold", now=START)
    assert heard == [("entered", vips.id, ana.id), ("exited", vips.id, ana.id)]


def _random_tree(rng: random.Random) -> dict:
    pool = [
        lambda: rule("status", rng.choice(["equals", "not_equals"]), rng.choice(["won", "new"])),
        lambda: rule("tag", rng.choice(["equals", "not_equals", "in"]), rng.choice(["a", "b"])),
        lambda: rule("score", rng.choice(["greater_than", "less_than"]), rng.randint(0, 100)),
        lambda: rule("attr.n", rng.choice(["greater_than", "is_set", "not_equals"]), 5),
        lambda: rule(
            "event",
            rng.choice(["at_least", "at_most"]),
            rng.randint(0, 2),
            event="e",
            days=rng.choice([None, 3]),
        ),
    ]
    leaves = [rng.choice(pool)() for _ in range(rng.randint(1, 3))]
    inner = any_of(*[rng.choice(pool)() for _ in range(2)])
    return (all_of if rng.random() < 0.5 else any_of)(*leaves, inner)


def test_incremental_and_full_evaluation_agree_on_random_data(alice_org):
    """A property test: random contacts, rules and changes; after each change applied
    through the services (incremental), a full evaluation finds nothing to repair."""
    org = alice_org.id
    manage.declare_attribute(db.session, org, "n", "number", "n", now=START)
    rng = random.Random(11)
    leads = [
        make_lead(
            org,
            f"L{i}",
            status=rng.choice(["won", "new"]),
            score=rng.randint(0, 100),
            extra=rng.choice(
                [{}, {"n": rng.randint(0, 9)}, {"n": str(rng.randint(0, 9))}, {"n": None}]
            ),
        )
        for i in range(12)
    ]
    segments = [make_segment(org, f"S{i}", _random_tree(rng)) for i in range(6)]
    now: datetime = START
    for _step in range(40):
        lead = rng.choice(leads)
        action = rng.randrange(3)
        if action == 0:
            add_tag(db.session, org, lead.id, rng.choice(["a", "b"]), now=now)
        elif action == 1:
            remove_tag(db.session, org, lead.id, rng.choice(["a", "b"]), now=now)
        else:
            record_event(org, lead.id, "e", now - days(rng.randint(0, 5)), now=now)
        before = {s.id: members(s) for s in segments}
        for s in segments:
            diff = membership.evaluate_segment(db.session, s, now)
            assert diff.entered == [] and diff.exited == [], (s.rules, before[s.id])


def test_email_engagement_reads_the_opened_event(alice_org, heard):
    org = alice_org.id
    ana = make_lead(org, "Ana")
    readers = make_segment(org, "Readers", all_of(rule("email_opened", "within_last", 14)))
    silent = make_segment(org, "Silent", all_of(rule("email_opened", "not_within_last", 14)))
    assert members(silent) == {ana.id}
    assert heard == [("entered", silent.id, ana.id)]  # creating a segment signals its members
    heard.clear()
    record_event(org, ana.id, "email.opened", START)
    assert sorted(heard) == [("entered", readers.id, ana.id), ("exited", silent.id, ana.id)]


def test_a_segment_a_workflow_or_an_unsent_broadcast_uses_is_not_deleted(alice_org):
    from tests.broadcasts.factories import NEWSLETTER
    from webapp.models import Segment
    from webapp.services.broadcasts.compose import create_broadcast
    from webapp.services.workflows import create_workflow

    org = alice_org.id
    vips = make_segment(org, "VIPs", all_of(rule("tag", "equals", "vip")))
    flow = {
        "trigger": {"kind": "manual"},
        "steps": [
            {"id": "check", "kind": "condition", "check": {"type": "segment", "segment_id": vips.id},
             "then": "done", "else": "done"},
            {"id": "done", "kind": "exit"},
        ],
    }  # fmt: skip
    create_workflow(db.session, org, name="VIP care", definition=flow, actor_id=None, now=START)
    fields = {**NEWSLETTER, "name": "VIP news", "segment_id": vips.id}
    news = create_broadcast(db.session, org, fields, actor_id=None, now=START)
    with pytest.raises(manage.SegmentInUse) as refused:
        manage.delete_segment(db.session, vips, actor_id=None, now=START)
    assert "the workflows VIP care" in str(refused.value)
    assert "the broadcasts VIP news" in str(refused.value)
    news.status = "sent"  # a sent broadcast no longer needs its audience
    db.session.flush()
    with pytest.raises(manage.SegmentInUse) as still:
        manage.delete_segment(db.session, vips, actor_id=None, now=START)
    assert "broadcasts" not in str(still.value) and "VIP care" in str(still.value)
    other = make_segment(org, "Quiet", all_of(rule("tag", "equals", "quiet")))
    manage.delete_segment(db.session, other, actor_id=None, now=START)
    assert db.session.get(Segment, other.id) is None
