"""The setup wizard's draft: what was typed, step by step, kept in `AutopilotConfig.wizard`
so Back and Next lose nothing and a half-finished setup can be continued later. Activation
(`config.activate`) copies the draft into the config's columns and clears it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import AutopilotConfig, Organization
from webapp.services.activity import log_activity
from webapp.services.autopilot.config import active_inputs, has_plan
from webapp.services.autopilot.plan_inputs import PlanInputs

STEPS = ("business", "audience", "budget", "review")
STEP_TITLES = {
    "business": "Your business",
    "audience": "Your customers",
    "budget": "Budget and goals",
    "review": "Your strategy",
}


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
