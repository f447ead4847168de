"""The autopilot of a workspace: the setup wizard's draft, activating a plan, pausing and
resuming, the optimisation rules and the monthly AI budget.

The wizard keeps what was typed, step by step, in `AutopilotConfig.wizard` (the draft), so
Back and Next lose nothing and a half-finished setup can be continued later. Activation
copies the draft into the config's columns and clears it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import DEFAULT_RULES, AutopilotConfig, Organization
from webapp.services.activity import log_activity
from webapp.services.errors import DomainError
from webapp.services.planner import CHANNEL_NAMES, PlanInputs

STEPS = ("business", "audience", "budget", "review")
STEP_TITLES = {
    "business": "Your business",
    "audience": "Your customers",
    "budget": "Budget and goals",
    "review": "Your strategy",
}


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


# --- the wizard's draft -------------------------------------------------------------------


def draft(config: AutopilotConfig | None) -> dict:
    return dict(config.wizard or {}) if config is not None else {}


def resume_step(config: AutopilotConfig | None) -> str:
    """Where the wizard continues: the step the draft reached, else the first."""
    step = draft(config).get("step")
    return step if step in STEPS else STEPS[0]


def typed_values(config: AutopilotConfig | None, step: str) -> dict | None:
    """What was typed on `step` (field name → text), or, when re-planning, the active plan's
    values, or None when there is nothing yet."""
    saved = draft(config).get(step)
    if saved is not None:
        return saved
    if has_plan(config) and step != "review":
        return current_values(config)[step]
    return None


def current_values(config: AutopilotConfig) -> dict:
    """The active plan's inputs as the wizard's fields, to change the plan from."""
    audience, goals = config.audience or {}, config.goals or {}
    leads = goals.get("monthly_leads")
    return {
        "business": {"description": config.business_description or ""},
        "audience": {
            "who": audience.get("who", ""),
            "where": audience.get("where", ""),
            "market": audience.get("market", ""),
            "interests": ", ".join(audience.get("interests", [])),
        },
        "budget": {
            "monthly_budget": f"{config.monthly_budget:.2f}",
            "primary_goal": goals.get("primary", ""),
            "monthly_leads": "" if leads in (None, "") else str(leads),
        },
    }


def save_step(
    session: Session,
    config: AutopilotConfig,
    step: str,
    values: dict,
    *,
    reached: str,
    now: datetime,
) -> None:
    """Keep what was typed on `step` and where the wizard is now."""
    wizard = draft(config)
    wizard[step] = values
    wizard["step"] = reached
    config.wizard = wizard  # a new dict, so the JSON column is seen as changed
    config.updated_at = now
    session.flush()


def plan_key(config: AutopilotConfig) -> str | None:
    """The fingerprint of the inputs the draft's (or else the active) strategy was planned for."""
    wizard = draft(config)
    if "strategy" in wizard:
        return wizard.get("strategy_key")
    if has_plan(config):
        return active_inputs(config).key()
    return None


def draft_strategy(config: AutopilotConfig | None) -> dict | None:
    """The strategy step 4 shows: the draft's, or the active plan's when re-planning."""
    wizard = draft(config)
    if wizard.get("strategy"):
        return wizard["strategy"]
    if has_plan(config) and config.strategy:
        return config.strategy
    return None


def needs_strategy(config: AutopilotConfig, inputs: PlanInputs) -> bool:
    """Whether the planner must be asked: no strategy yet, or the inputs changed since."""
    return draft_strategy(config) is None or plan_key(config) != inputs.key()


def store_strategy(
    session: Session, config: AutopilotConfig, strategy: dict, inputs: PlanInputs, now: datetime
) -> None:
    """Keep a freshly planned strategy in the draft; edits made to an older one are dropped."""
    wizard = draft(config)
    wizard["strategy"] = strategy
    wizard["strategy_key"] = inputs.key()
    wizard.pop("review", None)
    config.wizard = wizard
    config.updated_at = now
    session.flush()


def discard_draft(
    session: Session,
    org: Organization,
    config: AutopilotConfig,
    *,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Forget the unfinished wizard; an active plan stays as it was."""
    config.wizard = {}
    config.updated_at = now
    log_activity(
        session, org, "autopilot.draft_discarded", "The unfinished setup was discarded; the plan is unchanged.",
        now=now, entity=("autopilot", config.id), actor_id=actor_id,
    )  # fmt: skip


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
    return replaced


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


# --- rules and the AI budget --------------------------------------------------------------


def effective_rules(config: AutopilotConfig | None) -> dict:
    """Every threshold, the workspace's own where set, else the default."""
    own = (config.rules or {}) if config is not None else {}
    return {name: float(own.get(name, default)) for name, default in DEFAULT_RULES.items()}


def check_rules(rules: dict) -> dict[str, str]:
    """Problems with a set of thresholds (name → message); empty when they make sense."""
    problems: dict[str, str] = {}
    if rules["low_conversion"] >= rules["high_conversion"]:
        problems["low_conversion"] = "The cut threshold must be below the raise threshold."
    for name in ("low_spend_share", "high_spend_share"):
        if not 0 < rules[name] <= 1:
            problems[name] = "Use a share between 1% and 100%."
    if not 0 < rules["change_pct"] < 1:
        problems["change_pct"] = "Use a change between 1% and 99%."
    if rules["max_increase"] < 0:
        problems["max_increase"] = "The largest increase cannot be negative."
    if not 1 <= rules["cooldown_days"] <= 90 or rules["cooldown_days"] != int(
        rules["cooldown_days"]
    ):
        problems["cooldown_days"] = "Use a whole number of days from 1 to 90."
    return problems


def update_rules(
    session: Session,
    org: Organization,
    config: AutopilotConfig,
    rules: dict,
    *,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Set the workspace's thresholds. Raises AutopilotError when they contradict each other."""
    problems = check_rules(rules)
    if problems:
        raise AutopilotError(" ".join(problems.values()))
    before = effective_rules(config)
    config.rules = {name: rules[name] for name in DEFAULT_RULES}
    config.updated_at = now
    changed = {
        k: {"before": before[k], "after": rules[k]} for k in DEFAULT_RULES if before[k] != rules[k]
    }
    log_activity(
        session, org, "autopilot.rules_changed",
        "Optimisation rules changed: " + (", ".join(changed) if changed else "no values differ") + ".",
        now=now, entity=("autopilot", config.id), actor_id=actor_id, details={"changed": changed},
    )  # fmt: skip


def update_ai_budget(
    session: Session,
    org: Organization,
    config: AutopilotConfig,
    amount: Decimal,
    *,
    actor_id: int | None,
    now: datetime,
) -> None:
    if amount < 0:
        raise AutopilotError("The AI budget cannot be negative.")
    before = config.ai_monthly_budget
    config.ai_monthly_budget = amount
    config.updated_at = now
    log_activity(
        session, org, "autopilot.ai_budget_changed",
        f"Monthly AI budget changed from ${before:,.2f} to ${amount:,.2f}.",
        now=now, entity=("autopilot", config.id), actor_id=actor_id,
        details={"before": str(before), "after": str(amount)},
    )  # fmt: skip
