"""Migration 0015: open follow-ups become queue jobs, and dropping the coach's lease
columns keeps every conversation, follow-up and message (SQLite and PostgreSQL)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from jobs.cli import build_app
from tests.test_migrations import empty_database  # noqa: F401  (the fixture)
from webapp.core.extensions import db
from webapp.models.queue import QueuedJob

T = "'2026-11-20 10:00:00'"
ROWS = [
    "INSERT INTO organizations (id, name, timezone, created_at) VALUES (1, 'A', 'UTC', {t})",
    "INSERT INTO leads (id, org_id, full_name, email, phone, company, source, status, score, "
    "score_reasons, notes, extra, search_text, created_at, updated_at) VALUES "
    "(1, 1, 'Dana', 'd@example.com', '+14155552671', '', 'csv', 'new', 0, '[]', '', '{{}}', "
    "'dana', {t}, {t})",
    "INSERT INTO coach_conversations (id, org_id, lead_id, phone, status, last_preview, "
    "message_count, lease_owner, created_at, updated_at) VALUES "
    "(7, 1, 1, '+14155552671', 'active', '', 1, 'w1', {t}, {t})",
    "INSERT INTO coach_messages (conversation_id, org_id, direction, body, status, created_at) "
    "VALUES (7, 1, 'in', 'hello', 'received', {t})",
]
FOLLOWUP = (
    "INSERT INTO coach_followups (id, org_id, lead_id, conversation_id, kind, due_at, status, "
    "open_key, attempts, lease_owner, created_at, updated_at) VALUES "
    "({id}, 1, 1, 7, '{kind}', '2026-11-24 09:00:00', '{status}', {key}, 0, 'w1', {t}, {t})"
)


def test_open_followups_become_jobs_and_nothing_is_lost(empty_database):  # noqa: F811
    app = build_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x"})
    with app.app_context():
        try:
            upgrade(revision="0013_queue_lock_key")
            with db.engine.begin() as conn:
                for row in ROWS:
                    conn.execute(text(row.format(t=T)))
                for n, (kind, status) in enumerate(
                    [("followup", "pending"), ("reply", "processing"), ("followup", "sent")], 1
                ):
                    key = "NULL" if status == "sent" else f"'{kind}:1'"
                    conn.execute(
                        text(FOLLOWUP.format(id=n, kind=kind, status=status, key=key, t=T))
                    )
            upgrade()
            with db.engine.connect() as conn:
                jobs = conn.execute(
                    text(
                        "SELECT kind, idempotency_key, lock_key, org_id, max_attempts, status, "
                        "attempts FROM queued_jobs ORDER BY id"
                    )
                ).all()
                followups = conn.execute(
                    text("SELECT id, status FROM coach_followups ORDER BY id")
                ).all()
                kept = [
                    conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in ("coach_conversations", "coach_messages")
                ]
            assert [tuple(j) for j in jobs] == [
                ("coach.followup", "coach:followup:1", "conversation:7", 1, 3, "pending", 0),
                ("coach.followup", "coach:reply:2", "conversation:7", 1, 3, "pending", 0),
            ]
            assert [tuple(f) for f in followups] == [(1, "pending"), (2, "pending"), (3, "sent")]
            assert kept == [1, 1]
            payloads = db.session.query(QueuedJob.payload).order_by(QueuedJob.id).all()
            assert [p for (p,) in payloads] == [{"followup_id": 1}, {"followup_id": 2}]
            db.session.remove()

            downgrade(revision="0013_queue_lock_key")
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM queued_jobs")).scalar() == 0
                assert conn.execute(text("SELECT count(*) FROM coach_followups")).scalar() == 3
        finally:
            db.session.remove()
            db.engine.dispose()
