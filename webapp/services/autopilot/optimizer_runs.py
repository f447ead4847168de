"""Running the budget rules against the database: loading a batch of workspaces with their
figures, the dry run, and applying a plan (budgets, history, activity). The rules
themselves are in optimizer.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    Date,
    Numeric,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from webapp.models import AutopilotConfig, BudgetChange, Campaign, CampaignMetric, Organization
from webapp.services.activity import ACTIVITY_INSERT, activity_row
from webapp.services.autopilot.budget_plan import (
    COUNTED_STATUSES,
    CampaignState,
    Decision,
    Plan,
    Rules,
    Window,
    Workspace,
    money,
    to_cents,
)
from webapp.services.autopilot.campaigns import PLAN_KEY
from webapp.services.autopilot.learning_data import attach_history
from webapp.services.autopilot.optimizer import plan_workspace


def active_workspaces(
    session: Session, *, after_org_id: int = 0, limit: int = 500, org_id: int | None = None
) -> list[Workspace]:
    """The next `limit` workspaces with an active autopilot, by org id (keyset batches)."""
    a = AutopilotConfig
    query = (
        select(
            a.org_id,
            Organization.name,
            Organization.timezone,
            a.monthly_budget,
            a.rules,
            a.last_optimized_at,
            a.activated_at,
            a.optimizer_mode,
            a.lead_value,
        )
        .join(Organization, Organization.id == a.org_id)
        .where(a.status == "active", a.org_id > after_org_id)
        .order_by(a.org_id)
        .limit(limit)
    )
    if org_id is not None:
        query = query.where(a.org_id == org_id)
    return [
        Workspace(
            row.org_id,
            row.name,
            row.timezone,
            Decimal(row.monthly_budget),
            Rules.of(row.rules),
            row.last_optimized_at,
            row.activated_at,
            row.optimizer_mode or "learning",
            row.lead_value,
        )
        for row in session.execute(query)
    ]


def workspace_of(config: AutopilotConfig, org: Organization) -> Workspace:
    return Workspace(
        org.id,
        org.name,
        org.timezone,
        Decimal(config.monthly_budget),
        Rules.of(config.rules),
        config.last_optimized_at,
        config.activated_at,
        config.optimizer_mode or "learning",
        config.lead_value,
    )


def load_states(
    session: Session, workspaces: list[Workspace], *, now: datetime
) -> dict[int, list[CampaignState]]:
    """Each workspace's counted auto-managed campaigns with their 7-day and month-to-date figures.

    Two queries for the whole batch, whatever its size: the campaigns, and ONE grouped
    query over the metrics. Each workspace has its own "today" (its zone), so the window
    bounds are chosen per row by the workspace's timezone.
    """
    if not workspaces:
        return {}
    by_org = {ws.org_id: ws for ws in workspaces}
    org_ids = list(by_org)
    c = Campaign
    states: dict[int, list[CampaignState]] = {org_id: [] for org_id in org_ids}
    rows = session.execute(
        select(
            c.id,
            c.org_id,
            c.name,
            c.channel,
            c.status,
            c.monthly_budget,
            c.budget_changed_at,
            c.created_at,
            c.settings[PLAN_KEY].as_string().label("plan"),
        )
        .where(c.org_id.in_(org_ids), c.auto_managed.is_(True), c.status.in_(COUNTED_STATUSES))
        .order_by(c.org_id, c.id)
    ).all()
    if not rows:
        return states
    figures = _figures(session, workspaces, org_ids, now)
    for row in rows:
        ws = by_org[row.org_id]
        clicks, conversions, spend_7d, spend_month = figures.get(
            row.id, (0, 0, Decimal("0"), Decimal("0"))
        )
        states[row.org_id].append(
            CampaignState(
                id=row.id,
                name=row.name,
                channel=row.channel,
                status=row.status,
                budget=Decimal(row.monthly_budget),
                changed_on=ws.local_date(row.budget_changed_at),
                created_on=ws.local_date(row.created_at),
                clicks=clicks,
                conversions=conversions,
                spend_7d=spend_7d,
                spend_month=spend_month,
                plan=row.plan,
            )
        )
    attach_history(session, workspaces, states, now=now)
    return states


def _figures(
    session: Session, workspaces: list[Workspace], org_ids: list[int], now: datetime
) -> dict[int, tuple]:
    windows = {ws.timezone: Window.ending_before(ws.today(now)) for ws in workspaces}
    m = CampaignMetric

    def bound(attr: str):
        values = {tz: literal(getattr(w, attr), Date) for tz, w in windows.items()}
        if len(values) == 1:
            return next(iter(values.values()))
        return case(values, value=Organization.timezone)

    in_window = and_(m.day >= bound("start"), m.day <= bound("end"))
    in_month = and_(m.day >= bound("month_start"), m.day <= bound("today"))
    money = Numeric(14, 2)
    lowest = min(min(w.start, w.month_start) for w in windows.values())
    highest = max(w.today for w in windows.values())
    query = (
        select(
            m.campaign_id,
            func.sum(case((in_window, m.clicks), else_=0)),
            func.sum(case((in_window, m.conversions), else_=0)),
            type_coerce(func.sum(case((in_window, m.spend), else_=0)), money),
            type_coerce(func.sum(case((in_month, m.spend), else_=0)), money),
        )
        .select_from(m)
        .join(Organization, Organization.id == m.org_id)
        .where(m.org_id.in_(org_ids), m.day >= lowest, m.day <= highest)
        .group_by(m.campaign_id)
    )
    return {
        cid: (
            int(clicks or 0),
            int(conv or 0),
            to_cents(Decimal(spend_7d or 0), ROUND_HALF_UP),
            to_cents(Decimal(spend_month or 0), ROUND_HALF_UP),
        )
        for cid, clicks, conv, spend_7d, spend_month in session.execute(query)
    }


def preview(session: Session, org: Organization, *, now: datetime) -> Plan | None:
    """The dry run: what today's optimisation would change and why. Writes nothing.

    Returns None when the workspace has no autopilot.
    """
    config = session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org.id)
    ).one_or_none()
    if config is None:
        return None
    ws = workspace_of(config, org)
    return plan_workspace(ws, load_states(session, [ws], now=now).get(org.id, []), now=now)


@dataclass
class PendingWrites:
    """Rows that several workspaces' runs write with one statement each.

    The daily job collects a group of workspaces' rows and flushes them just before it
    commits the group; after a rollback it must `clear()` them.
    """

    activity: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    optimized: list[dict] = field(default_factory=list)

    def flush(self, session: Session) -> None:
        conn = session.connection()
        if self.changes:
            conn.execute(_INSERT_CHANGE, self.changes)
        if self.activity:
            conn.execute(ACTIVITY_INSERT, self.activity)
        if self.optimized:
            conn.execute(_MARK_OPTIMIZED, self.optimized)
        self.clear()

    def clear(self) -> None:
        self.activity, self.changes, self.optimized = [], [], []


def apply_plan(
    session: Session, plan: Plan, *, now: datetime, pending: PendingWrites | None = None
) -> list[Decision]:
    """Write the plan: new budgets, budget-history rows, an activity row per change with
    before, after and the reason, a summary row with every campaign's verdict, and
    `last_optimized_at`. Flushes, never commits. Returns the changes applied.

    A plan with a skip reason writes nothing. Each budget is changed only if it still holds
    the value the plan saw (compare-and-set), so a stale plan cannot overwrite a newer edit.
    With `pending`, everything but the budgets is left there for the caller to flush.
    """
    if plan.skip_reason:
        return []
    out = pending if pending is not None else PendingWrites()
    # Core statements on the session's connection: the daily job runs this for every
    # workspace, and the ORM layer would double its cost.
    conn = session.connection()
    org_id = plan.workspace.org_id
    applied = []
    for d in plan.changes:
        result = conn.execute(
            _SET_BUDGET,
            {"cid": d.campaign_id, "org": org_id, "before": d.before, "after": d.after, "now": now},
        )
        if result.rowcount:
            applied.append(d)
    _add_records(out, plan, applied, now=now)
    out.optimized.append({"org": org_id, "now": now})
    if pending is None:
        out.flush(session)
    return applied


def _add_records(out: PendingWrites, plan: Plan, applied: list[Decision], *, now: datetime) -> None:
    """The plan's history rows: a budget change and an activity row per applied change,
    and one summary activity row with every campaign's verdict."""
    org_id = plan.workspace.org_id
    out.changes.extend(
        {
            "org_id": org_id,
            "campaign_id": d.campaign_id,
            "before": d.before,
            "after": d.after,
            "rule": d.rule,
            "reason": d.reason,
            "details": d.details,
            "created_at": now,
        }
        for d in applied
    )
    out.activity.extend(
        activity_row(
            org_id,
            f"campaign.budget_{d.action}d",
            f"“{d.campaign_name}”: {d.reason}",
            now=now,
            entity=("campaign", d.campaign_id),
            details={
                "before": str(d.before),
                "after": str(d.after),
                "reason": d.reason,
                "rule": d.rule,
                **d.details,
            },
        )
        for d in applied
    )
    out.activity.append(
        activity_row(
            org_id,
            "autopilot.optimized",
            _summary(plan, applied),
            now=now,
            details={
                "period": plan.period,
                "window": [plan.window.start.isoformat(), plan.window.end.isoformat()],
                "decisions": [
                    {
                        "campaign_id": d.campaign_id,
                        "campaign": d.campaign_name,
                        "action": d.action,
                        "before": str(d.before),
                        "after": str(d.after),
                        "reason": d.reason,
                    }
                    for d in plan.decisions
                ],
            },
        )
    )


