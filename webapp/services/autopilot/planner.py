"""The marketing strategy: which channels get which share of the budget, and what to say.

`plan_strategy` asks the AI layer (OpenAI when configured and affordable) and falls back to
`builtin_strategy` (`builtin_planner.py`), a deterministic planner that needs no network.
What the wizard asks is in `plan_inputs.py`; the strategy's shape and tidying in
`strategy.py`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session

from webapp.models import CHANNELS
from webapp.services.ai import BUILTIN_MODEL, complete_json
from webapp.services.autopilot.builtin_planner import builtin_strategy
from webapp.services.autopilot.plan_inputs import PlanInputs
from webapp.services.autopilot.strategy import STRATEGY_SCHEMA, StrategyAnswer, normalise_strategy

SYSTEM_PROMPT = (
    "You are the marketing planner of a small business. From its description, audience, "
    "monthly budget and goals, choose 3 to 6 marketing channels and split the monthly budget "
    "between them in whole percentages that add up to 100; give each a one- or two-sentence "
    "rationale a shop owner understands. Then write the messaging: a one-sentence value "
    "proposition, the tone of voice in a few words, and exactly three short key messages. "
    f"Channels may only be: {', '.join(CHANNELS)}. Small budgets (under $300 a month) should "
    "favour owned channels (email, sms, whatsapp, seo) over paid ads."
)


def plan_strategy(
    session: Session,
    org_id: int,
    inputs: PlanInputs,
    *,
    now: datetime,
    config: Mapping | None = None,
) -> dict:
    """The strategy for `inputs`, written by the AI layer (OpenAI or the built-in planner).

    Returns {"channels": [...], "messaging": {...}, "planner", "model", "fallback_reason"?}
    with whole percentages summing to 100. Records the AI call (see `complete_json`).
    """
    result = complete_json(
        session,
        org_id,
        purpose="strategy",
        system=SYSTEM_PROMPT,
        prompt=json.dumps(inputs.as_dict(), sort_keys=True),
        schema=STRATEGY_SCHEMA,
        builtin=lambda: builtin_strategy(inputs),
        now=now,
        config=config,
    )
    provider, model, reason = result.provider, result.model, result.fallback_reason
    try:
        answer = StrategyAnswer.model_validate(result.data)
    except ValidationError as exc:  # the AI layer checks a subset; the model has the last word
        answer = StrategyAnswer.model_validate(builtin_strategy(inputs))
        provider, model = "builtin", BUILTIN_MODEL
        reason = f"the {result.provider} strategy did not fit the expected format ({exc.error_count()} problems)"
    strategy = normalise_strategy(answer)
    strategy["planner"] = provider
    strategy["model"] = model
    if reason:
        strategy["fallback_reason"] = reason
    return strategy
