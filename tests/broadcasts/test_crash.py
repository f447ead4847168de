"""A broadcast sender SIGKILLed mid-broadcast and restarted, with real processes
(tests/workers/sequence_worker.py: a broadcast's recipients are sequence messages to the
dispatcher) and a real SMTP sink in this process counting Message-IDs."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from tests.broadcasts.factories import make_broadcast, make_contacts
from tests.messaging.test_automation_reliability import Worker, smtp_sink
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import Lead
from webapp.models.sequence import Send
from webapp.services import broadcasts

pytestmark = pytest.mark.slow

TOTAL = 1500
__all__ = ["smtp_sink"]  # the fixture, used by name


def test_a_sender_killed_mid_broadcast_skips_nobody_and_repeats_at_most_the_message_in_flight(
    app, alice_org, smtp_sink, database_url, tmp_path
):
    now = system_now()
    make_contacts(alice_org, TOTAL, now=now)
    broadcast = make_broadcast(alice_org)
    assert broadcasts.send_now(db.session, broadcast, actor_id=None, now=now) == TOTAL
    db.session.commit()

    first = Worker(tmp_path, "first", database_url, smtp_sink.port, timeout=120)
    first.wait_ready()
    first.go.touch()
    assert smtp_sink.wait_for(TOTAL // 3, timeout=90), first.output()
    first.kill()
    at_kill = len(smtp_sink.messages)
    assert at_kill < TOTAL, "the sender finished before it could be killed"

    second = Worker(tmp_path, "second", database_url, smtp_sink.port, timeout=120)
    second.wait_ready()
    second.go.touch()
    assert second.wait(150) == 0, second.output()

    ids_by_rcpt: dict[str, set] = defaultdict(set)
    for message in smtp_sink.messages:
        ids_by_rcpt[message.rcpt_tos[0]].add(message.message_id)
    copies = Counter(smtp_sink.message_ids())
    duplicates = sum(n - 1 for n in copies.values())
    print(f"killed after {at_kill} of {TOTAL}; {duplicates} delivered twice")
    everyone = set(db.session.scalars(select(Lead.email).where(Lead.org_id == alice_org.id)))
    assert set(ids_by_rcpt) == everyone  # nobody skipped
    assert all(len(ids) == 1 for ids in ids_by_rcpt.values())  # one message each
    assert duplicates <= 1, f"{duplicates} duplicates"  # only the one in flight
    db.session.expire_all()
    sent = db.session.scalar(
        select(func.count())
        .select_from(Send)
        .where(Send.campaign_id == broadcast.campaign_id, Send.status == "sent")
    )
    assert sent == TOTAL
    assert broadcasts.finish_sent(db.session, org_id=alice_org.id, now=system_now()) == 1
