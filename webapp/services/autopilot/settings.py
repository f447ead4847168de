"""The autopilot's settings: the optimiser's mode, the rules' thresholds and the monthly AI budget."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from webapp.models import DEFAULT_RULES, AutopilotConfig, Organization
from webapp.services.activity import log_activity
from webapp.services.autopilot.config import AutopilotError


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


MODES = {"learning": "learning", "rules": "rules"}


def update_optimizer(
    session: Session,
    org: Organization,
    config: AutopilotConfig,
    *,
    mode: str,
    lead_value: Decimal | None,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Choose the optimiser (learning or rules) and the value of a lead. Budget history and
    past explanations stay whatever the mode; the switch itself goes in the activity feed."""
    if mode not in MODES:
        raise AutopilotError("Choose learning or rules.")
    if lead_value is not None and lead_value < 0:
        raise AutopilotError("The value of a lead cannot be negative.")
    lead_value = lead_value or None  # 0 or empty: the business counts revenue
    before_mode, before_value = config.optimizer_mode or "learning", config.lead_value
    config.optimizer_mode, config.lead_value, config.updated_at = mode, lead_value, now
    parts = []
    if before_mode != mode:
        parts.append(
            "Budgets now move by what each channel returns, re-split every week (learning)."
            if mode == "learning"
            else "Budgets now move by the conversion-rate rules (rules)."
        )
    if before_value != lead_value:
        parts.append(
            f"A lead is worth ${lead_value:,.2f}: channels are judged on leads × that value."
            if lead_value
            else "Channels are judged on the revenue they report."
        )
    log_activity(
        session, org, "autopilot.optimizer_changed",
        "Optimiser settings saved. " + (" ".join(parts) if parts else "Nothing changed."),
        now=now, entity=("autopilot", config.id), actor_id=actor_id,
        details={
            "mode": {"before": before_mode, "after": mode},
            "lead_value": {
                "before": str(before_value) if before_value is not None else None,
                "after": str(lead_value) if lead_value is not None else None,
            },
        },
    )  # fmt: skip
