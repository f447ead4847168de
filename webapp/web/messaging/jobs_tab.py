"""The Automation tab of a sequence: the four buttons, the job counts (self-refreshing while
work is due), the recent jobs with retry and cancel."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import abort, current_app, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.connections.channels import ERROR_FIXES
from webapp.services.messaging import (
    dispatch,
    job_actions,
    job_status,
    message_results,
    triggering,
)
from webapp.web import htmx as hx
from webapp.web.context import org_required
from webapp.web.filters import localtime
from webapp.web.messaging.sequences import bp, can_change, load_sequence, require_change
from webapp.web.query import page_arg

PER_PAGE = 25
# "Process Now" stops between batches after this long, so the button answers; the 15-minute
# job (or another press) sends the rest.
PROCESS_SECONDS = 20
# key -> (button label, what it does, button class)
ACTIONS = {
    "test-trigger": (
        "Test Trigger",
        "Enrol the new contacts as a test: their messages are recorded, never sent.",
        "secondary outline",
    ),
    "trigger": (
        "Trigger Now",
        "Enrol the new contacts now instead of at the next 15-minute round.",
        "",
    ),
    "test-process": (
        "Test Process",
        "Run the test messages that are due through the whole flow; they reach nobody.",
        "secondary outline",
    ),
    "process": ("Process Now", "Send the messages that are due now.", ""),
}
JOB_FILTERS = [
    ("", "All"),
    ("pending", "Pending"),
    ("processing", "Processing"),
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
STATUS_EVENT = "automation-counts-changed"  # the counts refresh; the jobs table answers for itself
CHANGED_EVENT = "automation-changed"  # counts and jobs both refresh
JOBS_EVENT = "automation-jobs-stale"  # the counts saw messages move on: the jobs table refreshes


@dataclass
class ActionResult:
    title: str
    headline: str
    details: list[str] = field(default_factory=list)
    problem: bool = False


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def eta_words(eta: timedelta | None) -> str:
    if eta is None:
        return ""
    seconds = int(eta.total_seconds())
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return _plural(minutes, "minute")
    return f"{seconds / 3600:.1f} hours"


# --- the page ---------------------------------------------------------------------------------


def _page_arg() -> int:
    return page_arg()


def _status_arg() -> str:
    value = request.args.get("status", "")
    return value if value in dict(JOB_FILTERS) else ""


def _status_context(campaign) -> dict:
    status = job_status.automation_status(db.session, campaign, now=clock.now())
    return {
        "counts": status,
        "due_now": status.due_now,
        "eta_words": eta_words(status.backlog_eta),
        "busy": bool(status.processing or status.due_now),
        "signature": "-".join(
            str(n)
            for n in (
                status.total,
                status.pending,
                status.processing,
                status.completed,
                status.failed,
                status.cancelled,
            )
        ),
    }


def _jobs_context(campaign, notice: str | None = None) -> dict:
    page, status_filter = _page_arg(), _status_arg()
    rows, has_more = job_status.recent_jobs(
        db.session, campaign, page=page, per_page=PER_PAGE, status=status_filter or None
    )
    return {
        "jobs": rows,
        "has_more": has_more,
        "page_no": page,
        "status_filter": status_filter,
        "filters": JOB_FILTERS,
        "fixes": ERROR_FIXES,
        "notice": notice,
        "can_change": can_change(),
    }


@bp.route("/automation/<int:campaign_id>")
@org_required
def show(campaign_id: int):
    campaign = load_sequence(campaign_id)
    from webapp.services.messaging.sequences import steps_of

    actions = [(key, *ACTIONS[key]) for key in ACTIONS]
    return hx.page_or_partial(
        "automation/show.html",
        "automation/_jobs.html",
        campaign=campaign,
        actions=actions,
        has_steps=bool(steps_of(db.session, campaign)),
        results=message_results(db.session, campaign.org_id, campaign.id),
        result=None,
        **_status_context(campaign),
        **_jobs_context(campaign),
    )


@bp.route("/automation/<int:campaign_id>/status")
@org_required
def status(campaign_id: int):
    campaign = load_sequence(campaign_id)
    context = _status_context(campaign)
    response = hx.partial("automation/_status.html", campaign=campaign, **context)
    seen = request.args.get("seen")
    if seen is not None and seen != context["signature"]:
        # Messages moved on (the 15-minute job, another worker): the jobs table refreshes too.
        hx.trigger(response, JOBS_EVENT)
    return response


@bp.route("/automation/<int:campaign_id>/jobs")
@org_required
def jobs(campaign_id: int):
    campaign = load_sequence(campaign_id)
    return hx.partial("automation/_jobs.html", campaign=campaign, **_jobs_context(campaign))


def _first_channel(campaign) -> str:
    from webapp.services.messaging.sequences import steps_of

    steps = steps_of(db.session, campaign)
    return steps[0].channel if steps else campaign.channel


# --- the four buttons -------------------------------------------------------------------------


@bp.route("/automation/<int:campaign_id>/run/<action>", methods=["POST"])
@org_required
def run_action(campaign_id: int, action: str):
    campaign = load_sequence(campaign_id)
    if action not in ACTIONS:
        abort(404)
    require_change()
    test = action.startswith("test-")
    now = clock.now()
    if action.endswith("trigger"):
        outcome = triggering.trigger_new_contacts(
            db.session, org_id=g.org.id, campaign_id=campaign.id, test_mode=test, now=now
        )
        db.session.commit()
        result = trigger_result(
            outcome, test, active=campaign.status == "active", channel=_first_channel(campaign)
        )
    else:
        org_id, sequence_id = g.org.id, campaign.id
        # Sending talks to mail and SMS providers: end this request's transaction first so no
        # lock is held across those calls (DESIGN: never hold a write transaction over the network).
        db.session.commit()
        outcome = dispatch.process_due(
            current_app._get_current_object(),
            org_id=org_id,
            campaign_id=sequence_id,
            test_mode=test,
            now=now,
            deadline=time.monotonic() + PROCESS_SECONDS,
        )
        after = job_status.automation_status(db.session, load_sequence(campaign_id), now=now)
        result = process_result(outcome, test, after)
    response = hx.partial("automation/_result.html", result=result)
    return hx.trigger(response, "activity-changed", CHANGED_EVENT)


# The service's own line per sequence repeats the headline; other lines (no steps …) are kept.
SEQUENCE_LINE = re.compile(r"^“.*”: [\d,]+ new .* enrolled")


def trigger_result(outcome, test: bool, *, active: bool, channel: str) -> ActionResult:
    """What enrolment did, in words: "Enrolled 3 new contacts (2 skipped: …)"."""
    skipped = (
        f" ({outcome.skipped:,} skipped: unsubscribed, opted out, or no address any step can use)"
        if outcome.skipped
        else ""
    )
    details = [line for line in outcome.details if not SEQUENCE_LINE.match(line)]
    if test:
        headline = (
            f"Enrolled {_plural(outcome.enrolled, 'new contact')} as a test{skipped}. Their messages are recorded as test and sent to nobody; press Test Process to run them."
            if outcome.enrolled
            else f"No new contacts to enrol{skipped}."
        )
        return ActionResult("Test trigger:", headline, details)
    if not active:
        return ActionResult(
            "Nothing enrolled:",
            "the sequence is not active. Activate it first, or try it with Test Trigger.",
            problem=True,
        )
    if outcome.enrolled:
        headline = f"Enrolled {_plural(outcome.enrolled, 'new contact')}{skipped}."
    else:
        headline = f"No new contacts to enrol{skipped}. Everyone who joined since the sequence was activated is already in it."
    return ActionResult("Trigger:", headline, details)


def process_result(outcome, test: bool, after) -> ActionResult:
    """What processing did: "Sent 5, 1 failed, 2 will be retried", and what still waits."""
    parts = []
    if outcome.sent:
        parts.append(
            f"Recorded {_plural(outcome.sent, 'test message')} in the outbox (sent to nobody)"
            if test
            else f"Sent {outcome.sent:,}"
        )
    if outcome.failed:
        parts.append(f"{outcome.failed:,} failed")
    if outcome.retried:
        parts.append(f"{outcome.retried:,} will be retried")
    if outcome.cancelled:
        parts.append(f"{outcome.cancelled:,} cancelled")
    if outcome.deferred:
        parts.append(
            f"{outcome.deferred:,} put back for later (sending is paced, or the provider is paused after errors)"
        )
    headline = (", ".join(parts) + ".") if parts else "Nothing was due."
    details = list(outcome.details)
    if after.due_now and not test:
        details.append(
            f"{_plural(after.due_now, 'more message')} due now: they go out at the next 15-minute round, or press Process Now again."
        )
    elif after.pending and after.next_due_at:
        waiting = (
            "1 message is waiting for its time"
            if after.pending == 1
            else f"{after.pending:,} messages are waiting for their time"
        )
        details.append(
            f"{waiting}; the next is due {localtime(after.next_due_at)} ({g.org.timezone})."
        )
    return ActionResult(
        "Test process:" if test else "Process:", headline, details, problem=bool(outcome.failed)
    )


# --- one job ----------------------------------------------------------------------------------


def _job_answer(campaign, notice: str) -> Response:
    response = hx.partial(
        "automation/_jobs.html", campaign=campaign, **_jobs_context(campaign, notice)
    )
    return hx.trigger(response, "activity-changed", STATUS_EVENT)


@bp.route("/automation/<int:campaign_id>/jobs/<int:job_id>/retry", methods=["POST"])
@org_required
def retry_job(campaign_id: int, job_id: int):
    campaign = load_sequence(campaign_id)
    require_change()
    done = job_actions.retry_job(
        db.session, campaign, job_id, now=clock.now(), actor_id=current_user.id
    )
    db.session.commit()
    notice = (
        "The message will be sent again at the next round (or press Process Now)."
        if done
        else "That message is no longer failed, so there is nothing to retry."
    )
    return _job_answer(campaign, notice)


@bp.route("/automation/<int:campaign_id>/jobs/<int:job_id>/cancel", methods=["POST"])
@org_required
def cancel_job(campaign_id: int, job_id: int):
    campaign = load_sequence(campaign_id)
    require_change()
    done = job_actions.cancel_job(
        db.session,
        campaign,
        job_id,
        now=clock.now(),
        actor_id=current_user.id,
        reason=f"Cancelled by {current_user.name}.",
    )
    db.session.commit()
    notice = (
        "The message was cancelled; it will not be sent."
        if done
        else "That message is no longer waiting, so it could not be cancelled."
    )
    return _job_answer(campaign, notice)
