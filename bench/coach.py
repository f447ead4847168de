"""Benchmark: the WhatsApp coach job with 10,000 due follow-ups across 1,000 workspaces.

    .venv/bin/python bench/coach.py [--workspaces 1000] [--per-workspace 10]

On a fresh SQLite file (bulk inserts for the setup): 1,000 workspaces with the coach on,
10 contacts each with a conversation and a follow-up due now. Then the coach job runs
through the real job runner (`run_job(app, "coach")`: lock, run row, heartbeat) with the
time budget of one 15-minute tick: it enrols the audiences (everyone has a follow-up
already, so nobody new) and `process_due` runs the follow-ups' queue jobs through the work
engine in batches: it writes every message with the built-in writer (one AiCall each),
delivers it to the outbox and records it: its job completed (behind its lease check), its
follow-up marked and the next one scheduled (and queued), the records of several messages
committed together (the engine's groups, webapp/queue/worker.py).

What the timed part includes besides the coach's own work: the job runner's lock and run
row, the enrolment pass (about 5 % at 1,000 messages) and the outbox, the local sink every
message is delivered to (an INSERT in the record's transaction, about 1 ms a message, some
15 %); the built-in writer and its AiCall row (about 30 %) are the product's own path.

Prints on lines of their own: `coach_10k_seconds: N` (the job's wall time; the target is
one tick, 900 s) and `coach_messages_per_second: N`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, inside the 09:00–18:00 window
TICK_SECONDS = 900
GOALS = [
    "Book a first tasting visit",
    "Come to three classes this month",
    "Try the new autumn menu",
]


def build(workspaces: int, per_workspace: int) -> int:
    """Workspaces, coach settings, contacts, conversations and due follow-ups, in bulk."""
    from webapp.core.extensions import db
    from webapp.models import CoachSettings, Lead, Organization

    created = NOW - timedelta(days=2)
    due = NOW - timedelta(minutes=5)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Organization),
            [
                {"name": f"Bench Studio {i}", "timezone": "UTC", "created_at": created}
                for i in range(workspaces)
            ],
        )
        org_ids = list(conn.scalars(select(Organization.id).order_by(Organization.id)))
        conn.execute(insert(CoachSettings), _coach_settings(org_ids, created))
        leads = _contacts(org_ids, per_workspace, created)
        for start in range(0, len(leads), 5000):
            conn.execute(insert(Lead), leads[start : start + 5000])
        rows = conn.execute(select(Lead.id, Lead.org_id, Lead.phone).order_by(Lead.id)).all()
        _conversations_with_followups(conn, rows, created, due)
    _queue_followups(db.engine, created, due)
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return len(rows)


def _coach_settings(org_ids: list[int], created: datetime) -> list[dict]:
    return [
        {
            "org_id": org_id,
            "audience": "all_contacts",
            "goal": GOALS[n % len(GOALS)],
            "frequency": "daily",
            "window_start": "09:00",
            "window_end": "18:00",
            "tone": "friendly and motivating",
            "language": "en",
            "enabled": True,
            "auto_reply": True,
            "created_at": created,
            "updated_at": created,
        }
        for n, org_id in enumerate(org_ids)
    ]


def _contacts(org_ids: list[int], per_workspace: int, created: datetime) -> list[dict]:
    leads = []
    for n, org_id in enumerate(org_ids):
        for k in range(per_workspace):
            i = n * per_workspace + k
            leads.append(
                {
                    "org_id": org_id,
                    "full_name": f"Member{i} Bench",
                    "email": f"member{i}@example.com",
                    "phone": f"+1212555{i % 10000:04d}",
                    "company": "",
                    "source": "csv",
                    "status": "new",
                    "score": 10,
                    "score_reasons": [],
                    "notes": "",
                    "extra": {},
                    "search_text": f"member{i}",
                    "created_at": created,
                    "updated_at": created,
                }
            )
    return leads


def _conversations_with_followups(conn, rows: list, created: datetime, due: datetime) -> None:
    """A conversation for each (lead id, org id, phone) of `rows`, each with a follow-up due."""
    from webapp.models import CoachFollowup, Conversation

    conn.execute(
        insert(Conversation),
        [
            {
                "org_id": org_id,
                "lead_id": lead_id,
                "phone": phone,
                "status": "active",
                "last_preview": "",
                "message_count": 0,
                "created_at": created,
                "updated_at": created,
            }
            for lead_id, org_id, phone in rows
        ],
    )
    conversation_of = dict(conn.execute(select(Conversation.lead_id, Conversation.id)).all())
    conn.execute(
        insert(CoachFollowup),
        [
            {
                "org_id": org_id,
                "lead_id": lead_id,
                "conversation_id": conversation_of[lead_id],
                "kind": "followup",
                "due_at": due,
                "status": "pending",
                "open_key": f"followup:{lead_id}",
                "attempts": 0,
                "created_at": created,
                "updated_at": created,
            }
            for lead_id, org_id, _phone in rows
        ],
    )


def _queue_followups(engine, created: datetime, due: datetime) -> None:
    """Each follow-up to send is a job of the work engine, queued through it."""
    from webapp.models import CoachFollowup
    from webapp.services.coach import work

    with Session(engine) as session:
        followups = session.execute(
            select(CoachFollowup.id, CoachFollowup.org_id, CoachFollowup.conversation_id).order_by(
                CoachFollowup.id
            )
        ).all()
        work.enqueue(
            session,
            (work.new_job(i, "followup", org_id, conv_id, due) for i, org_id, conv_id in followups),
            now=created,
        )
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--per-workspace", type=int, default=10)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from jobs.cli import build_app
    from jobs.runner import run_job
    from webapp.core.extensions import db
    from webapp.models import JobRun

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'coach.db'}"
        app = build_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "CLOCK": lambda: NOW,
                "SCHEDULER_ENABLED": False,
                "LOG_LEVEL": "WARNING",
                "OPENAI_API_KEY": None,
                "TWILIO_ACCOUNT_SID": None,
                "SMTP_HOST": None,
                "COACH_TICK_SECONDS": TICK_SECONDS,
            }
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            due = build(args.workspaces, args.per_workspace)
            print(
                f"built {args.workspaces:,} workspaces and {due:,} due follow-ups in "
                f"{time.perf_counter() - started:.1f} s (sqlite)"
            )
            db.session.remove()

            started = time.perf_counter()
            outcome = run_job(app, "coach", trigger="manual")
            seconds = time.perf_counter() - started

            summary = db.session.scalar(select(JobRun.summary).where(JobRun.id == outcome.run_id))
            sent, messages, left, upcoming, activity = _counts(db.session)
            print(f"job {outcome.status}: {summary}")
            print(
                f"{sent:,} WhatsApp messages in the outbox, {messages:,} recorded, {left} still due, "
                f"{upcoming:,} next follow-ups scheduled, {activity:,} activity rows"
            )
            assert outcome.status == "succeeded", outcome.message
            assert sent == due == messages and left == 0 and upcoming == due, (
                "not every follow-up went out once"
            )
            db.session.remove()
            db.engine.dispose()
        print(f"coach_10k_seconds: {seconds * 10_000 / due:.1f}")
        print(f"coach_messages_per_second: {due / seconds:.0f}")


def _counts(session) -> tuple[int, int, int, int, int]:
    """Messages in the outbox, messages recorded, follow-ups still due, next follow-ups
    scheduled, activity rows."""
    from webapp.models import ActivityLog, CoachFollowup, ConversationMessage, OutboxMessage

    sent = session.scalar(select(func.count()).select_from(OutboxMessage))
    messages = session.scalar(select(func.count()).select_from(ConversationMessage))
    left = session.scalar(
        select(func.count())
        .select_from(CoachFollowup)
        .where(CoachFollowup.status.in_(("pending", "processing")), CoachFollowup.due_at <= NOW)
    )
    upcoming = session.scalar(
        select(func.count())
        .select_from(CoachFollowup)
        .where(CoachFollowup.status == "pending", CoachFollowup.due_at > NOW)
    )
    activity = session.scalar(select(func.count()).select_from(ActivityLog))
    return sent, messages, left, upcoming, activity


if __name__ == "__main__":
    main()
