"""The rules that turn a workspace's health facts into issues, each with a fix and a link,
and the one function that decides the overall status from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from webapp.integrations.resilience import FIXES, ErrorClass
from webapp.services.provisioning import step_title

if TYPE_CHECKING:
    from webapp.services.ops.health_facts import (
        IntegrationHealth,
        JobHealth,
        ProvisioningHealth,
        QueueHealth,
    )

HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
PROVIDER_NAMES = {
    "smtp": "Your mail server",
    "twilio": "Twilio",
    "openai": "OpenAI",
    "google_ads": "Google Ads",
    "meta_ads": "Meta",
}
CREDENTIAL_NAMES = {
    "smtp": "mail server (SMTP)",
    "twilio": "Twilio",
    "openai": "OpenAI",
    "google_ads": "Google Ads",
    "meta_ads": "Meta ads",
}
WHAT_PAUSES = {
    "smtp": "Email sending",
    "twilio": "SMS sending",
    "openai": "AI writing",
    "google_ads": "Google Ads results and budget changes",
    "meta_ads": "Meta ads results and budget changes",
}
# A fix that names where the new credentials come from, where the general one would not.
PROVIDER_FIXES = {
    ("google_ads", ErrorClass.THIRD_PARTY_AUTH_FAILED): (
        "Google refused the credentials: create a new OAuth refresh token (and check the "
        "developer token and customer id), then save them in Settings → Integrations → Google Ads."
    ),
    ("meta_ads", ErrorClass.THIRD_PARTY_AUTH_FAILED): (
        "Meta refused the access token (expired or revoked): create a new system-user token in "
        "Meta Business Settings → Users → System users, with ads_management and ads_read, and "
        "save it in Settings → Integrations → Meta ads."
    ),
}
WHY = {
    ErrorClass.THIRD_PARTY_AUTH_FAILED: "rejected the credentials",
    ErrorClass.RATE_LIMITED: "is rate-limiting us",
    ErrorClass.INTEGRATION_OFFLINE: "cannot be reached",
    ErrorClass.TRANSIENT_NETWORK: "keeps failing",
    ErrorClass.CONFIGURATION_ERROR: "rejected the settings",
}
INTEGRATIONS_URL = "/settings/integrations"
SETUP_URL = "/setup"
SCHEDULER_URL = "/scheduler"
QUEUE_URL = "/automation"

QUEUE_BACKED_UP = 100  # late jobs: the "queue backed up" alert's threshold too
LATE_WARN_AGE = timedelta(hours=1)
FAILURE_RATE = 0.10
FAILURE_MIN_SAMPLE = 20


@dataclass(frozen=True)
class Issue:
    severity: str  # warn | critical
    title: str
    detail: str
    fix: str
    link: str
    key: str = ""


def decide_status(issues: Iterable[Issue]) -> str:
    """Unhealthy with any critical issue, Degraded with any warning, else Healthy."""
    severities = {issue.severity for issue in issues}
    if "critical" in severities:
        return UNHEALTHY
    return DEGRADED if "warn" in severities else HEALTHY


HELD_FIX = (
    "Correct the mail server settings in Settings → Integrations: saving them, or a "
    "successful “Test connection”, sends the waiting messages at once. Otherwise sending is "
    "tried again by itself, waiting longer after each refusal (up to an hour)."
)
REFUSED_FIX = (
    "The server refused the connection: check the host and port in Settings → Integrations "
    "and that the server is running and accepts connections from this machine."
)


def _fix_for(error_class: str | None, error: str | None = None) -> str:
    if error and "refused" in error.lower():  # a wrong host or port does not clear by itself
        return REFUSED_FIX
    try:
        return FIXES[ErrorClass(error_class)]
    except ValueError:
        return FIXES[ErrorClass.CONFIGURATION_ERROR]


def _at(value: datetime | None) -> str:
    return f"{value:%H:%M} UTC on {value:%-d %b}" if value else "an unknown time"


def _held_issue(i: IntegrationHealth, name: str) -> Issue:
    """The provider refused us (a sign-in, TLS, relaying): sending waits, nobody failed."""
    return Issue(
        "critical",
        f"{WHAT_PAUSES[i.provider]} is held: {name} refused us, not your contacts",
        f"{(i.last_error or '').removeprefix('Held: ')} Nothing is failed or lost: messages "
        f"wait in the queue, and the next try is at {_at(i.retry_at)}.",
        HELD_FIX,
        INTEGRATIONS_URL,
        f"integration:{i.provider}",
    )


def _integration_issue(i: IntegrationHealth) -> Issue | None:
    name = PROVIDER_NAMES[i.provider]
    if i.unreadable:
        return Issue(
            "critical",
            f"The saved {CREDENTIAL_NAMES[i.provider]} credentials cannot be read",
            "They were encrypted with a key this deployment no longer has, so "
            + (
                "the deployment's own settings are used instead."
                if i.configured
                else "nothing is sent through them."
            ),
            "Enter the credentials again in Settings → Integrations, or add the old key back to CREDENTIALS_KEY.",
            INTEGRATIONS_URL,
            f"integration:{i.provider}",
        )
    why = WHY.get(i.last_error_class or "", "keeps failing")
    error = f" Last error: {i.last_error}" if i.last_error else ""
    fix = PROVIDER_FIXES.get((i.provider, i.last_error_class)) or _fix_for(
        i.last_error_class, i.last_error
    )
    if i.state == "held":
        return _held_issue(i, name)
    if i.state == "open":
        return Issue(
            "critical",
            f"{WHAT_PAUSES[i.provider]} is paused: {name} {why}",
            f"{i.consecutive_failures} failures in a row, the last at {_at(i.last_failure_at)}; "
            f"the next try is at {_at(i.retry_at)}.{error}",
            fix,
            INTEGRATIONS_URL,
            f"integration:{i.provider}",
        )
    if i.state == "half_open":
        return Issue(
            "warn",
            f"{WHAT_PAUSES[i.provider]} is being tested again after failures",
            f"One message is being tried to see whether {name} works again.{error}",
            fix,
            INTEGRATIONS_URL,
            f"integration:{i.provider}",
        )
    recent_failure = i.last_failure_at and (
        i.last_success_at is None or i.last_failure_at > i.last_success_at
    )
    if i.consecutive_failures > 0 and recent_failure:
        return Issue(
            "warn",
            f"{name} {why}",
            f"{i.consecutive_failures} failure{'s' if i.consecutive_failures != 1 else ''} in a row, the last at "
            f"{_at(i.last_failure_at)}; sending pauses after 5.{error}",
            fix,
            INTEGRATIONS_URL,
            f"integration:{i.provider}",
        )
    return None


def issues_for(
    integrations: list[IntegrationHealth],
    provisioning: ProvisioningHealth,
    scheduler: list[JobHealth],
    queue: QueueHealth,
    alerts: list[Any],
    now: datetime,
    mail_held: str | None = None,
) -> list[Issue]:
    """Every issue of a workspace, the critical ones first. `mail_held`: why the
    deployment refuses to send real email (an http PUBLIC_URL), if it does."""
    issues = [issue for issue in map(_integration_issue, integrations) if issue]
    if mail_held and any(i.provider == "smtp" and i.configured for i in integrations):
        issues.append(
            Issue(
                "critical",
                "Email is held: PUBLIC_URL is not https",
                mail_held,
                "Serve the app over https (a reverse proxy with a certificate) and set "
                "PUBLIC_URL to that https address, then restart; held messages go out by "
                "themselves.",
                "/health",
                "deployment:public_url",
            )
        )
    issues += _provisioning_issues(provisioning)
    issues += _scheduler_issues(scheduler)
    issues += _queue_issues(queue, now)
    issues += _alert_issues(alerts)
    return sorted(issues, key=lambda issue: issue.severity != "critical")


def _provisioning_issues(provisioning: ProvisioningHealth) -> list[Issue]:
    issues: list[Issue] = []
    if provisioning.status == "failed":
        step = f" at “{step_title(provisioning.current_step)}”" if provisioning.current_step else ""
        issues.append(
            Issue(
                "critical",
                f"Setup did not finish{step}",
                provisioning.error or "The setup pipeline failed.",
                provisioning.fix or FIXES[ErrorClass.PROVISIONING_ERROR],
                SETUP_URL,
                "provisioning",
            )
        )
    elif provisioning.status in ("queued", "running") and provisioning.attempts > 0:
        issues.append(
            Issue(
                "warn",
                "Setup is retrying a step",
                provisioning.error or "A setup step failed and is tried again.",
                provisioning.fix or "Nothing to do yet: it retries by itself (3 times at most).",
                SETUP_URL,
                "provisioning",
            )
        )
    return issues


def _scheduler_issues(scheduler: list[JobHealth]) -> list[Issue]:
    issues: list[Issue] = []
    for job in scheduler:
        if job.overdue:
            issues.append(
                Issue(
                    "critical",
                    f"The “{job.title}” job is overdue",
                    f"It last ran at {_at(job.last_started_at)} and should have run again by {_at(job.due_by)}.",
                    "Make sure the app runs with its scheduler (autopilot serve, or make run); the Scheduler page "
                    "shows each job's runs and can run it now.",
                    SCHEDULER_URL,
                    f"scheduler:{job.name}",
                )
            )
    return issues


def _queue_issues(queue: QueueHealth, now: datetime) -> list[Issue]:
    issues: list[Issue] = []
    age = queue.oldest_age(now)
    if queue.late > QUEUE_BACKED_UP:
        issues.append(
            Issue(
                "critical",
                f"The queue is backed up: {queue.late} messages are late",
                f"{queue.pending} messages are waiting; the oldest has waited since {_at(queue.oldest_pending_at)}.",
                "They go out as soon as sending catches up. If the number keeps growing, fix the integration and "
                "scheduler issues listed here first.",
                QUEUE_URL,
                "queue:late",
            )
        )
    elif queue.late and age is not None and age > LATE_WARN_AGE:
        issues.append(
            Issue(
                "warn",
                f"{queue.late} message{'s are' if queue.late != 1 else ' is'} late",
                f"The oldest has waited since {_at(queue.oldest_pending_at)}.",
                "They go out as soon as sending catches up; check the integration and scheduler sections.",
                QUEUE_URL,
                "queue:late",
            )
        )
    rate = queue.failure_rate
    if rate is not None and queue.finished_24h >= FAILURE_MIN_SAMPLE and rate > FAILURE_RATE:
        issues.append(
            Issue(
                "warn",
                f"{rate:.0%} of messages failed in the last 24 hours",
                f"{queue.failed_24h} of {queue.finished_24h} finished messages failed.",
                "Open the outbox to see each failure's reason; bad addresses need fixing on the contact, "
                "provider errors in Settings → Integrations.",
                QUEUE_URL,
                "queue:failures",
            )
        )
    return issues


def _alert_issues(alerts: list[Any]) -> list[Issue]:
    """Open alerts not already judged from live numbers."""
    issues: list[Issue] = []
    live = {"queue_backed_up", "failure_rate"}  # already judged from live numbers above
    for alert in alerts:
        if alert.kind not in live:
            detail = alert.detail or {}
            issues.append(
                Issue(
                    "warn",
                    detail.get("title", alert.kind),
                    detail.get("text", ""),
                    detail.get("fix", ""),
                    detail.get("link", "/health"),
                    f"alert:{alert.kind}",
                )
            )
    return issues
