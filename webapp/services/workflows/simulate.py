"""What would this contact get in the next 14 days: a workflow's current version walked from
its trigger for one contact, with no sends and no writes (reads only; nothing is added to
the session, so nothing is flushed).

Each step is decided as the engine decides it (`checks.condition`, `checks.wake_time`,
`checks.wanted`, `definition.after`) on the contact's current data; messages are rendered
with the sequences' templating and timed with their send-window planner. Where the future
is unknown the simulation says what it assumes: a wait for an event takes its timeout
branch (and says when), an outbound webhook answers 2xx, an update step's change is seen
by the steps after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.tenancy import get_scoped
from webapp.models import Campaign, Event, Lead, Organization, Workflow, WorkflowVersion
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.messaging import StepPlanner, render_step, variables_for, zone
from webapp.services.workflows import checks
from webapp.services.workflows.definition import parse
from webapp.services.workflows.engine import MAX_VISITS
from webapp.services.workflows.schedules import cron_trigger

HORIZON = timedelta(days=14)
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp"}
_NO_DELAY = SimpleNamespace(delay_value=0, delay_unit="minutes")  # a workflow message's own


@dataclass
class Planned:
    """One step visit as it would happen."""

    step_id: str
    kind: str
    at: datetime
    reason: str
    branch: str = ""
    message: object | None = None  # a RenderedMessage for a send step
    channel: str = ""
    address: str = ""
    goes_out: bool = False
    send_at: datetime | None = None


@dataclass
class Simulation:
    lead: Lead
    tz: str
    start: datetime
    until: datetime
    trigger: str
    steps: list[Planned] = field(default_factory=list)
    end: str = ""


class _Contact:
    """The contact as the run sees it: its data, with the updates earlier steps made."""

    def __init__(self, lead: Lead) -> None:
        self._lead = lead
        self.extra = dict(lead.extra or {})
        self.tags: dict[str, bool] = {}  # tag -> added (True) or removed (False) by a step

    def __getattr__(self, name: str):
        return getattr(self._lead, name)


def _local(at: datetime, tz: str) -> str:
    return f"{at.astimezone(zone(tz)):%a %-d %b %Y, %H:%M} ({tz})"


def contact_zone(lead, org: Organization) -> str:
    """The zone a contact's waits are read in (checks.wake_time's order)."""
    for name in (lead.timezone, org.timezone, "UTC"):
        if zone(name) is not None:
            return name
    return "UTC"


def _trigger(session: Session, org: Organization, trigger, lead: Lead, now: datetime):
    """(start, the trigger in words, the trigger properties the run would carry)."""
    if trigger.kind == "event":
        where = ", ".join(f"{k}={v}" for k, v in trigger.where.items())
        words = f"Starts when {trigger.event}{f' with {where}' if where else ''} is recorded for the contact; simulated as if it were recorded now"
        last = session.scalars(
            select(Event)
            .where(Event.org_id == org.id, Event.lead_id == lead.id, Event.name == trigger.event)
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(1)
        ).first()
        if last is None:
            return now, f"{words}, with no properties.", {}
        shown = ", ".join(f"{k}={v}" for k, v in (last.properties or {}).items()) or "none"
        return now, f"{words}, with the properties of their latest one ({shown}).", last.properties
    if trigger.kind in ("segment_entered", "segment_exited"):
        verb = "enters" if trigger.kind == "segment_entered" else "leaves"
        return (
            now,
            f"Starts when the contact {verb} segment #{trigger.segment_id}; simulated as if now.",
            {},
        )
    if trigger.kind == "schedule":
        fire = cron_trigger(trigger.cron, org.timezone or "UTC").get_next_fire_time(None, now)
        if fire is None:
            return now, f"The schedule “{trigger.cron}” never fires; simulated as if now.", {}
        start = fire.astimezone(now.tzinfo)
        who = f"segment #{trigger.segment_id}" if trigger.segment_id else "every subscribed contact"
        return (
            start,
            f"Starts at the next firing of “{trigger.cron}” ({_local(start, org.timezone or 'UTC')}) for {who}.",
            {},
        )
    how = "an inbound webhook call" if trigger.kind == "webhook" else "“Run for this contact”"
    return now, f"Starts by {how}; simulated as if now.", {}


def simulate(
    session: Session, org: Organization, workflow: Workflow, lead_id: int, *, now: datetime
) -> Simulation:
    """The next 14 days of `workflow` for the contact. Raises NotFound for another
    workspace's contact."""
    lead = get_scoped(session, Lead, lead_id, org.id)
    definition = parse(session.get(WorkflowVersion, workflow.current_version_id).definition)
    start, words, properties = _trigger(session, org, definition.trigger, lead, now)
    result = Simulation(lead, contact_zone(lead, org), start, now + HORIZON, words)
    run = SimpleNamespace(
        org_id=org.id, lead_id=lead.id, started_at=start, trigger={"properties": properties}
    )
    walk = _Walk(session, org, workflow, run, _Contact(lead), result)
    walk.definition = definition
    at, step_id = start, definition.steps[0].id
    for _ in range(MAX_VISITS):
        if step_id is None:
            result.end = "The run ends: no steps left."
            return result
        if at > result.until:
            result.end = f"After 14 days the run would go on at step {step_id}."
            return result
        planned, target, at = walk.visit(definition.step(step_id), at)
        result.steps.append(planned)
        if walk.ended:
            result.end = walk.ended
            return result
        step_id = definition.after(step_id, target)
    result.end = f"More than {MAX_VISITS} steps in one go: the run would fail (a loop?)."
    return result


