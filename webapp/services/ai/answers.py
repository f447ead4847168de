"""Structured answers for the autopilot's writers (plans, insights, coach messages): from
OpenAI when it is configured and affordable, else from the caller's built-in function.

`complete_json` is the one entry point. With an OpenAI key (the workspace's own, else the
deployment's) and the workspace's AI spend this month below its budget, it asks OpenAI
through the adapter (`integrations.openai.ask_json`: JSON validated, an invalid answer
retried once); otherwise, or when OpenAI fails, the `builtin` answers, and the activity log
says why. Every attempt (builtin included) is an AiCall row with tokens, cost and latency,
which is what the monthly budget is measured on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.integrations.openai import (
    AiSettings,
    Outcome,
    SchemaError,
    ai_settings,
    ask_json,
    schema_errors,
    validate,
)
from webapp.models import ActivityLog, AiCall
from webapp.services.ai.budget import notice_budget, spent_reason
from webapp.services.ai.usage import monthly_usage, record_call
from webapp.services.connections import workspace_values

__all__ = [
    "BUILTIN_MODEL",
    "AiResult",
    "SchemaError",
    "ai_settings_for",
    "complete_json",
    "provider_label",
    "schema_errors",
    "validate",
]

log = logging.getLogger(__name__)

BUILTIN_MODEL = "builtin-planner-1"


@dataclass(frozen=True)
class AiResult:
    data: dict  # validated structured output
    provider: str  # "builtin" | "openai"
    model: str  # BUILTIN_MODEL or the OpenAI model name
    fallback_reason: str | None  # why builtin was used although openai is configured, else None


def ai_settings_for(org_id: int | None, config: Mapping | None = None) -> AiSettings:
    """The workspace's AI settings: its own OpenAI key (Settings → Integrations) when it has
    one, else the deployment's. One small query on a short connection of its own."""
    if config is None:
        config = current_app.config if has_app_context() else {}
    return ai_settings(workspace_values(org_id, "openai"), config)


def provider_label(config: Mapping | None = None, org_id: int | None = None) -> str:
    """In words, which provider writes: for settings pages."""
    settings = ai_settings_for(org_id, config)
    if settings.api_key:
        return f"OpenAI ({settings.model})"
    return "the built-in planner (no OpenAI key configured)"


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
    tuning: Mapping | None = None,
) -> AiResult:
    """A JSON object matching `schema` for `prompt`, by OpenAI (with `tuning`) or by `builtin`.

    Writes AiCall rows (and activity rows on fallback) in the caller's session and flushes.
    Call it with no transaction open (commit first): then no lock or snapshot spans the
    network call (DESIGN: never hold a write transaction across a provider call). Inside a
    caller's transaction it still works, but that transaction stays open while OpenAI answers.
    Raises SchemaError only when `builtin` itself returns a value that breaks the schema."""
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
            reason = spent_reason(usage)
            notice_budget(session, org_id, usage, now)
        else:
            if ours:
                plain.rollback()  # only our own reads were in it
            outcome = ask_json(settings, system, prompt, schema, tuning)
            if ours:
                begin_write(plain)
            rows = [
                record_call(
                    session,
                    org_id,
                    purpose,
                    "openai",
                    settings.model,
                    ok=a.ok,
                    latency_ms=a.latency_ms,
                    now=now,
                    tokens=(a.tokens_in, a.tokens_out),
                    error=a.error,
                )
                for a in outcome.attempts
            ]
            if outcome.data is not None:
                return AiResult(outcome.data, "openai", settings.model, None)
            reason = outcome.reason
            _log_fallback(session, org_id, purpose, settings.model, outcome, rows[-1], now)
    return _run_builtin(session, org_id, purpose, schema, builtin, now, reason)


def _session(session: Session) -> Session:
    return session() if hasattr(session, "registry") else session  # scoped_session → Session


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
    latency_ms = int((time.monotonic() - started) * 1000)
    record_call(
        session, org_id, purpose, "builtin", BUILTIN_MODEL, ok=True, latency_ms=latency_ms, now=now
    )
    return AiResult(data, "builtin", BUILTIN_MODEL, reason)


def _log_fallback(
    session: Session,
    org_id: int | None,
    purpose: str,
    model: str,
    outcome: Outcome,
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
