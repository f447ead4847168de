"""What a weekly report says: the built-in writer of insights and recommendations, and the
schema and instructions an AI model gets for the same job.

`builtin_insights(facts)` is deterministic: the same numbers always give the same words,
and every sentence is derived from the facts (see `figures.gather_facts`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from webapp.core.json_schema import ai_schema

MAX_ITEMS = 6
MAX_CHARS = 400


def _one_line(text: str) -> str:
    return " ".join(text.split())


Sentence = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHARS),
    AfterValidator(_one_line),
]


class InsightsAnswer(BaseModel):
    """What the week's report says: what happened, and what to do next."""

    # Extra keys are told off in the schema, and ignored in an answer.
    model_config = ConfigDict(extra="ignore", json_schema_extra={"additionalProperties": False})

    insights: list[Sentence] = Field(min_length=1, max_length=MAX_ITEMS)
    recommendations: list[Sentence] = Field(min_length=1, max_length=MAX_ITEMS)


INSIGHTS_SCHEMA: dict = ai_schema(InsightsAnswer)

SYSTEM_PROMPT = (
    "You are the analyst of a small business's marketing autopilot. You get one week of "
    "results as JSON: totals, the previous week, week-over-week changes, and per-channel "
    "leads, spend, revenue, cost per lead and ROI (revenue divided by spend; null when "
    "nothing was spent). Money is in US dollars. Answer with JSON only: "
    '{"insights": [...], "recommendations": [...]}, 2 to 5 short sentences each, in plain '
    "English for the owner. Insights state what happened, quoting the numbers and naming "
    "channels. Recommendations are concrete next steps (which channel gets more or less "
    "budget and why, what to check). Use only the numbers given; never invent data."
)

# Keys of the facts an AI model needs; the per-day series stay out of the prompt.
PROMPT_KEYS = (
    "week_start",
    "week_end",
    "timezone",
    "totals",
    "previous",
    "changes",
    "channels",
    "unattributed_leads",
    "top_channel",
    "best_day",
)


def prompt_facts(facts: dict) -> dict:
    return {key: facts[key] for key in PROMPT_KEYS if key in facts}


def money(value: str | Decimal | None) -> str:
    """'$1,234.50' from a decimal string."""
    if value is None:
        return "—"
    return f"${Decimal(value):,.2f}"


def ratio(value: str | Decimal | None) -> str:
    return "—" if value is None else f"{Decimal(value):.2f}×"


def pct_text(pct: float) -> str:
    """'44%', or '2.5%' under 10% where the decimal still matters."""
    value = abs(pct)
    return f"{value:.0f}%" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".") + "%"


def _pct(change: dict) -> str:
    return pct_text(change["pct"])


def _day_name(day: str) -> str:
    return date.fromisoformat(day).strftime("%A %-d %b")


def _with_leads_and_spend(channels: list[dict]) -> list[dict]:
    return [c for c in channels if c["leads"] > 0 and c["cost_per_lead"] is not None]


def _headline(totals: dict) -> str:
    leads, spend, revenue = totals["leads"], Decimal(totals["spend"]), Decimal(totals["revenue"])
    noun = "lead" if leads == 1 else "leads"
    if spend > 0:
        text = f"You got {leads} {noun} for {money(spend)} of spend"
        if totals["cost_per_lead"] is not None:
            text += f" ({money(totals['cost_per_lead'])} per lead)"
        if revenue > 0:
            return (
                text
                + f" and {money(revenue)} of revenue: every $1 spent brought back {money(Decimal(totals['roi']))}."
            )
        return text + ", and no revenue was recorded."
    if revenue > 0:
        return f"You got {leads} {noun} and {money(revenue)} of revenue with no recorded spend."
    return f"You got {leads} {noun} with no recorded spend or revenue."


