"""The AI layer (DESIGN invariant 5): structured answers, from OpenAI when it is configured
and affordable, else from a built-in deterministic function. Every call is recorded.

`complete_json` is the one entry point. With `OPENAI_API_KEY` set and the workspace's AI
spend this month below its budget, it asks the `openai` client for a JSON object, validates
it against a small JSON-Schema subset, retries an invalid answer once, and otherwise falls
back to the caller's `builtin` function, saying why in the activity log. Without a key the
builtin answers directly. Each attempt (builtin included) is an `AiCall` row with tokens,
cost and latency, which is what the monthly AI budget is measured on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openai
from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.db_setup import begin_write
from webapp.models import ActivityLog, AiCall, AutopilotConfig, Organization

log = logging.getLogger(__name__)

BUILTIN_MODEL = "builtin-planner-1"
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_SECONDS = 30
DEFAULT_AI_BUDGET = Decimal("10.00")

# Error classes (shared vocabulary with the resilience layer), kept in AiCall.error.
THIRD_PARTY_AUTH_FAILED = "THIRD_PARTY_AUTH_FAILED"
RATE_LIMITED = "RATE_LIMITED"
TRANSIENT_NETWORK = "TRANSIENT_NETWORK"
CONFIGURATION_ERROR = "CONFIGURATION_ERROR"
INVALID_OUTPUT = "INVALID_OUTPUT"

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

REASONS = {
    THIRD_PARTY_AUTH_FAILED: "OpenAI refused the API key; check OPENAI_API_KEY",
    RATE_LIMITED: "OpenAI is rate-limiting this API key; it will be tried again on the next call",
    TRANSIENT_NETWORK: "OpenAI could not be reached (timeout, connection or server error)",
    CONFIGURATION_ERROR: "OpenAI rejected the request; check OPENAI_MODEL and OPENAI_BASE_URL",
}


@dataclass(frozen=True)
class AiResult:
    data: dict  # validated structured output
    provider: str  # "builtin" | "openai"
    model: str  # BUILTIN_MODEL or the OpenAI model name
    fallback_reason: str | None  # why builtin was used although openai is configured, else None


@dataclass(frozen=True)
class AiSettings:
    api_key: str | None
    base_url: str | None
    model: str
    timeout: float

    @property
    def provider(self) -> str:
        return "openai" if self.api_key else "builtin"


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


# --- schema validation (a small JSON-Schema subset) -----------------------------------------


class SchemaError(ValueError):
    """A value does not match its schema; the message lists the problems."""


_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "null": lambda v: v is None,
}


def schema_errors(value: object, schema: Mapping, path: str = "$") -> list[str]:
    """Every way `value` breaks `schema` (type, properties, required, items, enum, minimum,
    maximum, minItems, maxItems, minLength, maxLength), as readable strings."""
    expected = schema.get("type")
    if expected is not None:
        kinds = expected if isinstance(expected, list) else [expected]
        if not any(_TYPES[k](value) for k in kinds):
            return [f"{path} should be {' or '.join(kinds)}, got {type(value).__name__}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path} should be one of {', '.join(map(str, schema['enum']))}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path} should be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path} should be at most {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value.strip()) < schema["minLength"]:
            problems.append(f"{path} should have at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path} should have at most {schema['maxLength']} characters")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}.{name} is missing")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems.extend(schema_errors(value[name], sub, f"{path}.{name}"))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{path} should have at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path} should have at most {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                problems.extend(schema_errors(item, schema["items"], f"{path}[{i}]"))
    return problems


def validate(value: object, schema: Mapping) -> None:
    """Raise SchemaError naming the first few problems when `value` does not match."""
    problems = schema_errors(value, schema)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise SchemaError("; ".join(problems[:5]) + more)


# --- settings, prices, usage ----------------------------------------------------------------


def ai_settings(config: Mapping | None = None) -> AiSettings:
    """The deploy's AI settings from `config`, else the current app's config, else defaults."""
    if config is None:
        config = current_app.config if has_app_context() else {}
    return AiSettings(
        api_key=config.get("OPENAI_API_KEY") or None,
        base_url=config.get("OPENAI_BASE_URL") or None,
        model=config.get("OPENAI_MODEL") or DEFAULT_MODEL,
        timeout=float(config.get("OPENAI_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
    )


def ai_settings_for(org_id: int | None, config: Mapping | None = None) -> AiSettings:
    """The workspace's AI settings: its own OpenAI key (Settings → Integrations) when it has
    one, else the deploy's. One small query on a short connection of its own."""
    base = ai_settings(config)
    from webapp.services.credentials import workspace_values

    own = workspace_values(org_id, "openai")
    if not own:
        return base
    return AiSettings(
        api_key=own["api_key"],
        base_url=own.get("base_url") or None,
        model=own.get("model") or base.model,
        timeout=base.timeout,
    )


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
    budget = None
    if org_id:
        budget = session.scalar(
            select(AutopilotConfig.ai_monthly_budget).where(AutopilotConfig.org_id == org_id)
        )
    return AiUsage(
        calls=int(calls),
        tokens_in=int(tokens_in),
        tokens_out=int(tokens_out),
        cost_usd=Decimal(str(cost)).quantize(Decimal("0.000001")),
        budget_usd=DEFAULT_AI_BUDGET if budget is None else Decimal(budget),
        month_start=start,
    )


