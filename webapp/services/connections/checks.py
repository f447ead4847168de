""" "Test connection" for a workspace's integrations: a real, harmless call to each provider.

- SMTP: connect, EHLO, STARTTLS and sign-in as configured, NOOP, QUIT (no mail is sent).
- Twilio: fetch the account through the `twilio` client.
- OpenAI: a one-word chat completion through the `openai` client (no retries).

The probes are the adapters' (`smtp.probe`, `messaging.probe_account`, `openai.probe`);
this module picks the settings, times the probe and records what it said.

The settings tested are the ones the adapters use: the workspace's own credentials, else
the deployment's. Failures are classified by the adapters' own classifiers and come back
with the fix for their class; the outcome is recorded on the (workspace, provider) health
record (the circuit breaker row), and as an activity row. Secrets never appear in a summary.

Call `test_connection` with no write transaction open on `session` (commit first): the
credentials are read and the outcome recorded on short connections of their own, and no
transaction is held across the network call. The activity row is added to `session` after
the call (flushed, not committed).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.integrations import openai
from webapp.integrations.email import smtp
from webapp.integrations.resilience import (
    FIXES,
    Breaker,
    ErrorClass,
    IntegrationError,
    ProbeFailed,
)
from webapp.integrations.twilio import messaging
from webapp.models import User
from webapp.services.activity import log_activity
from webapp.services.ads import ads_probe
from webapp.services.ai import ai_settings_for, record_call
from webapp.services.connections.channels import smtp_settings, twilio_settings
from webapp.services.connections.credentials import (
    LABELS,
    UNDECRYPTABLE,
    CredentialsError,
    load_credentials,
)
from webapp.services.connections.holds import resume_email

OPENAI_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_\-*.]{3,}")
NOT_CONFIGURED = {
    "smtp": "No mail server is configured: email goes to the local outbox. Enter your SMTP server to send real email.",
    "twilio": "No Twilio account is configured: SMS and WhatsApp go to the local outbox. Enter your Twilio account to send real messages.",
    "openai": "No OpenAI key is configured: the built-in writer writes. Enter an API key to use OpenAI.",
    "google_ads": "No Google Ads account is connected: results come from uploads. Enter your Google Ads credentials to pull results and push budgets.",
    "meta_ads": "No Meta ad account is connected: results come from uploads. Enter your Meta credentials to pull results and push budgets.",
}
# Saved values never shown in a summary (every provider's secrets).
SECRET_KEYS = (
    "password", "auth_token", "api_key", "developer_token", "client_secret",
    "refresh_token", "app_secret", "access_token",
)  # fmt: skip
# What to check when the test itself (not a send) fails this way, after the general fix.
CHECK = {
    (
        "smtp",
        ErrorClass.INTEGRATION_OFFLINE,
    ): "Check the server name and port, and that the server accepts connections.",
    (
        "smtp",
        ErrorClass.CONFIGURATION_ERROR,
    ): "Check the server name, port and security setting with your email provider.",
    (
        "twilio",
        ErrorClass.CONFIGURATION_ERROR,
    ): "Check the Account SID and that the account is active in your Twilio console.",
    ("openai", ErrorClass.CONFIGURATION_ERROR): "Check the model name and the API base URL.",
}
UNDECRYPTABLE_FIX = (
    "Add the key that encrypted them to CREDENTIALS_KEY (after the current one), "
    "or enter the credentials again and save."
)


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    summary: str  # what worked, or what failed and why; never a secret
    error_class: str | None = None
    fix: str = ""
    duration_ms: int = 0
    tested: bool = True  # False when there was nothing to test (not configured, undecryptable)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return OPENAI_KEY_LIKE.sub("sk-***", text)


# --- the entry point -------------------------------------------------------------------------


def test_connection(
    session: Session, org_id: int, provider: str, *, now: datetime, actor_id: int | None = None
) -> ConnectionResult:
    """Try the workspace's `provider` for real and say what worked or what failed and why.

    Raises RuntimeError when `session` has a transaction open: commit (or roll back) first.
    """
    plain = session() if hasattr(session, "registry") else session  # scoped_session → Session
    if plain.in_transaction():
        raise RuntimeError(
            "test_connection needs the caller's transaction ended first: no transaction may span the "
            "provider call, and the outcome is recorded on connections of its own"
        )
    engine = session.get_bind()
    try:
        own = load_credentials(engine, org_id, provider)
    except CredentialsError:
        result = ConnectionResult(
            False,
            f"{LABELS[provider]}: {UNDECRYPTABLE}.",
            str(ErrorClass.CONFIGURATION_ERROR),
            UNDECRYPTABLE_FIX,
            tested=False,
        )
        return _finish(session, org_id, provider, result, now=now, actor_id=actor_id)
    secrets = [v for k, v in (own or {}).items() if k in SECRET_KEYS]
    usage: dict[str, int] = {}
    probe, secret, model = _prepare(provider, org_id, usage)
    secrets.append(secret)
    if probe is None:
        result = ConnectionResult(False, NOT_CONFIGURED[provider], None, "", tested=False)
        return _finish(session, org_id, provider, result, now=now, actor_id=actor_id)

    breaker = Breaker(engine, org_id, provider)
    started = time.monotonic()
    try:
        summary = probe()
    except ProbeFailed as failed:
        ms = int((time.monotonic() - started) * 1000)
        result = _failure(breaker, provider, failed, secrets, ms, now)
    else:
        ms = int((time.monotonic() - started) * 1000)
        breaker.record_success(now, ms)
        result = ConnectionResult(True, _scrub(summary, secrets), None, "", ms)
    if provider == "openai":
        _record_ai_call(
            session, org_id, model, result, (usage.get("in", 0), usage.get("out", 0)), now
        )
    return _finish(session, org_id, provider, result, now=now, actor_id=actor_id)


def _failure(
    breaker: Breaker,
    provider: str,
    failed: ProbeFailed,
    secrets: list[str],
    ms: int,
    now: datetime,
) -> ConnectionResult:
    """Record a failed test on the health record and say what worked, what failed, the fix."""
    # The health record is shown on the health page and in its issues: scrubbed too.
    recorded = IntegrationError(
        _scrub(str(failed.error), secrets),
        failed.error.error_class,
        retry_after=failed.error.retry_after,
        provider_code=failed.error.provider_code,
    )
    breaker.record_failure(now, recorded, ms)
    worked = (
        (", ".join(failed.done)[:1].upper() + ", ".join(failed.done)[1:] + "; then ")
        if failed.done
        else ""
    )
    summary = _scrub(f"{worked}failed while {failed.step}: {failed.error}", secrets)
    summary = summary[:1].upper() + summary[1:]
    error_class = failed.error.error_class
    fix = " ".join(filter(None, [FIXES[error_class], CHECK.get((provider, error_class))]))
    return ConnectionResult(False, summary, str(error_class), fix, ms)


def _prepare(
    provider: str, org_id: int, usage: dict[str, int]
) -> tuple[Callable[[], str] | None, str, str]:
    """(the probe, or None when nothing is configured; the secret in use; the AI model)."""
    if provider == "smtp":
        server = smtp_settings(org_id)
        return (
            ((lambda: smtp.probe(server)) if server else None),
            (server.password or "") if server else "",
            "",
        )
    if provider == "twilio":
        twilio = twilio_settings(org_id)
        return (
            ((lambda: messaging.probe_account(twilio)) if twilio else None),
            twilio.auth_token if twilio else "",
            "",
        )
    if provider == "openai":
        settings = ai_settings_for(org_id)

        def probe() -> str:
            text, usage["in"], usage["out"] = openai.probe(settings)
            return text

        return (probe if settings.api_key else None), settings.api_key or "", settings.model
    if provider in ("google_ads", "meta_ads"):
        return ads_probe(org_id, provider), "", ""
    raise ValueError(f"unknown provider {provider!r}")


def _record_ai_call(
    session: Session,
    org_id: int,
    model: str,
    result: ConnectionResult,
    tokens: tuple[int, int],
    now: datetime,
) -> None:
    begin_write(session)
    record_call(
        session,
        org_id,
        "connection_test",
        "openai",
        model,
        ok=result.ok,
        latency_ms=result.duration_ms,
        now=now,
        tokens=tokens,
        error=None if result.ok else f"{result.error_class}: {result.summary}"[:1000],
    )


def _finish(
    session: Session,
    org_id: int,
    provider: str,
    result: ConnectionResult,
    *,
    now: datetime,
    actor_id: int | None,
) -> ConnectionResult:
    begin_write(session)
    if result.ok and provider == "smtp":  # a hold on the workspace's email ends now
        resume_email(session, org_id, now=now)
    user = session.get(User, actor_id) if actor_id else None
    who = f" by {user.name}" if user else ""
    if result.ok:
        words = "worked"
    elif not result.tested:
        words = "could not run: " + result.summary.rstrip(".")
    else:
        words = f"failed ({result.error_class})"
    log_activity(
        session,
        org_id,
        "integration.connection_tested",
        f"{LABELS[provider]} connection test{who} {words}.",
        now=now,
        entity=("integration", provider),
        actor_id=actor_id,
        details={
            "provider": provider,
            "ok": result.ok,
            "error_class": result.error_class,
            "summary": result.summary,
            "duration_ms": result.duration_ms,
        },
    )
    return result
