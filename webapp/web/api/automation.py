"""JSON API for sequence automation.

Per campaign (workspace API key):
  POST /api/v1/campaigns/<id>/automation  {"action": "trigger_new_client" | "process_sequence"
       | "send_immediate", "testMode": false, "contactIds": [..] (send_immediate)}
  GET  /api/v1/campaigns/<id>/automation?action=status|jobs  (jobs: page, per_page, status)
Global, for an external cron (service token):
  POST /api/v1/automation/trigger-new-clients, POST /api/v1/automation/process-pending,
  GET  /api/v1/automation/summary
Every action calls the same services as the 15-minute job and the automation tab.
"""

from __future__ import annotations

import time

from flask import Response, current_app, g, jsonify
from sqlalchemy import select

from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.extensions import db
from webapp.models import Campaign
from webapp.services.messaging import (
    dispatch,
    job_status,
    triggering,
)
from webapp.web.api.auth import api_error, api_key_required, service_token_required
from webapp.web.api.automation_schemas import (
    AutomationAction,
    AutomationQuery,
    AutomationStatus,
    CampaignActionDone,
    CampaignAutomationState,
    CampaignJobs,
    CampaignPath,
    CampaignProcessed,
    CampaignStatus,
    CampaignTriggered,
    CronProcessed,
    CronTriggered,
    Job,
    ProcessResult,
    QueueSummary,
    TestModeOnly,
    TriggerResult,
)
from webapp.web.api.spec import operation
from webapp.web.api.validation import Invalid, NotJson, read_body, read_query
from webapp.web.api.views import bp

REQUEST_BUDGET_SECONDS = 25  # an HTTP caller should not wait longer; the job sends the rest
NOT_AN_OBJECT = {"body": "send a JSON object with `Content-Type: application/json`"}
SOME_FIELDS = "Some fields are not valid; see `fields`."
NO_CAMPAIGN = "No sequence campaign with this id in your workspace."


def _campaign(campaign_id: int) -> Campaign | None:
    return db.session.scalars(
        select(Campaign).where(
            Campaign.id == campaign_id, Campaign.org_id == g.api_org_id, Campaign.kind == "sequence"
        )
    ).one_or_none()


def _deadline() -> float:
    return time.monotonic() + REQUEST_BUDGET_SECONDS


def _json(model: object) -> Response:
    return jsonify(model.model_dump(mode="json"))  # type: ignore[attr-defined]


@bp.post("/campaigns/<int:campaign_id>/automation")
@operation(
    "Run an automation action on a sequence campaign",
    operation_id="runCampaignAutomation",
    path=CampaignPath,
    body=AutomationAction,
    answers={200: (CampaignActionDone, "What the action did.")},
    errors=(404, 422),
)
@api_key_required
def campaign_automation(campaign_id: int) -> Response | tuple[Response, int]:
    """Run one automation action on a sequence campaign of the key's workspace."""
    campaign = _campaign(campaign_id)
    if campaign is None:
        return api_error(404, "not_found", NO_CAMPAIGN)
    try:
        body: AutomationAction = read_body()
    except NotJson:
        return api_error(
            422, "invalid_body", "The body must be a JSON object.", fields=NOT_AN_OBJECT
        )
    except Invalid as exc:
        return api_error(422, "invalid_body", SOME_FIELDS, fields=exc.fields)
    now = clock.now()
    header = {"action": body.action, "testMode": body.testMode, "campaign_id": campaign.id}
    if body.action == "trigger_new_client":
        result = triggering.trigger_new_contacts(
            db.session,
            org_id=campaign.org_id,
            campaign_id=campaign.id,
            test_mode=body.testMode,
            now=now,
        )
        db.session.commit()
        return _json(CampaignTriggered(**header, **TriggerResult.fields_of(result)))
    if body.action == "process_sequence":
        org_id, campaign_id = campaign.org_id, campaign.id
        db.session.commit()  # no transaction may stay open while messages are sent
        processed = dispatch.process_due(
            current_app._get_current_object(),
            org_id=org_id,
            campaign_id=campaign_id,
            test_mode=body.testMode,
            now=now,
            deadline=_deadline(),
        )
        db.session.commit()
        return _json(CampaignProcessed(**header, **ProcessResult.fields_of(processed)))
    try:
        processed = triggering.send_immediate(
            db.session,
            campaign,
            body.contactIds or [],
            test_mode=body.testMode,
            now=now,
            app=current_app._get_current_object(),
        )
    except NotFound as exc:
        db.session.rollback()
        return api_error(422, "invalid_body", str(exc), fields={"contactIds": str(exc)})
    return _json(CampaignProcessed(**header, **ProcessResult.fields_of(processed)))


