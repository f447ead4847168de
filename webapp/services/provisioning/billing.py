"""A paid Stripe checkout activates the workspace's plan and starts its setup.

Idempotent: a checkout session completes once, so the session id saved on the plan
(`stripe_session_id`) marks its event as handled; Stripe's retries and replays of the
same event change nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Organization, WorkspacePlan
from webapp.services.activity import log_activity
from webapp.services.provisioning.pipeline import request_provisioning

CHECKOUT_COMPLETED = "checkout.session.completed"
DEFAULT_PAID_PLAN = "standard"
MAX_ID = 2**31 - 1  # workspace ids are 32-bit integers; a bigger reference names none


@dataclass(frozen=True)
class CheckoutOutcome:
    status: str  # activated | replayed | ignored
    reason: str = ""
    org_id: int | None = None
    run_id: int | None = None


def _metadata(checkout: dict) -> dict:
    metadata = checkout.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _workspace_id(checkout: dict) -> int | None:
    ref = checkout.get("client_reference_id") or _metadata(checkout).get("org_id")
    ref = str(ref or "").strip()
    # isdigit() alone accepts "²" (int() refuses it) and "١" (int() reads 1).
    if not (ref.isascii() and ref.isdigit()) or len(ref) > 10:
        return None
    return int(ref) if 0 < int(ref) <= MAX_ID else None


def apply_checkout_event(session: Session, event: dict, *, now: datetime) -> CheckoutOutcome:
    """Activate the plan a completed checkout paid for and request the workspace's setup.

    Other event types, unpaid sessions and unknown workspaces are ignored (with the reason).
    Flushes, never commits.
    """
    if event.get("type") != CHECKOUT_COMPLETED:
        return CheckoutOutcome("ignored", f"event type {event.get('type')!r} is not handled")
    data = event.get("data")
    checkout = data.get("object") if isinstance(data, dict) else None
    if not isinstance(checkout, dict):
        return CheckoutOutcome("ignored", "the event carries no checkout session")
    org_id = _workspace_id(checkout)
    if org_id is None:
        return CheckoutOutcome("ignored", "the checkout names no workspace (client_reference_id)")
    query = select(Organization).where(Organization.id == org_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # one event at a time per workspace
    if session.scalars(query).first() is None:
        return CheckoutOutcome("ignored", f"no workspace {org_id}")
    if checkout.get("payment_status") == "unpaid":
        return CheckoutOutcome("ignored", "the payment has not arrived yet", org_id)
    plan = session.scalars(select(WorkspacePlan).where(WorkspacePlan.org_id == org_id)).first()
    session_id = str(checkout.get("id") or event["id"])[:200]  # the column's size
    if plan is not None and plan.stripe_session_id == session_id:
        return CheckoutOutcome("replayed", "this checkout was handled already", org_id)
    name = str(_metadata(checkout).get("plan") or DEFAULT_PAID_PLAN)[:40]
    if plan is None:
        plan = WorkspacePlan(org_id=org_id)
        session.add(plan)
    plan.plan, plan.status, plan.activated_at, plan.updated_at = name, "active", now, now
    plan.stripe_session_id = session_id
    plan.stripe_customer_id = (
        str(checkout["customer"])[:120] if checkout.get("customer") else plan.stripe_customer_id
    )
    session.flush()
    log_activity(
        session, org_id, "billing.checkout_completed", f"Payment received: the “{name}” plan is active.",
        now=now, entity=("workspace_plan", plan.id),
        details={"event_id": event["id"], "session_id": session_id, "plan": name},
    )  # fmt: skip
    run = request_provisioning(session, org_id, trigger="stripe", actor_id=None, now=now)
    return CheckoutOutcome("activated", "", org_id, run.id)
