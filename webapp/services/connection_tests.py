""" "Test connection" for a workspace's integrations: a real, harmless call to each provider.

- SMTP: connect, EHLO, STARTTLS and sign-in as configured, NOOP, QUIT (no mail is sent).
- Twilio: fetch the account through the `twilio` client.
- OpenAI: a one-word chat completion through the `openai` client (no retries).

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
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import openai
from sqlalchemy.orm import Session
from twilio.rest import Client

from webapp.db_setup import begin_write
from webapp.integrations import ai
from webapp.integrations.email import SmtpSettings, classify_smtp_error, smtp_settings
from webapp.integrations.resilience import FIXES, Breaker, ErrorClass, IntegrationError
from webapp.integrations.sms import (
    RoutingHttpClient,
    TwilioSettings,
    classify_twilio_error,
    twilio_settings,
)
from webapp.models import AiCall, User
from webapp.services.activity import log_activity
from webapp.services.credentials import LABELS, UNDECRYPTABLE, CredentialsError, load_credentials

OPENAI_KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_\-*.]{3,}")
NOT_CONFIGURED = {
    "smtp": "No mail server is configured: email goes to the local outbox. Enter your SMTP server to send real email.",
    "twilio": "No Twilio account is configured: SMS and WhatsApp go to the local outbox. Enter your Twilio account to send real messages.",
    "openai": "No OpenAI key is configured: the built-in writer writes. Enter an API key to use OpenAI.",
}
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


class _Failed(Exception):
    """A probe step failed: `done` is what had worked before it, `step` what was being tried."""

    def __init__(self, step: str, done: list[str], error: IntegrationError) -> None:
        super().__init__(str(error))
        self.step, self.done, self.error = step, done, error


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return OPENAI_KEY_LIKE.sub("sk-***", text)


# --- probes --------------------------------------------------------------------------------


def _probe_smtp(s: SmtpSettings) -> str:
    done: list[str] = []
    step = f"connecting to {s.host}:{s.port}"
    smtp: smtplib.SMTP | None = None
    try:
        context = ssl.create_default_context()
        if s.use_ssl:
            smtp = smtplib.SMTP_SSL(
                s.host, s.port, local_hostname=s.helo, timeout=s.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
        done.append(f"connected to {s.host}:{s.port}" + (" over TLS" if s.use_ssl else ""))
        step = "greeting the server (EHLO)"
        code, message = smtp.ehlo()
        if not 200 <= code < 300:
            raise smtplib.SMTPResponseException(code, message)
        done.append("EHLO accepted")
        if s.starttls and not s.use_ssl:
            step = "switching to TLS (STARTTLS)"
            smtp.starttls(context=context)
            smtp.ehlo()
            done.append("STARTTLS done")
        if s.username:
            step = f"signing in as {s.username}"
            smtp.login(s.username, s.password or "")
            done.append(f"signed in as {s.username}")
        step = "checking the session (NOOP)"
        code, message = smtp.noop()
        if code != 250:
            raise smtplib.SMTPResponseException(code, message)
        smtp.quit()
    except Exception as exc:
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass
        raise _Failed(step, done, classify_smtp_error(exc)) from exc
    sender = f"; mail will come from {s.sender}" if s.sender else ""
    return "The mail server works: " + ", ".join(done) + sender + "."


def _probe_twilio(s: TwilioSettings) -> str:
    http = RoutingHttpClient(timeout=s.timeout, base=s.api_base)
    client = Client(s.account_sid, s.auth_token, http_client=http)
    try:
        account = client.api.accounts(s.account_sid).fetch()
    except Exception as exc:
        raise _Failed(
            f"signing in to Twilio account {s.account_sid}", [], classify_twilio_error(exc)
        ) from exc
    if (account.status or "active") != "active":
        error = IntegrationError(
            f"Twilio account status is {account.status}", ErrorClass.CONFIGURATION_ERROR
        )
        raise _Failed(
            f"checking Twilio account {s.account_sid}", ["Twilio accepted the credentials"], error
        )
    whatsapp = f", WhatsApp from {s.whatsapp_from}" if s.whatsapp_from else ""
    return (
        f"Twilio accepted the credentials for “{account.friendly_name}” ({s.account_sid}, {account.status}); "
        f"SMS from {s.from_number}{whatsapp}."
    )


def _probe_openai(s: ai.AiSettings) -> tuple[str, int, int]:
    kwargs: dict = {"api_key": s.api_key, "timeout": s.timeout, "max_retries": 0}
    if s.base_url:
        kwargs["base_url"] = s.base_url
    try:
        response = openai.OpenAI(**kwargs).chat.completions.create(
            model=s.model,
            messages=[{"role": "user", "content": "Reply with the word OK."}],
            max_completion_tokens=5,
        )
    except openai.OpenAIError as exc:
        error_class = ai.classify_openai_error(exc)
        raise _Failed(
            f"asking {s.model} a one-word question", [], IntegrationError(str(exc), error_class)
        ) from exc
    usage = response.usage
    where = f" at {s.base_url}" if s.base_url else ""
    return (
        f"OpenAI answered{where} with model {s.model}.",
        getattr(usage, "prompt_tokens", 0) or 0,
        getattr(usage, "completion_tokens", 0) or 0,
    )


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
    secrets = [v for k, v in (own or {}).items() if k in ("password", "auth_token", "api_key")]
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
    except _Failed as failed:
        ms = int((time.monotonic() - started) * 1000)
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
        result = ConnectionResult(False, summary, str(error_class), fix, ms)
    else:
        ms = int((time.monotonic() - started) * 1000)
        breaker.record_success(now, ms)
        result = ConnectionResult(True, _scrub(summary, secrets), None, "", ms)
    if provider == "openai":
        _record_ai_call(
            session, org_id, model, result, (usage.get("in", 0), usage.get("out", 0)), now
        )
    return _finish(session, org_id, provider, result, now=now, actor_id=actor_id)


def _prepare(
    provider: str, org_id: int, usage: dict[str, int]
) -> tuple[Callable[[], str] | None, str, str]:
    """(the probe, or None when nothing is configured; the secret in use; the AI model)."""
    if provider == "smtp":
        smtp = smtp_settings(org_id)
        return (
            ((lambda: _probe_smtp(smtp)) if smtp else None),
            (smtp.password or "") if smtp else "",
            "",
        )
    if provider == "twilio":
        twilio = twilio_settings(org_id)
        return (
            ((lambda: _probe_twilio(twilio)) if twilio else None),
            twilio.auth_token if twilio else "",
            "",
        )
    if provider == "openai":
        settings = ai.ai_settings_for(org_id)

        def probe() -> str:
            text, usage["in"], usage["out"] = _probe_openai(settings)
            return text

        return (probe if settings.api_key else None), settings.api_key or "", settings.model
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
    session.add(
        AiCall(
            org_id=org_id,
            purpose="connection_test",
            provider="openai",
            model=model,
            tokens_in=tokens[0],
            tokens_out=tokens[1],
            cost_usd=ai.cost_usd(model, *tokens),
            latency_ms=result.duration_ms,
            ok=result.ok,
            error=None if result.ok else f"{result.error_class}: {result.summary}"[:1000],
            created_at=now,
        )
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