def _top_channel(facts: dict) -> str | None:
    top = next((c for c in facts["channels"] if c["channel"] == facts["top_channel"]), None)
    if top is None:
        return None
    leads_total = facts["totals"]["leads"]
    parts = []
    if Decimal(top["revenue"]) > 0:
        parts.append(f"{money(top['revenue'])} of revenue")
    if top["leads"]:
        share = f"{top['leads']} of {leads_total} leads" if leads_total else f"{top['leads']} leads"
        parts.append(
            share + (f" at {money(top['cost_per_lead'])} per lead" if top["cost_per_lead"] else "")
        )
    text = f"{top['label']} was the top channel: " + " and ".join(parts)
    priced = _with_leads_and_spend(facts["channels"])
    if (
        len(priced) > 1
        and min(priced, key=lambda c: Decimal(c["cost_per_lead"]))["channel"] == top["channel"]
    ):
        text += ", the cheapest channel per lead"
    return text + "."


def _trend(facts: dict) -> str | None:
    prev, changes = facts["previous"], facts["changes"]
    if prev["leads"] == 0 and Decimal(prev["spend"]) == 0 and Decimal(prev["revenue"]) == 0:
        return "The previous week has no recorded results, so there is nothing to compare with yet."
    leads, spend = changes["leads"], changes["spend"]
    if spend["direction"] == "up" and leads["direction"] in ("down", "flat"):
        fell = f"leads fell {_pct(leads)}" if leads["direction"] == "down" else "leads stayed flat"
        return f"Spend rose {_pct(spend)} but {fell} ({prev['leads']} → {facts['totals']['leads']}): the extra budget did not bring more leads."
    if spend["direction"] == "down" and leads["direction"] == "up":
        return (
            f"Spend fell {_pct(spend)} while leads rose {_pct(leads)}: more leads for less money."
        )
    if spend["direction"] == "up" and leads["direction"] == "up":
        return (
            f"Leads rose {_pct(leads)} ({prev['leads']} → {facts['totals']['leads']}) "
            f"on {_pct(spend)} more spend."
        )
    if leads["direction"] in ("up", "down"):
        verb = "rose" if leads["direction"] == "up" else "fell"
        return f"Leads {verb} {_pct(leads)} on the previous week ({prev['leads']} → {facts['totals']['leads']})."
    if leads["direction"] == "new":
        return f"Leads went from none the previous week to {facts['totals']['leads']}."
    return f"Leads held steady at {facts['totals']['leads']}, the same as the previous week."


def _cost_range(priced: list[dict]) -> str | None:
    if len(priced) < 2:
        return None
    best = min(priced, key=lambda c: (Decimal(c["cost_per_lead"]), c["channel"]))
    worst = max(priced, key=lambda c: (Decimal(c["cost_per_lead"]), c["channel"]))
    if best["cost_per_lead"] == worst["cost_per_lead"]:
        return None
    return (
        f"Cost per lead ranged from {money(best['cost_per_lead'])} ({best['label']}) "
        f"to {money(worst['cost_per_lead'])} ({worst['label']})."
    )


def _insights(facts: dict) -> list[str]:
    totals, channels = facts["totals"], facts["channels"]
    out = [_headline(totals)]
    for line in (_top_channel(facts), _trend(facts), _cost_range(_with_leads_and_spend(channels))):
        if line:
            out.append(line)
    wasted = [c for c in channels if Decimal(c["spend"]) > 0 and c["leads"] == 0]
    for c in wasted[:2]:
        out.append(f"{c['label']} spent {money(c['spend'])} and no lead in the inbox came from it.")
    best = facts.get("best_day")
    if best and best["leads"] > 1 and len(out) < MAX_ITEMS:
        out.append(f"{_day_name(best['day'])} was the busiest day, with {best['leads']} leads.")
    other = facts["unattributed_leads"]
    if other and len(out) < MAX_ITEMS:
        noun = "lead was" if other == 1 else "leads were"
        out.append(
            f"{other} {noun} not linked to a campaign (website form, import or API without a campaign)."
        )
    return out[:MAX_ITEMS]


