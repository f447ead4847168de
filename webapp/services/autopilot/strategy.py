"""The shape of a marketing strategy and its tidying: whatever wrote it (the AI, the built-in
planner, a person editing step 4), a strategy has one row per channel with whole percents
summing to 100, and exactly three key messages."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from webapp.core.json_schema import ai_schema
from webapp.models import CHANNELS


def _text(max_length: int) -> Any:
    """Text the answer must give: trimmed, not empty, at most `max_length` characters."""
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)
    ]


class ChannelShare(BaseModel):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    percent: float = Field(ge=1, le=100)
    rationale: _text(600)


class Messaging(BaseModel):
    value_proposition: _text(400)
    tone: _text(120)
    key_messages: list[_text(300)] = Field(min_length=3, max_length=5)


class StrategyAnswer(BaseModel):
    """The marketing plan: the monthly budget split between channels, and the messaging."""

    channels: list[ChannelShare] = Field(min_length=1, max_length=len(CHANNELS))
    messaging: Messaging
    planner: str = "builtin"


STRATEGY_SCHEMA: dict = ai_schema(StrategyAnswer)


def normalise_percents(weights: list[Fraction | Decimal | float | int]) -> list[int]:
    """Whole percentages proportional to `weights`, summing to exactly 100, each at least 1.

    Largest-remainder rounding; ties go to the earlier entry, so the result is deterministic.
    Raises ValueError when there is nothing positive to share.
    """
    shares = [
        max(Fraction(str(w)) if not isinstance(w, Fraction) else w, Fraction(0)) for w in weights
    ]
    total = sum(shares)
    if not shares or total <= 0:
        raise ValueError("nothing to share")
    if len(shares) > 100:
        raise ValueError("more than 100 entries cannot each get a whole percent")
    exact = [share * 100 / total for share in shares]
    result = [int(x) for x in exact]  # floor: all are non-negative
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - result[i]), i))
    for i in order[: 100 - sum(result)]:
        result[i] += 1
    for i, value in enumerate(result):  # nobody shown at 0%: take it from the largest
        if value == 0:
            largest = max(range(len(result)), key=lambda j: (result[j], -j))
            result[largest] -= 1
            result[i] = 1
    return result


def normalise_strategy(data: dict | StrategyAnswer) -> dict:
    """A strategy (validated as StrategyAnswer; raises ValidationError) tidied: one row per
    channel, whole percents summing to 100, exactly three key messages, text stripped."""
    answer = data if isinstance(data, StrategyAnswer) else StrategyAnswer.model_validate(data)
    merged: dict[str, dict] = {}
    for item in answer.channels:
        row = merged.setdefault(
            item.channel, {"channel": item.channel, "weight": Fraction(0), "rationale": ""}
        )
        row["weight"] += Fraction(str(item.percent))
        row["rationale"] = row["rationale"] or item.rationale
    rows = list(merged.values())
    percents = normalise_percents([row["weight"] for row in rows])
    channels = [
        {"channel": row["channel"], "percent": pct, "rationale": row["rationale"]}
        for row, pct in zip(rows, percents, strict=True)
    ]
    channels.sort(key=lambda c: (-c["percent"], CHANNELS.index(c["channel"])))
    messaging = answer.messaging
    return {
        "channels": channels,
        "messaging": {
            "value_proposition": messaging.value_proposition,
            "tone": messaging.tone,
            "key_messages": messaging.key_messages[:3],
        },
        "planner": answer.planner,
    }