_campaigns = Campaign.__table__
_configs = AutopilotConfig.__table__
# Built once: the daily job runs them for every workspace.
_SET_BUDGET = (
    update(_campaigns)
    .where(
        _campaigns.c.id == bindparam("cid"),
        _campaigns.c.org_id == bindparam("org"),
        _campaigns.c.monthly_budget == bindparam("before"),
    )
    .values(
        monthly_budget=bindparam("after"),
        budget_changed_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
_INSERT_CHANGE = insert(BudgetChange.__table__)
_MARK_OPTIMIZED = (
    update(_configs)
    .where(_configs.c.org_id == bindparam("org"))
    .values(last_optimized_at=bindparam("now"))
)


def _summary(plan: Plan, applied: list[Decision]) -> str:
    if plan.summary:
        return plan.summary
    n = len(plan.decisions)
    parts = [
        f"Checked {n} campaign{'s' if n != 1 else ''} on the results of {plan.window.describe()}:"
    ]
    if applied:
        moves = ", ".join(
            f"{d.campaign_name} {'cut' if d.action == 'decrease' else 'raised'} to {money(d.after)}"
            for d in applied
        )
        parts.append(f"{len(applied)} budget change{'s' if len(applied) != 1 else ''} ({moves}).")
    else:
        parts.append("no budget changes.")
    held = [d for d in plan.decisions if not d.changed or d not in applied]
    if held:
        kinds = {
            "no clicks in the last 7 days": 0,
            "waiting after a recent change": 0,
            "no room under the monthly budget": 0,
            "within the rules' range": 0,
            "changed meanwhile": 0,
        }
        for d in held:
            if d.changed:
                kinds["changed meanwhile"] += 1
            elif d.action == "skip":
                kinds["no clicks in the last 7 days"] += 1
            elif d.details.get("cooldown_until"):
                kinds["waiting after a recent change"] += 1
            elif d.details.get("no_room"):
                kinds["no room under the monthly budget"] += 1
            else:
                kinds["within the rules' range"] += 1
        why = ", ".join(f"{count} {kind}" for kind, count in kinds.items() if count)
        parts.append(f"{len(held)} unchanged ({why}).")
    return " ".join(parts)