def _recommendations(facts: dict) -> list[str]:
    totals, channels = facts["totals"], facts["channels"]
    out = _budget_moves(channels) + _revenue_advice(totals, channels)
    changes = facts["changes"]
    if changes["spend"]["direction"] == "up" and changes["leads"]["direction"] == "down":
        out.append(
            "Hold budgets steady until leads recover: the last increase in spend did not pay off."
        )
    other = facts["unattributed_leads"]
    if other and totals["leads"] and other * 10 >= totals["leads"] * 3:
        out.append(
            f"Tag incoming leads with their campaign ({other} of {totals['leads']} were not linked) "
            "so each channel gets credit for what it brings."
        )
    if not out:
        top = next((c for c in channels if c["channel"] == facts["top_channel"]), None)
        if top:
            out.append(
                f"Keep the current mix: {top['label']} is leading and no channel is wasting budget."
            )
    return out[:MAX_ITEMS]


def _budget_moves(channels: list[dict]) -> list[str]:
    """From the dearest leads to the cheapest, and a look at channels that spent for none."""
    out: list[str] = []
    priced = _with_leads_and_spend(channels)
    if len(priced) > 1:
        best = min(priced, key=lambda c: (Decimal(c["cost_per_lead"]), c["channel"]))
        worst = max(priced, key=lambda c: (Decimal(c["cost_per_lead"]), c["channel"]))
        if Decimal(best["cost_per_lead"]) * Decimal("1.3") <= Decimal(worst["cost_per_lead"]):
            out.append(
                f"Move budget from {worst['label']} ({money(worst['cost_per_lead'])} per lead) toward "
                f"{best['label']} ({money(best['cost_per_lead'])} per lead)."
            )
    for c in (c for c in channels if Decimal(c["spend"]) > 0 and c["leads"] == 0):
        out.append(
            f"Check the tracking of {c['label']} or pause it: it spent {money(c['spend'])} "
            "this week without a lead reaching the inbox."
        )
    return out


def _revenue_advice(totals: dict, channels: list[dict]) -> list[str]:
    """What the week's revenue against its spend suggests, overall and per channel."""
    out: list[str] = []
    spend, revenue = Decimal(totals["spend"]), Decimal(totals["revenue"])
    if spend > 0 and revenue == 0:
        out.append(
            "Record revenue with your campaign results (the revenue column of the CSV or API) so ROI can be measured."
        )
    elif spend > 0 and revenue < spend:
        earners = [c for c in channels if c["roi"] is not None and Decimal(c["roi"]) >= 1]
        if earners:
            names = ", ".join(f"{c['label']} ({ratio(c['roi'])})" for c in earners[:3])
            out.append(
                f"Revenue did not cover spend this week: favour the channels that paid for themselves: {names}."
            )
        else:
            out.append(
                f"Revenue ({money(revenue)}) did not cover spend ({money(spend)}) on any channel: "
                "review your offer and landing pages before raising budgets."
            )
    if revenue >= spend > 0:
        losers = [  # channels with no lead at all are flagged above
            c
            for c in channels
            if c["leads"] and c["roi"] is not None and Decimal(c["roi"]) < Decimal("0.5")
        ]
        for c in losers[:2]:
            out.append(
                f"{c['label']} brought back only {money(Decimal(c['roi']))} per $1 spent: "
                "trim its budget or refresh its ads and offer."
            )
    return out


def builtin_insights(facts: dict) -> dict:
    """Insights and recommendations derived from the week's facts, without any model.

    Returns {"insights": [str, …], "recommendations": [str, …]}, each list non-empty.
    """
    totals = facts["totals"]
    if totals["leads"] == 0 and Decimal(totals["spend"]) == 0 and Decimal(totals["revenue"]) == 0:
        return {
            "insights": [
                f"No leads, spend or revenue were recorded for the week of {_day_name(facts['week_start'])}."
            ],
            "recommendations": [
                "Import your ad platforms' daily results (CSV) and send leads to the inbox "
                "(website form, import or API) so the next report has numbers to work with."
            ],
        }
    return {"insights": _insights(facts), "recommendations": _recommendations(facts)}


def clean_insights(data: object) -> dict | None:
    """A model's answer as the report stores it (InsightsAnswer: one line per item), or None
    when it does not fit."""
    try:
        return InsightsAnswer.model_validate(data).model_dump()
    except ValidationError:
        return None
