"""The operations figures of a workspace or of the whole deployment: queue depth and age, job
success, workflow completion, AI spend and tokens by feature, email delivery and the chat
bot's resolution rate. One computation for the Operations page and `/metrics`; each figure
says how it is computed. A handful of aggregate queries, none per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from webapp.models import AiCall, Conversation, QueuedJob, Send, WorkflowExecution

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Figure:
    key: str  # also the Prometheus name, after "autopilot_"
    label: str
    value: float | None  # None: nothing to measure yet
    unit: str  # "", "%", "s", "USD"
    how: str


@dataclass(frozen=True)
class AiUse:
    feature: str
    calls: int
    tokens: int
    cost_usd: Decimal


@dataclass(frozen=True)
class Operations:
    figures: list[Figure]
    ai: list[AiUse]
    since: datetime


def _scoped(query, column, org_id: int | None):
    return query if org_id is None else query.where(column == org_id)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def operations(session: Session, *, now: datetime, org_id: int | None = None) -> Operations:
    """`org_id` None: the whole deployment (support and `/metrics`)."""
    since = now - WINDOW

    def one(query, column):
        return session.execute(_scoped(query, column, org_id)).one()

    q, w, s, c = QueuedJob, WorkflowExecution, Send, Conversation
    depth, oldest = one(
        select(func.count(), func.min(q.run_at)).where(q.status == "pending", q.run_at <= now),
        q.org_id,
    )
    done, failed = one(
        select(
            func.count(case((q.status == "completed", 1))),
            func.count(case((q.status == "failed", 1))),
        ).where(q.updated_at >= since, q.status.in_(("completed", "failed"))),
        q.org_id,
    )
    finished, completed = one(
        select(func.count(), func.count(case((w.status == "completed", 1)))).where(
            w.finished_at >= since, w.status.in_(("completed", "failed", "cancelled"))
        ),
        w.org_id,
    )
    attempted, accepted = one(
        select(func.count(), func.count(case((s.status.in_(("sent", "delivered")), 1)))).where(
            s.channel == "email",
            s.created_at >= since,
            s.status.in_(("sent", "delivered", "failed")),
            s.test_mode.is_(False),
        ),
        s.org_id,
    )
    chats, handed_over = one(
        select(func.count(), func.count(c.escalated_at)).where(
            c.chat_state.is_not(None), c.created_at >= since
        ),
        c.org_id,
    )
    age = (now - _aware(oldest, now)).total_seconds() if oldest is not None else 0.0
    figures = _figures(
        depth, age, (done, failed), (completed, finished), (accepted, attempted),
        (chats - handed_over, chats),
    )  # fmt: skip
    return Operations(figures, _ai_use(session, since, org_id), since)


def _figures(depth, age, jobs, runs, emails, chats) -> list[Figure]:
    done, failed = jobs
    return [
        Figure("queue_depth", "Work waiting", depth, "",
               "Queued jobs whose time has come and that no worker has taken yet."),
        Figure("queue_age_seconds", "Oldest waiting work", round(max(age, 0.0)), "s",
               "How long the oldest of those has been due; it should stay under a few minutes."),
        Figure("job_success_percent", "Jobs that succeeded", _rate(done, done + failed), "%",
               "Jobs finished in the last 7 days that completed, out of those that completed "
               "or failed after their last retry."),
        Figure("workflow_completion_percent", "Workflow runs completed", _rate(*runs), "%",
               "Workflow runs that ended in the last 7 days and reached their end, out of all "
               "that ended (completed, failed or cancelled)."),
        Figure("email_delivery_percent", "Emails accepted", _rate(*emails), "%",
               "Emails of the last 7 days that the mail server accepted (sent or delivered), out "
               "of those it accepted or refused for good; tests are left out."),
        Figure("bot_resolution_percent", "Chats the bot handled", _rate(*chats), "%",
               "Chat conversations started in the last 7 days that never needed a person, out "
               "of all chat conversations."),
    ]  # fmt: skip


def _ai_use(session: Session, since: datetime, org_id: int | None) -> list[AiUse]:
    a = AiCall
    query = (
        select(a.purpose, func.count(), func.sum(a.tokens_in + a.tokens_out), func.sum(a.cost_usd))
        .where(a.created_at >= since)
        .group_by(a.purpose)
        .order_by(a.purpose)
    )
    return [
        AiUse(feature, calls, int(tokens or 0), Decimal(cost or 0).quantize(Decimal("0.0001")))
        for feature, calls, tokens, cost in session.execute(_scoped(query, a.org_id, org_id))
    ]


def _aware(moment: datetime, like: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes; the clock is aware.
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment
