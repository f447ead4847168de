"""The autopilot of a workspace: its config row, the active plan, activating a plan, pausing
and resuming. The wizard's draft is in `wizard.py`; the rules' thresholds and the AI budget
in `settings.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.core.errors import DomainError
from webapp.models import AutopilotConfig, Organization
from webapp.services.activity import log_activity
from webapp.services.autopilot.plan_inputs import CHANNEL_NAMES, PlanInputs

log = logging.getLogger(__name__)


class AutopilotError(DomainError):
    """The autopilot cannot do that in its current state."""


def get_config(session: Session, org_id: int) -> AutopilotConfig | None:
    return session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org_id)
    ).one_or_none()


def ensure_config(session: Session, org: Organization, now: datetime) -> AutopilotConfig:
    """The workspace's autopilot, created as a draft when it has none yet."""
    config = get_config(session, org.id)
    if config is None:
        config = AutopilotConfig(
            org_id=org.id, status="draft", audience={}, goals={}, strategy={}, rules={},
            wizard={}, created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(config)
        session.flush()
    return config


def has_plan(config: AutopilotConfig | None) -> bool:
    """True once a plan was activated (the autopilot is active or paused)."""
    return config is not None and config.status in ("active", "paused")


def plan_rows(config: AutopilotConfig | None) -> list[dict]:
    """The active plan's channels with their names and monthly amounts, for display."""
    if not has_plan(config):
        return []
    rows = []
    for row in (config.strategy or {}).get("channels") or []:
        percent = Decimal(str(row.get("percent") or 0))
        rows.append({
            "channel": row.get("channel"),
            "name": CHANNEL_NAMES.get(row.get("channel"), str(row.get("channel"))),
            "percent": row.get("percent"),
            "amount": (config.monthly_budget * percent / 100).quantize(Decimal("0.01")),
            "rationale": row.get("rationale", ""),
        })  # fmt: skip
    return rows


# --- activation, pause, resume ------------------------------------------------------------


def active_inputs(config: AutopilotConfig) -> PlanInputs:
    audience, goals = config.audience or {}, config.goals or {}
    return PlanInputs(
        business=config.business_description or "",
        who=audience.get("who", ""),
        where=audience.get("where", ""),
        market=audience.get("market", "b2c"),
        interests=tuple(audience.get("interests", [])),
        monthly_budget=Decimal(config.monthly_budget or 0).quantize(Decimal("0.01")),
        primary_goal=goals.get("primary", "leads"),
        monthly_leads=goals.get("monthly_leads"),
    )


def activate(
    session: Session,
    org: Organization,
    config: AutopilotConfig,
    inputs: PlanInputs,
    strategy: dict,
    *,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Make `strategy` for `inputs` the workspace's plan and switch the autopilot on.

    Returns True when this replaced an earlier plan (the wizard was re-run).
    """
    replaced = has_plan(config)
    previous = dict(config.strategy or {}) if replaced else None
    previous_budget = config.monthly_budget if replaced else None
    config.business_description = inputs.business
    config.audience = {
        "who": inputs.who, "where": inputs.where, "market": inputs.market,
        "interests": list(inputs.interests),
    }  # fmt: skip
    config.monthly_budget = inputs.monthly_budget
    config.goals = {"primary": inputs.primary_goal, "monthly_leads": inputs.monthly_leads}
    config.strategy = strategy
    config.status = "active"
    config.activated_at = now
    config.paused_at = None
    config.wizard = {}
    config.updated_at = now
    mix = ", ".join(f"{CHANNEL_NAMES[c['channel']]} {c['percent']}%" for c in strategy["channels"])
    verb = "changed the plan" if replaced else "is on"
    details = {
        "plan": strategy,
        "monthly_budget": str(inputs.monthly_budget),
        "inputs": inputs.as_dict(),
    }
    if replaced:
        details["previous_plan"] = previous
        details["previous_monthly_budget"] = str(previous_budget)
    log_activity(
        session, org, "autopilot.activated",
        f"Autopilot {verb}: ${inputs.monthly_budget:,.2f} a month across {mix}.",
        now=now, entity=("autopilot", config.id), details=details, actor_id=actor_id,
    )  # fmt: skip
    _announce_activation(session, org.id, actor_id=actor_id, replaced=replaced, now=now)
    return replaced


def _announce_activation(
    session: Session, org_id: int, *, actor_id: int | None, replaced: bool, now: datetime
) -> None:
    """Send `autopilot_activated`; each receiver runs in its own savepoint, so one that fails
    is rolled back alone and logged, and the activation stays."""
    sender = signals.sender()
    for receiver in signals.autopilot_activated.receivers_for(sender):
        try:
            with session.begin_nested():
                receiver(
                    sender,
                    session=session,
                    org_id=org_id,
                    actor_id=actor_id,
                    replaced=replaced,
                    now=now,
                )
        except Exception as exc:  # a subscriber must not undo the activation
            log.exception("autopilot activation subscriber %r failed", receiver)
            name = getattr(receiver, "__name__", "a follow-up step")
            log_activity(
                session, org_id, "autopilot.hook_failed",
                f"After activation, {name.replace('_', ' ')} failed: {exc}. The plan is active; "
                "this step will need to be retried.",
                now=now, details={"hook": name, "error": str(exc)[:500]},
            )  # fmt: skip


def pause(
    session: Session,
    org: Organization,
    config: AutopilotConfig,
    *,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Stop the autopilot's daily changes until resumed; campaigns keep their budgets."""
    if config.status != "active":
        raise AutopilotError("Only an active autopilot can be paused.")
    config.status = "paused"
    config.paused_at = now
    config.updated_at = now
    log_activity(
        session, org, "autopilot.paused",
        "Autopilot paused: no campaigns are created and no budgets change until it is resumed.",
        now=now, entity=("autopilot", config.id), actor_id=actor_id,
    )  # fmt: skip


def resume(
    session: Session,
    org: Organization,
    config: AutopilotConfig,
    *,
    actor_id: int | None,
    now: datetime,
) -> None:
    if config.status != "paused":
        raise AutopilotError("Only a paused autopilot can be resumed.")
    paused_at = config.paused_at
    config.status = "active"
    config.paused_at = None
    config.updated_at = now
    log_activity(
        session, org, "autopilot.resumed", "Autopilot resumed: the daily run manages the campaigns again.",
        now=now, entity=("autopilot", config.id), actor_id=actor_id,
        details={"paused_at": paused_at.isoformat() if paused_at else None},
    )  # fmt: skip
