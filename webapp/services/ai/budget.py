"""The workspace's monthly AI budget: once this month's AI cost reaches it, the built-in
writer answers instead of OpenAI until the month ends or an owner raises the budget."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import ActivityLog, AutopilotConfig

if TYPE_CHECKING:
    from webapp.services.ai.usage import AiUsage

log = logging.getLogger(__name__)

DEFAULT_AI_BUDGET = Decimal("10.00")


def budget_for(session: Session, org_id: int | None) -> Decimal:
    """The workspace's monthly AI budget in USD (the default without an autopilot config)."""
    budget = None
    if org_id:
        budget = session.scalar(
            select(AutopilotConfig.ai_monthly_budget).where(AutopilotConfig.org_id == org_id)
        )
    return DEFAULT_AI_BUDGET if budget is None else Decimal(budget)


def spent_reason(usage: AiUsage) -> str:
    """Why OpenAI was not asked, in words, once the budget is spent."""
    return (
        f"this month's AI budget of ${usage.budget_usd:.2f} is spent (${usage.cost_usd:.2f} used)"
    )


def notice_budget(session: Session, org_id: int | None, usage: AiUsage, now: datetime) -> None:
    """Say once per workspace and month (an activity row) that the AI budget is spent."""
    if not org_id:
        log.warning("AI budget for system calls is spent this month; using the built-in planner")
        return
    already = session.scalar(
        select(ActivityLog.id)
        .where(
            ActivityLog.org_id == org_id,
            ActivityLog.type == "ai.budget_exhausted",
            ActivityLog.created_at >= usage.month_start,
        )
        .limit(1)
    )
    if already:
        return
    session.add(
        ActivityLog(
            org_id=org_id,
            type="ai.budget_exhausted",
            actor_id=None,
            created_at=now,
            description=(
                f"This month's AI budget (${usage.budget_usd:.2f}) is spent: ${usage.cost_usd:.2f} used "
                f"in {usage.calls} calls. The built-in planner writes until the month ends, "
                "or until an owner raises the budget on the Autopilot page."
            ),
            details={
                "budget_usd": str(usage.budget_usd),
                "spent_usd": str(usage.cost_usd),
                "calls": usage.calls,
            },
        )
    )
    session.flush()
