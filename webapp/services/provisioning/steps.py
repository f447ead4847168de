"""The seven steps of the provisioning pipeline, each idempotent.

A step gets a `StepContext` and returns a `StepResult` (done or skipped, with a sentence
for the owner) or raises: `IntegrationError` from a provider (retried when retryable) or
`StepFailed` (a problem only a person can fix). A step that creates something outside
(a subaccount, a number) saves what it did with `ctx.save(...)` right away, and looks for
it before creating it again, so a run resumed after a crash never buys twice.

Provider calls go through `ctx.call`, which first commits the session: no transaction
is open across a network call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.core.extensions import db
from webapp.integrations.resilience import FIXES, RETRYABLE, Breaker, ErrorClass, IntegrationError
from webapp.models import AutopilotConfig, Organization, ProvisioningStep, WorkspacePlan
from webapp.services.coach import ensure_default_settings
from webapp.services.connections import (
    configured_providers,
    decrypt_values,
    encrypt_values,
    load_credentials,
    save_credentials,
    test_connection,
)

T = TypeVar("T")

INTEGRATIONS_URL = "/settings/integrations"
FREE_PLAN = "starter"


class StepFailed(Exception):
    """A step cannot finish; `fix` tells the owner what to do, `link` where."""

    def __init__(
        self,
        message: str,
        fix: str,
        *,
        link: str | None = INTEGRATIONS_URL,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.fix = fix
        self.link = link
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class StepResult:
    status: str  # done | skipped
    detail: str


def done(detail: str) -> StepResult:
    return StepResult("done", detail)


def skipped(detail: str) -> StepResult:
    return StepResult("skipped", detail)


@dataclass
class StepContext:
    app: Flask
    session: Session  # for reads; writes go through `write`
    org_id: int
    step_id: int
    checkpoint: dict
    now_fn: Callable[[], datetime]
    # The step's job's `ctx.write`: a short write transaction under the job's lease that
    # raises LeaseLost, having written nothing, when another worker took the job over.
    writer: Callable[[Callable[[Session], None]], None]
    calls: int = field(default=0)

    def now(self) -> datetime:
        return self.now_fn()

    @property
    def config(self):
        return self.app.config

    def write(self, fn: Callable[[Session], T] | None = None) -> T | None:
        """Commit `fn(session)` with the checkpoint now, under the job's lease."""
        self.session.commit()  # end this session's reads: the write is another session's
        returned: list = []

        def apply(session: Session) -> None:
            if fn is not None:
                returned.append(fn(session))
            session.execute(
                update(ProvisioningStep)
                .where(ProvisioningStep.id == self.step_id)
                .values(checkpoint=dict(self.checkpoint))
            )

        self.writer(apply)
        return returned[0] if returned else None

    def save(self, **values: object) -> None:
        """Record what the step did so far (committed before anything else happens)."""
        self.checkpoint.update(values)
        self.write()

    def call(self, provider_org: int, fn: Callable[[], T]) -> T:
        """A Twilio call under the (workspace, provider) breaker, with no transaction open."""
        self.session.commit()
        self.calls += 1
        return Breaker(db.engine, provider_org, "twilio").call(fn, clock=self.now_fn)


def load_twilio(ctx: StepContext) -> dict | None:
    return load_credentials(ctx.session, ctx.org_id, "twilio")


def save_twilio(ctx: StepContext, values: dict) -> None:
    now = ctx.now()
    ctx.write(
        lambda session: save_credentials(
            session, ctx.org_id, "twilio", values, actor_id=None, now=now
        )
    )


def master_credentials(config) -> tuple[str, str] | None:
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    return (sid, token) if sid and token else None


def provisioner(ctx: StepContext, sid: str, token: str):
    from webapp.integrations.twilio.numbers import TwilioProvisioner

    return TwilioProvisioner(
        sid,
        token,
        timeout=float(ctx.config.get("TWILIO_TIMEOUT_SECONDS") or 15),
        api_base=ctx.config.get("TWILIO_API_BASE"),
    )


def _tail(sid: str) -> str:
    return f"…{sid[-4:]}"


# --- the steps -------------------------------------------------------------------------------


def ensure_plan(ctx: StepContext) -> StepResult:
    plan = ctx.session.scalar(select(WorkspacePlan).where(WorkspacePlan.org_id == ctx.org_id))
    if plan is None:
        now = ctx.now()
        free = WorkspacePlan(
            org_id=ctx.org_id, plan=FREE_PLAN, status="active", activated_at=now, updated_at=now
        )
        ctx.write(lambda session: session.add(free))
        return done(f"The free “{FREE_PLAN}” plan is active.")
    if plan.status != "active":
        state = "payment is past due" if plan.status == "past_due" else "it is not active"
        raise StepFailed(
            f"The “{plan.plan}” plan cannot be used: {state}.",
            "Complete checkout to activate your plan, then re-run setup.",
            link=None,
        )
    return done(f"The “{plan.plan}” plan is active.")


