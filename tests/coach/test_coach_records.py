"""What recording a coach message costs: its statements are built and compiled once, not
once per message (at 10,000 messages a tick, compiling cost as much as writing)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import CacheStats

from tests.coach.test_coach import contact, process, switch_on
from webapp.core.extensions import db
from webapp.models import CoachFollowup, ConversationMessage, OutboxMessage
from webapp.models.queue import QueuedJob
from webapp.services.coach import audience as coach

PHONES = [f"+1415555{n:04d}" for n in range(1, 5)]


@pytest.fixture
def compiled():
    """The INSERT/UPDATE statements compiled while the fixture is active, by their table."""
    seen: Counter = Counter()

    def after(_conn, _cursor, statement, _params, context, _many) -> None:
        words = statement.split()
        if not words or words[0] not in ("INSERT", "UPDATE"):
            return
        if context.cache_hit in (CacheStats.CACHE_MISS, CacheStats.NO_CACHE_KEY):
            table = words[2] if words[0] == "INSERT" else words[1]
            seen[table] += 1

    event.listen(Engine, "after_cursor_execute", after)
    yield seen
    event.remove(Engine, "after_cursor_execute", after)


def test_recording_a_message_compiles_nothing_per_message(app, alice_org, clock, compiled):
    switch_on(alice_org.id, clock, frequency="daily")
    for n, phone in enumerate(PHONES):
        contact(alice_org.id, clock, f"Member{n} Bench", phone)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    assert process(app, clock).sent == len(PHONES)  # the first sends compile the statements
    clock.advance(days=1)
    compiled.clear()

    result = process(app, clock)

    assert result.sent == len(PHONES)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2 * len(PHONES)
    assert db.session.scalar(select(func.count()).select_from(ConversationMessage)) == 8
    assert db.session.scalar(
        select(func.count()).select_from(CoachFollowup).where(CoachFollowup.status == "pending")
    ) == len(PHONES)
    assert db.session.scalar(
        select(func.count()).select_from(QueuedJob).where(QueuedJob.status == "pending")
    ) == len(PHONES)
    # Every statement the records ran came from the compiled cache: none was compiled again.
    assert dict(compiled) == {}
