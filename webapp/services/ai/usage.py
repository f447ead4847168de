"""What the workspace's AI use costs: one AiCall row per attempt (builtin included), priced
from a per-model table, and the sums of the current calendar month that the budget is
measured on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import AiCall, Organization
from webapp.services.ai.budget import budget_for

# USD per 1M tokens (input, output); the longest matching prefix of the model name wins.
# An unknown model is priced like gpt-4o, so the monthly budget still protects the workspace.
PRICES_PER_1M: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4-turbo": (Decimal("10.00"), Decimal("30.00")),
    "gpt-3.5-turbo": (Decimal("0.50"), Decimal("1.50")),
    "gpt-5-nano": (Decimal("0.05"), Decimal("0.40")),
    "gpt-5-mini": (Decimal("0.25"), Decimal("2.00")),
    "gpt-5": (Decimal("1.25"), Decimal("10.00")),
    "o3-mini": (Decimal("1.10"), Decimal("4.40")),
    "o4-mini": (Decimal("1.10"), Decimal("4.40")),
}
UNKNOWN_MODEL_PRICE = PRICES_PER_1M["gpt-4o"]


@dataclass(frozen=True)
class AiUsage:
    """A workspace's AI use in the current calendar month (its own time zone)."""

    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    budget_usd: Decimal
    month_start: datetime

    @property
    def exhausted(self) -> bool:
        return self.cost_usd >= self.budget_usd


def cost_usd(model: str, tokens_in: int, tokens_out: int) -> Decimal:
    """What one call costs, from the per-model price table (USD, 6 decimals)."""
    matches = [name for name in PRICES_PER_1M if model.startswith(name)]
    price_in, price_out = PRICES_PER_1M[max(matches, key=len)] if matches else UNKNOWN_MODEL_PRICE
    total = (price_in * tokens_in + price_out * tokens_out) / Decimal(1_000_000)
    return total.quantize(Decimal("0.000001"))


def month_start(session: Session, org_id: int | None, now: datetime) -> datetime:
    """The first instant (UTC) of `now`'s calendar month in the workspace's time zone."""
    zone = (
        session.scalar(select(Organization.timezone).where(Organization.id == org_id))
        if org_id
        else None
    )
    local = now.astimezone(ZoneInfo(zone or "UTC"))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def monthly_usage(session: Session, org_id: int | None, now: datetime) -> AiUsage:
    """Calls, tokens and cost of this calendar month, with the workspace's AI budget."""
    start = month_start(session, org_id, now)
    owner = AiCall.org_id == org_id if org_id else AiCall.org_id.is_(None)
    calls, tokens_in, tokens_out, cost = session.execute(
        select(
            func.count(AiCall.id),
            func.coalesce(func.sum(AiCall.tokens_in), 0),
            func.coalesce(func.sum(AiCall.tokens_out), 0),
            func.coalesce(func.sum(AiCall.cost_usd), 0),
        ).where(owner, AiCall.created_at >= start, AiCall.created_at <= now)
    ).one()
    return AiUsage(
        calls=int(calls),
        tokens_in=int(tokens_in),
        tokens_out=int(tokens_out),
        cost_usd=Decimal(str(cost)).quantize(Decimal("0.000001")),
        budget_usd=budget_for(session, org_id),
        month_start=start,
    )


def record_call(
    session: Session,
    org_id: int | None,
    purpose: str,
    provider: str,
    model: str,
    *,
    ok: bool,
    latency_ms: int,
    now: datetime,
    tokens: tuple[int, int] = (0, 0),
    error: str | None = None,
) -> AiCall:
    """The AiCall row of one attempt, priced (OpenAI only; the builtin costs nothing), flushed."""
    row = AiCall(
        org_id=org_id,
        purpose=purpose,
        provider=provider,
        model=model,
        tokens_in=tokens[0],
        tokens_out=tokens[1],
        cost_usd=cost_usd(model, *tokens) if provider == "openai" else Decimal("0"),
        latency_ms=latency_ms,
        ok=ok,
        error=error,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
