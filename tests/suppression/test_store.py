"""The suppression list: normalised addresses, one row per workspace and channel, the
lookups every send makes, lifting (a complaint needs a confirmation), listing and CSV."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from tests.conftest import org_of
from webapp.core.extensions import db
from webapp.models import ActivityLog, Lead, LeadEvent, Suppression
from webapp.services.leads.capture import capture_lead
from webapp.services.suppression import (
    SuppressionError,
    add_manual,
    blocked,
    blocked_many,
    export_csv,
    lift,
    list_suppressions,
    may_send,
    suppress,
    why_blocked,
)


def lead_of(org_id, clock, **values) -> Lead:
    lead, _ = capture_lead(db.session, org_id, values, source="manual", now=clock())
    db.session.commit()
    return lead


def test_an_address_is_kept_normalised_once_per_workspace_and_channel(alice_org, charlie, clock):
    suppress(db.session, alice_org.id, "email", " Dana@Example.ORG ", reason="hard_bounce",
             now=clock(), detail="550 5.1.1 user unknown", source="smtp")  # fmt: skip
    suppress(db.session, alice_org.id, "email", "dana@example.org", reason="manual", now=clock())
    suppress(db.session, alice_org.id, "sms", "+1 415 555 2671", reason="unsubscribe", now=clock())
    db.session.commit()

    rows = db.session.scalars(select(Suppression).order_by(Suppression.id)).all()
    assert [(r.channel, r.address, r.reason) for r in rows] == [
        ("email", "dana@example.org", "hard_bounce"),
        ("sms", "+14155552671", "unsubscribe"),
    ]
    assert blocked(db.session, alice_org.id, "email", "DANA@example.org") == "hard_bounce"
    assert blocked(db.session, alice_org.id, "sms", "+14155552671") == "unsubscribe"
    assert blocked(db.session, alice_org.id, "whatsapp", "+14155552671") is None
    assert blocked(db.session, org_of(charlie).id, "email", "dana@example.org") is None


def test_a_complaint_outranks_an_earlier_reason(alice_org, clock):
    suppress(
        db.session, alice_org.id, "email", "dana@example.org", reason="unsubscribe", now=clock()
    )
    suppress(db.session, alice_org.id, "email", "dana@example.org", reason="complaint",
             now=clock(), detail="ARF abuse report", source="mailbox")  # fmt: skip
    db.session.commit()
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") == "complaint"


def test_blocked_many_answers_a_batch_in_one_query(app, alice_org, clock):
    suppress(db.session, alice_org.id, "email", "a@example.org", reason="hard_bounce", now=clock())
    suppress(db.session, alice_org.id, "sms", "+14155552671", reason="unsubscribe", now=clock())
    db.session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        found = blocked_many(
            db.session,
            [
                (alice_org.id, "email", "A@example.org"),
                (alice_org.id, "email", "b@example.org"),
                (alice_org.id, "sms", "+14155552671"),
                (alice_org.id, "whatsapp", "+14155552671"),
                (alice_org.id, "email", None),
                (alice_org.id, "email", "not an address"),
            ],
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert found == {
        (alice_org.id, "email", "A@example.org"): "hard_bounce",
        (alice_org.id, "sms", "+14155552671"): "unsubscribe",
    }
    assert len([s for s in statements if "suppressions" in s]) == 1


def test_may_send_checks_everything_and_the_channel(alice_org, clock):
    lead = lead_of(alice_org.id, clock, full_name="Dana", email="dana@example.org",
                   phone="+14155552671")  # fmt: skip
    assert may_send(db.session, lead, "email") is None
    suppress(db.session, alice_org.id, "sms", lead.phone, reason="unsubscribe", now=clock())
    assert may_send(db.session, lead, "email") is None
    assert "SMS" in may_send(db.session, lead, "sms")
    assert may_send(db.session, lead, "whatsapp") is None
    lead.unsubscribed_at = clock()
    assert "unsubscribed" in may_send(db.session, lead, "email")


def test_suppressing_writes_the_activity_and_the_contacts_timeline(alice_org, clock):
    lead = lead_of(alice_org.id, clock, full_name="Dana", email="dana@example.org")
    suppress(db.session, alice_org.id, "email", "dana@example.org", reason="hard_bounce",
             now=clock(), detail="550 5.1.1 user unknown", source="smtp")  # fmt: skip
    db.session.commit()
    activity = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "address.suppressed")
    ).one()
    assert "bounced" in activity.description
    line = db.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == "suppressed")
    ).one()
    assert "550 5.1.1" in line.description


def test_a_complaint_is_lifted_only_when_confirmed(alice, alice_org, charlie, clock):
    row = suppress(db.session, alice_org.id, "email", "dana@example.org", reason="complaint",
                   now=clock())  # fmt: skip
    db.session.commit()
    with pytest.raises(SuppressionError) as refused:
        lift(db.session, alice_org.id, row.id, actor_id=alice.id, now=clock())
    assert refused.value.field == "confirm"
    with pytest.raises(LookupError):  # another workspace's row is not there
        lift(db.session, org_of(charlie).id, row.id, actor_id=charlie.id, now=clock(),
             confirmed=True)  # fmt: skip
    lift(db.session, alice_org.id, row.id, actor_id=alice.id, now=clock(), confirmed=True)
    db.session.commit()
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") is None


def test_manual_add_names_the_field_and_refuses_duplicates(alice, alice_org, clock):
    with pytest.raises(SuppressionError) as bad:
        add_manual(db.session, alice_org.id, channel="email", address="not-an-address",
                   note="", actor_id=alice.id, now=clock())  # fmt: skip
    assert bad.value.field == "address"
    add_manual(db.session, alice_org.id, channel="email", address="Dana@Example.org",
               note="asked by phone", actor_id=alice.id, now=clock())  # fmt: skip
    with pytest.raises(SuppressionError, match="already"):
        add_manual(db.session, alice_org.id, channel="email", address="dana@example.org",
                   note="", actor_id=alice.id, now=clock())  # fmt: skip


def test_listing_searches_pages_and_exports(alice_org, clock):
    for n in range(5):
        suppress(db.session, alice_org.id, "email", f"user{n}@example.org", reason="manual",
                 now=clock(), detail="=HYPERLINK(\"x\")" if n == 0 else "")  # fmt: skip
        clock.advance(minutes=1)
    db.session.commit()
    first = list_suppressions(db.session, alice_org.id, per_page=2)
    assert [r.address for r in first.rows] == ["user4@example.org", "user3@example.org"]
    assert first.has_more
    last = list_suppressions(db.session, alice_org.id, per_page=2, page=3)
    assert [r.address for r in last.rows] == ["user0@example.org"] and not last.has_more
    assert [r.address for r in list_suppressions(db.session, alice_org.id, search="ER2").rows] == [
        "user2@example.org"
    ]
    csv_text = export_csv(db.session, alice_org.id)
    assert csv_text.splitlines()[0] == "channel,address,reason,detail,source,created_at"
    assert "'=HYPERLINK" in csv_text
    assert len(csv_text.splitlines()) == 6


def test_why_blocked_answers_a_batch_of_contacts_in_one_query(app, alice_org, clock):
    dana = lead_of(
        alice_org.id, clock, full_name="Dana", email="dana@example.org", phone="+14155552671"
    )
    erin = lead_of(alice_org.id, clock, full_name="Erin", email="erin@example.org")
    gone = lead_of(alice_org.id, clock, full_name="Gone", email="gone@example.org")
    gone.unsubscribed_at = clock()
    suppress(db.session, alice_org.id, "sms", dana.phone, reason="unsubscribe", now=clock())
    suppress(db.session, alice_org.id, "email", erin.email, reason="hard_bounce", now=clock())
    db.session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        reasons = why_blocked(db.session, [(1, dana, "email"), (2, dana, "sms"), (3, erin, "email"),
                                           (4, gone, "email")])  # fmt: skip
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert sorted(reasons) == [2, 3, 4]
    assert "SMS" in reasons[2] and "bounced" in reasons[3] and "unsubscribed" in reasons[4]
    assert len([s for s in statements if "suppressions" in s]) == 1