def ensure_subaccount(ctx: StepContext) -> StepResult:
    master = master_credentials(ctx.config)
    if master is None:
        return skipped(
            "Twilio is not set up for this installation, so texts and WhatsApp messages go to the outbox."
        )
    existing = load_twilio(ctx)
    if existing and existing.get("account_sid"):
        if existing.get("subaccount") != "1":
            return done(f"Using your own Twilio account {_tail(existing['account_sid'])}.")
        return done(f"Twilio subaccount {_tail(existing['account_sid'])} is ready.")
    earlier = created_subaccount(ctx)
    if earlier is not None:
        ctx.checkpoint.update(earlier)
        return done(
            f"Twilio subaccount “{earlier['friendly_name']}” ({_tail(earlier['account_sid'])}) is ready."
        )
    org = ctx.session.get(Organization, ctx.org_id)
    # The name is the lookup key after a crash: fixed at the first attempt, even if the
    # workspace is renamed before the run resumes.
    name = ctx.checkpoint.get("friendly_name") or f"{org.name} (workspace {org.id})"
    if "friendly_name" not in ctx.checkpoint:
        ctx.save(friendly_name=name)
    twilio = provisioner(ctx, *master)
    account = ctx.call(0, lambda: twilio.find_subaccount(name))
    reused = account is not None
    if account is None:
        account = ctx.call(0, lambda: twilio.create_subaccount(name))
    # Credentials are saved with their number (step 3; the settings need both). Until then
    # the token waits here, encrypted like saved credentials.
    encrypt = encrypt_values
    ctx.save(account_sid=account.sid, token=encrypt({"auth_token": account.auth_token}))
    verb = "Found the" if reused else "Created a"
    return done(f"{verb} Twilio subaccount “{name}” ({_tail(account.sid)}).")


def created_subaccount(ctx: StepContext) -> dict | None:
    """The subaccount an earlier step (this run's or a previous run's) created, if readable."""
    rows = ctx.session.scalars(
        select(ProvisioningStep.checkpoint)
        .where(ProvisioningStep.org_id == ctx.org_id, ProvisioningStep.key == "subaccount")
        .order_by(ProvisioningStep.id.desc())
    )
    decrypt = decrypt_values
    for checkpoint in rows:
        if checkpoint and checkpoint.get("account_sid") and checkpoint.get("token"):
            try:
                decrypt(checkpoint["token"])
            except ValueError:  # encrypted with a key since dropped: Twilio is asked instead
                continue
            return {
                k: checkpoint[k]
                for k in ("account_sid", "token", "friendly_name")
                if k in checkpoint
            }
    return None