@bp.get("/campaigns/<int:campaign_id>/automation")
@operation(
    "The automation status of a sequence campaign, or its recent jobs",
    operation_id="getCampaignAutomation",
    path=CampaignPath,
    query=AutomationQuery,
    answers={200: (CampaignAutomationState, "Status or jobs.")},
    errors=(404, 422),
)
@api_key_required
def campaign_automation_state(campaign_id: int) -> Response | tuple[Response, int]:
    """`action=status` (default): job counts and rates; `action=jobs`: the recent jobs."""
    campaign = _campaign(campaign_id)
    if campaign is None:
        return api_error(404, "not_found", NO_CAMPAIGN)
    try:
        query: AutomationQuery = read_query()
    except Invalid as exc:
        return api_error(
            422, "invalid_query", "Some parameters are not valid; see `fields`.", fields=exc.fields
        )
    now = clock.now()
    if query.action == "status":
        state = job_status.automation_status(db.session, campaign, now=now)
        body: CampaignStatus | CampaignJobs = CampaignStatus(
            campaign_id=campaign.id,
            name=campaign.name,
            status=campaign.status,
            automation=AutomationStatus.of(state),
        )
    else:
        rows, has_more = job_status.recent_jobs(
            db.session, campaign, page=query.page, per_page=query.per_page, status=query.status
        )
        body = CampaignJobs(
            campaign_id=campaign.id,
            jobs=[Job.of(r) for r in rows],
            page=query.page,
            per_page=query.per_page,
            has_next=has_more,
        )
    return _json(body)


def _cron_body() -> TestModeOnly:
    """The optional {"testMode": bool} of the cron endpoints; raises Invalid."""
    try:
        return read_body(optional=True)
    except NotJson:
        raise Invalid(NOT_AN_OBJECT, frozenset({"model_type"})) from None


@bp.post("/automation/trigger-new-clients")
@operation(
    "Enrol new contacts into every workspace's active sequences (external cron)",
    operation_id="triggerNewClients",
    body=TestModeOnly,
    body_required=False,
    answers={200: (CronTriggered, "What was enrolled.")},
    errors=(422,),
)
@service_token_required
def trigger_all() -> Response | tuple[Response, int]:
    """Enrol new contacts into every workspace's active sequences (for an external cron)."""
    try:
        test_mode = _cron_body().testMode
    except Invalid as exc:
        return api_error(422, "invalid_body", SOME_FIELDS, fields=exc.fields)
    result = triggering.trigger_new_contacts(
        db.session, org_id=None, test_mode=test_mode, now=clock.now()
    )
    db.session.commit()
    return _json(
        CronTriggered(
            action="trigger_new_clients", testMode=test_mode, **TriggerResult.fields_of(result)
        )
    )


@bp.post("/automation/process-pending")
@operation(
    "Send the due messages of every workspace for up to 25 s (external cron)",
    operation_id="processPending",
    body=TestModeOnly,
    body_required=False,
    answers={200: (CronProcessed, "What was sent.")},
    errors=(422,),
)
@service_token_required
def process_all() -> Response | tuple[Response, int]:
    """Send every workspace's due messages, for up to 25 seconds (for an external cron)."""
    try:
        test_mode = _cron_body().testMode
    except Invalid as exc:
        return api_error(422, "invalid_body", SOME_FIELDS, fields=exc.fields)
    db.session.commit()
    result = dispatch.process_due(
        current_app._get_current_object(),
        test_mode=True if test_mode else None,
        now=clock.now(),
        deadline=_deadline(),
    )
    summary = job_status.summary(db.session, now=clock.now())
    db.session.commit()
    return _json(
        CronProcessed(
            action="process_pending", due_left=summary["due_now"], **ProcessResult.fields_of(result)
        )
    )


@bp.get("/automation/summary")
@operation(
    "Totals of the sequence queue across workspaces",
    operation_id="automationSummary",
    answers={200: (QueueSummary, "Totals.")},
)
@service_token_required
def automation_summary() -> Response:
    """Totals of the sequence queue across every workspace."""
    body = QueueSummary.model_validate(job_status.summary(db.session, now=clock.now()))
    db.session.commit()
    return _json(body)