class _Walk:
    def __init__(self, session, org, workflow, run, contact: _Contact, result) -> None:
        self.session, self.org, self.workflow, self.run = session, org, workflow, run
        self.contact, self.result, self.ended = contact, result, ""
        self.sent: set[tuple] = set()

    def visit(self, step, at: datetime) -> tuple[Planned, str, datetime]:
        return getattr(self, f"_{step.kind}")(step, at)

    def _wait(self, step, at):
        wake = checks.wake_time(step, self.contact, self.org.timezone or "UTC", at)
        if wake <= at:
            return (
                Planned(step.id, step.kind, at, "Nothing to wait for: the time has passed."),
                "",
                at,
            )
        if wake > self.result.until:
            self.ended = "Still waiting at the end of the 14 days."
        reason = f"Waits until {_local(wake, self.result.tz)}."
        return Planned(step.id, step.kind, at, reason), "", wake

    def _wait_event(self, step, at):
        match = checks.wanted(step, self.run.trigger)
        shown = ", ".join(f"{k}={v}" for k, v in match.items())
        what = f"{step.event}{f' with {shown}' if shown else ''}"
        found = checks.first_event(self.session, self.run, step.event, match)
        if found is not None:
            reason = f"{what} has arrived already (event #{found.id}): on_event branch."
            return Planned(step.id, step.kind, at, reason, "on_event"), step.on_event, at
        timeout = at + timedelta(hours=step.timeout_hours)
        reason = (
            f"Waits for {what}. If it arrives: {self._goto(step.id, step.on_event)}. "
            f"If no event arrives: timeout branch at {_local(timeout, self.result.tz)}, "
            f"{self._goto(step.id, step.on_timeout)}."
        )
        if timeout > self.result.until:
            self.ended = "Still waiting for the event at the end of the 14 days."
        return Planned(step.id, step.kind, at, reason, "on_timeout"), step.on_timeout, timeout

    def _goto(self, step_id: str, target: str) -> str:
        following = self.definition.after(step_id, target)
        return "the run ends" if following is None else f"on to step {following}"

    def _condition(self, step, at):
        check = step.check
        tag = check.value.strip().lower()
        if check.type == "tag" and tag in self.contact.tags:
            held = self.contact.tags[tag]
            why = f"tag “{check.value}”: {'added' if held else 'removed'} by an earlier step"
        else:
            held, why = checks.condition(self.session, self.run, check, self.contact)
        branch = "then" if held else "else"
        planned = Planned(step.id, step.kind, at, f"{why}: {branch} branch.", branch)
        return planned, step.then if held else step.otherwise, at

    def _send(self, step, at):
        contact = self.contact
        planned = Planned(step.id, step.kind, at, "", channel=step.channel)
        planned.message = render_step(
            step, contact, self.org, variables=variables_for(contact, self.org)
        )
        planned.address = (contact.email if step.channel == "email" else contact.phone) or ""
        key = (step.channel, step.subject, step.body)
        words = CHANNEL_WORDS[step.channel]
        if contact.unsubscribed_at is not None:
            planned.reason = (
                f"Not sent: the contact unsubscribed on {contact.unsubscribed_at:%Y-%m-%d}."
            )
        elif not planned.address.strip():
            what = "email address" if step.channel == "email" else "phone number"
            planned.reason = f"Not sent: the contact has no {what}."
        elif key in self.sent or self._sent_before(step):
            planned.reason = f"Not sent again: this {words} already went to the contact."
        else:
            self.sent.add(key)
            planned.goes_out, planned.send_at = True, self._send_time(at)
            planned.reason = f"The {words} goes to {planned.address} at {_local(planned.send_at, self.result.tz)}."
        return planned, "", at

    def _send_time(self, at: datetime) -> datetime:
        """When the message leaves: the carrier campaign's send window, if it has one."""
        campaign = None
        if self.workflow.carrier_campaign_id:
            campaign = self.session.get(Campaign, self.workflow.carrier_campaign_id)
        carrier = campaign or SimpleNamespace(settings={"schedule": None})
        planner = StepPlanner(carrier, self.org, _NO_DELAY, at, immediate=False)
        return planner.run_at(self.contact.timezone)

    def _sent_before(self, step) -> bool:
        """The workflow sent this very message to the contact already (sending.py sends a
        message once per contact)."""
        if not self.workflow.carrier_campaign_id:
            return False
        return (
            self.session.scalar(
                select(Send.id)
                .join(Enrollment, Enrollment.id == Send.enrollment_id)
                .join(SequenceStep, SequenceStep.id == Send.step_id)
                .where(
                    Enrollment.campaign_id == self.workflow.carrier_campaign_id,
                    Enrollment.lead_id == self.contact.id,
                    Enrollment.test_mode.is_(False),
                    SequenceStep.channel == step.channel,
                    SequenceStep.subject == step.subject,
                    SequenceStep.body == step.body,
                )
                .limit(1)
            )
            is not None
        )

    def _update(self, step, at):
        if step.action in ("add_tag", "remove_tag"):
            added = step.action == "add_tag"
            self.contact.tags[step.value.strip().lower()] = added
            reason = (
                f"Tag “{step.value}” {'added' if added else 'removed'} (not in the simulation)."
            )
        else:
            if step.field in ("full_name", "company"):
                setattr(self.contact, step.field, step.value)
            else:
                self.contact.extra[step.field] = step.value
            reason = f"{step.field} set to “{step.value}” (not in the simulation)."
        return Planned(step.id, step.kind, at, reason), "", at

    def _webhook(self, step, at):
        reason = f"Calls {step.url} (POST, with an Idempotency-Key); not called in the simulation, which assumes it answers 2xx."
        return Planned(step.id, step.kind, at, reason), "", at

    def _exit(self, step, at):
        self.ended = "The run ends here (exit step)."
        return Planned(step.id, step.kind, at, "Exit."), "", at


@dataclass
class Shown:
    lead: object
    rendered: object
    address: str
    sample: bool
    channel: str


def preview_message(session: Session, org: Organization, step: dict) -> Shown:
    """A send step's message rendered for the newest contact it could reach (a made-up one
    when there is none), for the builder's preview."""
    channel = step.get("channel") if step.get("channel") in CHANNEL_WORDS else "email"
    message = SimpleNamespace(
        channel=channel, subject=step.get("subject", ""), body=step.get("body", "")
    )
    column = Lead.email if channel == "email" else Lead.phone
    lead = session.scalars(
        select(Lead)
        .where(
            Lead.org_id == org.id, column.is_not(None), column != "", Lead.unsubscribed_at.is_(None)
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(1)
    ).first()
    sample = lead is None
    if sample:
        lead = SimpleNamespace(
            full_name="Sam Sample", email="sam@example.com", phone="+15550100", company=""
        )
    rendered = render_step(message, lead, org, variables=variables_for(lead, org))
    address = (lead.email if channel == "email" else lead.phone) or ""
    return Shown(lead, rendered, address, sample, channel)