def classify_openai_error(exc: BaseException) -> str:
    """The error class of an exception raised by the `openai` client."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return TRANSIENT_NETWORK
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            return THIRD_PARTY_AUTH_FAILED
        if status == 429:
            return RATE_LIMITED
        if status >= 500 or status == 408:
            return TRANSIENT_NETWORK
    return CONFIGURATION_ERROR


# --- the entry point ------------------------------------------------------------------------


@dataclass
class _Attempt:
    ok: bool
    latency_ms: int
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = None


@dataclass
class _Outcome:
    data: dict | None = None
    reason: str | None = None
    error_class: str | None = None
    attempts: list[_Attempt] = field(default_factory=list)


def complete_json(
    session: Session,
    org_id: int | None,
    *,
    purpose: str,
    system: str,
    prompt: str,
    schema: dict,
    builtin: Callable[[], dict],
    now: datetime,
    config: Mapping | None = None,
) -> AiResult:
    """A JSON object matching `schema` for `prompt`, by OpenAI or by `builtin`.

    Writes AiCall rows (and activity rows on fallback) in the caller's session and flushes.
    Call it with no transaction open (commit first): then no lock or snapshot spans the
    network call (DESIGN: never hold a write transaction across a provider call). Inside a
    caller's transaction it still works, but that transaction stays open while OpenAI answers.
    Raises SchemaError only when `builtin` itself returns a value that breaks the schema.
    """
    settings = ai_settings_for(org_id, config)
    plain = _session(session)
    # With no transaction of the caller's open, the transactions here are ours: on SQLite
    # they start as write transactions (a deferred one that reads, then writes after
    # another writer committed, fails), and none of them stays open across the network call.
    ours = not plain.in_transaction() and not (plain.new or plain.dirty or plain.deleted)
    if ours:
        begin_write(plain)
    reason = None
    if settings.api_key:
        usage = monthly_usage(session, org_id, now)
        if usage.exhausted:
            reason = (
                f"this month's AI budget of ${usage.budget_usd:.2f} is spent "
                f"(${usage.cost_usd:.2f} used)"
            )
            _notice_budget(session, org_id, usage, now)
        else:
            if ours:
                plain.rollback()  # only our own reads were in it
            outcome = _ask_openai(settings, system, prompt, schema)
            if ours:
                begin_write(plain)
            rows = [
                _record(session, org_id, purpose, "openai", settings.model, a, now)
                for a in outcome.attempts
            ]
            if outcome.data is not None:
                return AiResult(outcome.data, "openai", settings.model, None)
            reason = outcome.reason
            _log_fallback(session, org_id, purpose, settings.model, outcome, rows[-1], now)
    return _run_builtin(session, org_id, purpose, schema, builtin, now, reason)


def provider_label(config: Mapping | None = None, org_id: int | None = None) -> str:
    """In words, which provider writes: for settings pages."""
    settings = ai_settings_for(org_id, config)
    if settings.api_key:
        return f"OpenAI ({settings.model})"
    return "the built-in planner (no OpenAI key configured)"


def _session(session: Session) -> Session:
    return session() if hasattr(session, "registry") else session  # scoped_session → Session


def _ask_openai(settings: AiSettings, system: str, prompt: str, schema: dict) -> _Outcome:
    """Up to two attempts: the second only when the first answer was invalid."""
    kwargs: dict = {"api_key": settings.api_key, "timeout": settings.timeout, "max_retries": 0}
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    client = openai.OpenAI(**kwargs)
    instructions = (
        f"{system}\n\nAnswer with one JSON object, and nothing else, that matches this JSON Schema:\n"
        f"{json.dumps(schema, separators=(',', ':'))}"
    )
    messages = [{"role": "system", "content": instructions}, {"role": "user", "content": prompt}]
    outcome = _Outcome()
    for attempt in (1, 2):
        started = time.monotonic()
        try:
            response = client.chat.completions.create(
                model=settings.model, messages=messages, response_format={"type": "json_object"}
            )
        except openai.OpenAIError as exc:
            error_class = classify_openai_error(exc)
            detail = _scrub(str(exc), settings.api_key)
            outcome.attempts.append(
                _Attempt(False, _ms(started), error=f"{error_class}: {detail}"[:1000])
            )
            outcome.reason, outcome.error_class = REASONS[error_class], error_class
            return outcome
        usage = response.usage
        tokens = (
            getattr(usage, "prompt_tokens", 0) or 0,
            getattr(usage, "completion_tokens", 0) or 0,
        )
        text = response.choices[0].message.content if response.choices else None
        try:
            data = json.loads(text or "")
            validate(data, schema)
        except (ValueError, TypeError) as exc:
            problem = str(exc) if isinstance(exc, SchemaError) else f"not JSON ({exc})"
            outcome.attempts.append(
                _Attempt(False, _ms(started), *tokens, f"{INVALID_OUTPUT}: {problem}"[:1000])
            )
            if attempt == 1:
                messages += [
                    {"role": "assistant", "content": text or ""},
                    {
                        "role": "user",
                        "content": f"That answer was not valid: {problem}. "
                        "Reply again with only a JSON object that matches the schema.",
                    },
                ]
                continue
            outcome.reason = f"OpenAI's answer did not match the expected format twice ({problem})"
            outcome.error_class = INVALID_OUTPUT
            return outcome
        outcome.attempts.append(_Attempt(True, _ms(started), *tokens))
        outcome.data = data
        return outcome
    return outcome  # pragma: no cover (the loop always returns)


def _run_builtin(
    session: Session,
    org_id: int | None,
    purpose: str,
    schema: dict,
    builtin: Callable[[], dict],
    now: datetime,
    reason: str | None,
) -> AiResult:
    started = time.monotonic()
    data = builtin()
    validate(data, schema)  # a broken builtin is a bug: fail loudly
    _record(session, org_id, purpose, "builtin", BUILTIN_MODEL, _Attempt(True, _ms(started)), now)
    return AiResult(data, "builtin", BUILTIN_MODEL, reason)


def _record(
    session: Session,
    org_id: int | None,
    purpose: str,
    provider: str,
    model: str,
    attempt: _Attempt,
    now: datetime,
) -> AiCall:
    row = AiCall(
        org_id=org_id,
        purpose=purpose,
        provider=provider,
        model=model,
        tokens_in=attempt.tokens_in,
        tokens_out=attempt.tokens_out,
        cost_usd=cost_usd(model, attempt.tokens_in, attempt.tokens_out)
        if provider == "openai"
        else Decimal("0"),
        latency_ms=attempt.latency_ms,
        ok=attempt.ok,
        error=attempt.error,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _log_fallback(
    session: Session,
    org_id: int | None,
    purpose: str,
    model: str,
    outcome: _Outcome,
    last: AiCall,
    now: datetime,
) -> None:
    words = purpose.replace("_", " ")
    description = (
        f"The built-in planner wrote the {words} instead of OpenAI ({model}): {outcome.reason}."
    )
    log.warning("AI fallback for workspace %s, %s: %s", org_id, purpose, outcome.reason)
    if org_id:
        session.add(
            ActivityLog(
                org_id=org_id,
                type="ai.fallback",
                description=description,
                entity_type="ai_call",
                entity_id=str(last.id),
                actor_id=None,
                created_at=now,
                details={
                    "purpose": purpose,
                    "model": model,
                    "error_class": outcome.error_class,
                    "attempts": len(outcome.attempts),
                    "error": last.error,
                },
            )
        )
        session.flush()


def _notice_budget(session: Session, org_id: int | None, usage: AiUsage, now: datetime) -> None:
    """Say once per workspace and month that the AI budget is spent."""
    if not org_id:
        log.warning("AI budget for system calls is spent this month; using the built-in planner")
        return
    already = session.scalar(
        select(ActivityLog.id)
        .where(
            ActivityLog.org_id == org_id,
            ActivityLog.type == "ai.budget_exhausted",
            ActivityLog.created_at >= usage.month_start,
        )
        .limit(1)
    )
    if already:
        return
    session.add(
        ActivityLog(
            org_id=org_id,
            type="ai.budget_exhausted",
            actor_id=None,
            created_at=now,
            description=(
                f"This month's AI budget (${usage.budget_usd:.2f}) is spent: ${usage.cost_usd:.2f} used "
                f"in {usage.calls} calls. The built-in planner writes until the month ends, "
                "or until an owner raises the budget on the Autopilot page."
            ),
            details={
                "budget_usd": str(usage.budget_usd),
                "spent_usd": str(usage.cost_usd),
                "calls": usage.calls,
            },
        )
    )
    session.flush()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _scrub(text: str, secret: str | None) -> str:
    """Never let the API key reach a log, a row or a page."""
    return text.replace(secret, "***") if secret else text
