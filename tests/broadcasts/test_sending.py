"""Sending a broadcast through the sequence dispatcher, in one process (the outbox is the
provider): who it goes to, consent at send time, pause and resume, figures."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from tests.broadcasts.factories import make_broadcast, make_contacts, make_segment, outbox_to
from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import Broadcast, Event, Lead, OutboxMessage
from webapp.models.sequence import Send
from webapp.services import broadcasts
from webapp.services.messaging.consent import unsubscribe
from webapp.services.messaging.dispatch import process_due


def send_due(app, *, now=START, **kwargs):
    db.session.commit()
    return process_due(app, now=now, test_mode=False, **kwargs)


def emails(lead_ids: list[int]) -> list[str]:
    return sorted(db.session.scalars(select(Lead.email).where(Lead.id.in_(lead_ids))))


def test_it_sends_once_to_each_current_subscribed_member_of_the_segment(app, alice_org):
    ids = make_contacts(alice_org, 8)
    members, left, unsubscribed = ids[:5], ids[5:6], ids[4]
    db.session.execute(update(Lead).where(Lead.id == unsubscribed).values(unsubscribed_at=START))
    no_email = ids[3]
    db.session.execute(update(Lead).where(Lead.id == no_email).values(email=None))
    segment = make_segment(alice_org, members, exited=left)
    broadcast = make_broadcast(alice_org, segment_id=segment.id)
    assert broadcasts.audience_count(db.session, broadcast) == 3

    assert broadcasts.send_now(db.session, broadcast, actor_id=None, now=START) == 3
    db.session.commit()
    assert broadcast.status == "sending"
    assert send_due(app).sent == 3
    send_due(app)  # a second run finds nothing to send
    assert outbox_to() == emails(members[:3])
    assert broadcasts.finish_sent(db.session, org_id=alice_org.id, now=START) == 1
    db.session.commit()
    assert broadcast.status == "sent"
    numbers = broadcasts.figures(db.session, broadcast, now=START)
    assert (numbers["recipients"], numbers["sent"], numbers["failed"]) == (3, 3, 0)


def test_all_subscribed_contacts_when_no_segment(app, alice_org):
    ids = make_contacts(alice_org, 4)
    db.session.execute(update(Lead).where(Lead.id == ids[0]).values(unsubscribed_at=START))
    broadcast = make_broadcast(alice_org)
    assert broadcasts.send_now(db.session, broadcast, actor_id=None, now=START) == 3


def test_a_contact_unsubscribed_after_scheduling_gets_nothing(app, alice_org, clock):
    ids = make_contacts(alice_org, 4)
    broadcast = make_broadcast(alice_org)
    at = START + timedelta(hours=2)
    broadcasts.schedule_broadcast(db.session, broadcast, at, actor_id=None, now=START)
    db.session.commit()
    # Before the time: the tick starts nothing.
    assert broadcasts.start_due(db.session, org_id=None, now=START + timedelta(hours=1)) == 0
    lead = db.session.get(Lead, ids[0])
    unsubscribe(db.session, lead, channel="email", reason="asked", now=START + timedelta(hours=1))
    db.session.commit()
    clock.set(at)
    assert broadcasts.start_due(db.session, org_id=None, now=at) == 1
    db.session.commit()
    # After the start, before its message goes: the dispatcher checks at send time.
    db.session.execute(update(Lead).where(Lead.id == ids[1]).values(unsubscribed_at=at))
    db.session.commit()
    result = send_due(app, now=at)
    assert result.sent == 2 and result.cancelled == 1
    assert outbox_to() == emails(ids[2:])
    skipped = db.session.scalar(select(Send).where(Send.lead_id == ids[1]))
    assert skipped.status == "cancelled" and "unsubscribed" in skipped.error


def test_pause_stops_sending_and_resume_continues_where_it_stopped(app, alice_org, clock):
    ids = make_contacts(alice_org, 10)
    broadcast = make_broadcast(alice_org)
    broadcasts.send_now(db.session, broadcast, actor_id=None, now=START)
    db.session.commit()
    assert send_due(app, limit=4).sent == 4
    broadcasts.pause_broadcast(db.session, broadcast, actor_id=None, now=START)
    db.session.commit()
    paused = send_due(app)
    assert paused.sent == 0 and paused.deferred == 6
    assert len(outbox_to()) == 4
    later = clock.advance(minutes=5)
    broadcasts.resume_broadcast(db.session, broadcast, actor_id=None, now=later)
    db.session.commit()
    assert send_due(app, now=later).sent == 6
    counts = Counter(outbox_to())
    assert sorted(counts) == emails(ids) and set(counts.values()) == {1}


def test_cancel_keeps_what_was_sent_and_sends_nothing_more(app, alice_org):
    make_contacts(alice_org, 5)
    broadcast = make_broadcast(alice_org)
    broadcasts.send_now(db.session, broadcast, actor_id=None, now=START)
    db.session.commit()
    send_due(app, limit=2)
    assert broadcasts.cancel_broadcast(db.session, broadcast, actor_id=None, now=START) == 3
    db.session.commit()
    assert send_due(app).sent == 0
    assert len(outbox_to()) == 2
    numbers = broadcasts.figures(db.session, broadcast, now=START)
    assert (numbers["sent"], numbers["skipped"], numbers["queued"]) == (2, 3, 0)


def test_figures_count_opens_clicks_unsubscribes_and_conversions_in_the_window(app, alice_org):
    ids = make_contacts(alice_org, 4)
    broadcast = make_broadcast(alice_org, conversion_days=7, conversion_event="order.placed")
    broadcasts.send_now(db.session, broadcast, actor_id=None, now=START)
    db.session.commit()
    send_due(app)
    sends = {s.lead_id: s for s in db.session.scalars(select(Send))}
    click = START + timedelta(hours=1)
    for lead_id in ids[:3]:
        sends[lead_id].first_opened_at = click
        sends[lead_id].first_clicked_at = click
    sends[ids[3]].first_opened_at = click

    def order(lead_id, at, name="order.placed"):
        db.session.add(
            Event(
                org_id=alice_org.id,
                lead_id=lead_id,
                name=name,
                properties={},
                message_id=f"m{lead_id}{name}{at}",
                source="api",
                occurred_at=at,
                received_at=at,
            )
        )

    order(ids[0], click + timedelta(days=2))  # inside the window: a conversion
    order(ids[1], click + timedelta(days=9))  # after it: not one
    order(ids[2], click + timedelta(days=1), name="cart.abandoned")  # another event
    order(ids[3], click + timedelta(days=1))  # did not click
    db.session.execute(update(Lead).where(Lead.id == ids[2]).values(unsubscribed_at=click))
    db.session.commit()
    numbers = broadcasts.figures(db.session, broadcast, now=click)
    assert {
        k: numbers[k]
        for k in ("recipients", "sent", "opened", "clicked", "unsubscribed", "conversions")
    } == {
        "recipients": 4,
        "sent": 4,
        "opened": 4,
        "clicked": 3,
        "unsubscribed": 1,
        "conversions": 1,
    }
    broadcast.conversion_event = ""  # any event of the contact's own counts
    assert broadcasts.figures(db.session, broadcast, now=click)["conversions"] == 2


def test_a_started_broadcast_cannot_be_edited_or_started_again(app, alice_org):
    make_contacts(alice_org, 2)
    broadcast = make_broadcast(alice_org)
    broadcasts.send_now(db.session, broadcast, actor_id=None, now=START)
    db.session.commit()
    for call in (
        lambda: broadcasts.send_now(db.session, broadcast, actor_id=None, now=START),
        lambda: broadcasts.update_broadcast(db.session, broadcast, {}, actor_id=None, now=START),
    ):
        try:
            call()
        except broadcasts.BroadcastError:
            continue
        raise AssertionError("accepted")
    assert db.session.scalar(select(Broadcast.recipients)) == 2
    assert len(list(db.session.scalars(select(OutboxMessage)))) == 0


def test_a_broadcast_whose_segment_was_deleted_goes_to_nobody(app, alice_org):
    ids = make_contacts(alice_org, 3)
    segment = make_segment(alice_org, ids[:1])
    broadcast = make_broadcast(alice_org, segment_id=segment.id)
    broadcasts.schedule_broadcast(
        db.session, broadcast, START + timedelta(hours=1), actor_id=None, now=START
    )
    db.session.delete(segment)
    db.session.commit()
    db.session.expire_all()
    assert broadcast.segment_id is None and broadcasts.audience_count(db.session, broadcast) == 0
    assert broadcasts.start_due(db.session, org_id=None, now=START + timedelta(hours=2)) == 0
    db.session.commit()
    assert broadcast.status == "draft" and "segment was deleted" in broadcast.note
    assert db.session.scalar(select(Send.id)) is None
