"""Undoing the optimiser's latest move: every budget it changed goes back to what it was.

A move is the budget changes one optimiser run wrote (same workspace, same moment). Only the
latest move can be undone, and only while its budgets are still what the move set (a later
edit is not overwritten). The undo counts as a budget change, so the optimiser leaves the
budgets alone for a week after it; the move's history stays, with the undo beside it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import BudgetChange, Campaign, Organization
from webapp.services.activity import log_activity
from webapp.services.autopilot.budget_plan import money
from webapp.services.autopilot.config import AutopilotError

OPTIMISER_RULES = ("learning", "low_performance", "high_performance")


def latest_move(session: Session, org_id: int) -> list[BudgetChange]:
    """The budget changes of the optimiser's latest run that changed anything (maybe none)."""
    last = session.scalars(
        select(BudgetChange)
        .where(BudgetChange.org_id == org_id)
        .order_by(BudgetChange.created_at.desc(), BudgetChange.id.desc())
        .limit(1)
    ).first()
    if last is None or last.rule not in OPTIMISER_RULES:
        return []  # nothing, or the latest change was not the optimiser's (an undo, a new plan)
    return list(
        session.scalars(
            select(BudgetChange)
            .where(BudgetChange.org_id == org_id, BudgetChange.created_at == last.created_at)
            .order_by(BudgetChange.id)
        )
    )


def undo_latest_move(
    session: Session, org: Organization, change_id: int, *, actor_id: int | None, now: datetime
) -> list[BudgetChange]:
    """Put back the budgets of the move containing `change_id`. Raises AutopilotError when
    that move is not the latest, or a budget was changed since."""
    move = latest_move(session, org.id)
    if not any(c.id == change_id for c in move):
        raise AutopilotError("Only the autopilot's latest budget move can be undone.")
    campaigns = {
        c.id: c
        for c in session.scalars(
            select(Campaign).where(
                Campaign.org_id == org.id, Campaign.id.in_([c.campaign_id for c in move])
            )
        )
    }
    changed = [c for c in move if campaigns[c.campaign_id].monthly_budget != c.after]
    if changed:
        names = ", ".join(campaigns[c.campaign_id].name for c in changed)
        raise AutopilotError(f"The budget of {names} changed since this move; it cannot be undone.")
    undone = []
    for c in move:
        campaign = campaigns[c.campaign_id]
        reason = (
            f"Undone by hand: the autopilot's move of {money(c.before)} → {money(c.after)} "
            f"is reversed, so the budget is back to {money(c.before)}. The autopilot leaves the "
            "budgets for a week before it moves money again."
        )
        campaign.monthly_budget, campaign.budget_changed_at, campaign.updated_at = (
            c.before,
            now,
            now,
        )
        row = BudgetChange(
            org_id=org.id, campaign_id=campaign.id, before=c.after, after=c.before, rule="undo",
            reason=reason, details={"undoes": c.id}, created_at=now,
        )  # fmt: skip
        session.add(row)
        undone.append(row)
    session.flush()
    log_activity(
        session, org, "autopilot.move_undone",
        "Undid the autopilot's latest move: "
        + ", ".join(f"{campaigns[c.campaign_id].name} back to {money(c.before)}" for c in move)
        + ".",
        now=now, actor_id=actor_id, details={"changes": [c.id for c in move]},
    )  # fmt: skip
    return undone