def inbound_url(ctx: StepContext) -> str:
    base = (ctx.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    return base + ctx.app.url_map.bind("localhost").build("webhooks.twilio_inbound")


def ensure_number(ctx: StepContext) -> StepResult:
    creds = load_twilio(ctx)
    if creds and creds.get("from_number"):
        return done(f"Texts go out from {creds['from_number']}.")
    subaccount = created_subaccount(ctx)
    if subaccount is None:
        return skipped(
            "Twilio is not configured, so there is no number to set up; texts go to the outbox."
        )
    sid = subaccount["account_sid"]
    token = decrypt_values(subaccount["token"])["auth_token"]
    twilio = provisioner(ctx, sid, token)
    sms_url = inbound_url(ctx)
    if not ctx.checkpoint.get("number_sid"):
        # A purchase whose answer was lost (crash, timeout) shows up in the subaccount's list.
        owned = ctx.call(ctx.org_id, twilio.owned_numbers)
        if owned:
            number = owned[0]
        else:
            country = (ctx.config.get("TWILIO_NUMBER_COUNTRY") or "US").upper()
            candidates = ctx.call(ctx.org_id, lambda: twilio.search_local(country))
            if not candidates:
                raise IntegrationError(
                    f"Twilio has no local numbers available in {country} right now.",
                    ErrorClass.TRANSIENT_NETWORK,
                )
            number = ctx.call(ctx.org_id, lambda: twilio.buy_number(candidates[0], sms_url=sms_url))
        ctx.save(number_sid=number.sid, phone_number=number.phone_number)
    number_sid, phone = ctx.checkpoint["number_sid"], ctx.checkpoint["phone_number"]
    ctx.call(ctx.org_id, lambda: twilio.point_webhooks(number_sid, sms_url=sms_url))
    save_twilio(
        ctx, {"account_sid": sid, "auth_token": token, "from_number": phone, "subaccount": "1"}
    )
    return done(f"Bought {phone}; replies to it reach this app.")


def ensure_whatsapp(ctx: StepContext) -> StepResult:
    creds = load_twilio(ctx)
    if not creds or not creds.get("account_sid"):
        return skipped("Twilio is not configured, so WhatsApp messages go to the outbox.")
    if creds.get("whatsapp_from"):
        return done(f"WhatsApp messages go out from {creds['whatsapp_from']}.")
    sender = ctx.config.get("TWILIO_WHATSAPP_FROM") or creds.get("from_number")
    if not sender:
        return skipped(
            "There is no number to send WhatsApp messages from yet: add one in Settings → Integrations."
        )
    save_twilio(ctx, {**creds, "whatsapp_from": sender})
    return done(
        f"WhatsApp messages go out from {sender} (Twilio must have it approved as a WhatsApp sender)."
    )


def ensure_email(ctx: StepContext) -> StepResult:
    """Done only when the mail server answers: a server that refuses us is a failed step."""
    creds = load_credentials(ctx.session, ctx.org_id, "smtp")
    if creds and creds.get("host"):
        host = creds["host"]
    elif ctx.config.get("SMTP_HOST"):
        host = f"{ctx.config['SMTP_HOST']} (this installation's server)"
    else:
        return skipped(
            "No email server yet: emails go to the outbox until SMTP is set in Settings → Integrations."
        )
    _check(ctx, "smtp")
    return done(f"Emails go out through {host}; its connection test passed.")


def _check(ctx: StepContext, provider: str) -> bool:
    """Test one provider's connection; raise StepFailed with the fix when it fails.

    False when there was nothing to test after all (e.g. Twilio without a sending number)."""
    ctx.session.commit()  # the test calls the provider: no transaction open meanwhile
    result = test_connection(ctx.session, ctx.org_id, provider, now=ctx.now())
    ctx.session.commit()
    if not result.ok and not getattr(result, "tested", True):
        return False
    if not result.ok:
        error_class = result.error_class or ""
        fix = result.fix or FIXES.get(error_class, FIXES[ErrorClass.CONFIGURATION_ERROR])  # type: ignore[call-overload]
        raise StepFailed(
            f"{PROVIDER_NAMES[provider]}: {result.summary}",
            fix,
            retryable=error_class in RETRYABLE,
        )
    return True


def seed_defaults(ctx: StepContext) -> StepResult:
    from webapp.services.ai import DEFAULT_AI_BUDGET

    now = ctx.now()

    def seed(session: Session) -> Decimal:
        config = session.scalar(select(AutopilotConfig).where(AutopilotConfig.org_id == ctx.org_id))
        if config is not None and config.ai_monthly_budget is None:
            config.ai_monthly_budget = DEFAULT_AI_BUDGET
        ensure_default_settings(session, ctx.org_id, now=now)
        return Decimal(config.ai_monthly_budget) if config is not None else DEFAULT_AI_BUDGET

    budget = ctx.write(seed)
    ai = f"AI budget ${budget:,.2f} a month"
    return done(f"{ai}; WhatsApp coach settings ready (off until you turn it on).")


PROVIDER_NAMES = {"smtp": "Email (SMTP)", "twilio": "Twilio", "openai": "OpenAI"}


def configured(ctx: StepContext) -> list[str]:
    """Providers with credentials: the workspace's own, or this installation's."""
    found = set(configured_providers(ctx.session, ctx.org_id))
    config = ctx.config
    if config.get("SMTP_HOST"):
        found.add("smtp")
    if master_credentials(config):
        found.add("twilio")
    if config.get("OPENAI_API_KEY"):
        found.add("openai")
    return [p for p in PROVIDER_NAMES if p in found]


def smoke_tests(ctx: StepContext) -> StepResult:
    # Email was tested by its own step, so a failing mail server fails "Email" itself.
    providers = [p for p in configured(ctx) if p != "smtp"]
    if not providers:
        return skipped("Nothing more to test: Twilio and OpenAI are not configured.")
    passed = [PROVIDER_NAMES[p] for p in providers if _check(ctx, p)]
    if not passed:
        return skipped("Nothing to test: no integration is fully configured yet.")
    others = [PROVIDER_NAMES[p] for p in ("twilio", "openai") if PROVIDER_NAMES[p] not in passed]
    tail = f" Not configured: {', '.join(others)}." if others else ""
    return done(f"Connection tests passed: {', '.join(passed)}.{tail}")


@dataclass(frozen=True)
class StepSpec:
    key: str
    title: str
    weight: int
    run: Callable[[StepContext], StepResult]


STEPS: tuple[StepSpec, ...] = (
    StepSpec("plan", "Plan active", 5, ensure_plan),
    StepSpec("subaccount", "Twilio subaccount", 20, ensure_subaccount),
    StepSpec("phone_number", "Phone number", 25, ensure_number),
    StepSpec("whatsapp", "WhatsApp", 10, ensure_whatsapp),
    StepSpec("email", "Email", 10, ensure_email),
    StepSpec("defaults", "AI and coach settings", 10, seed_defaults),
    StepSpec("smoke_tests", "Connection tests", 20, smoke_tests),
)
STEP_BY_KEY = {spec.key: spec for spec in STEPS}
assert sum(spec.weight for spec in STEPS) == 100
