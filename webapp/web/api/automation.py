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

from flask import current_app, g, jsonify, request
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Campaign
from webapp.services import automation
from webapp.services.errors import NotFound
from webapp.web.api.auth import api_error, api_key_required, service_token_required
from webapp.web.api.views import bp

ACTIONS = ("trigger_new_client", "process_sequence", "send_immediate")
MAX_CONTACTS = 1000
REQUEST_BUDGET_SECONDS = 25  # an HTTP caller should not wait longer; the job sends the rest


def _campaign(campaign_id: int) -> Campaign | None:
    return db.session.scalars(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.org_id == g.api_org_id,
                               Campaign.kind == "sequence")
    ).one_or_none()


def _body() -> tuple[dict | None, dict]:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        return None, {"body": "send a JSON object with `Content-Type: application/json`"}
    return data, {}


def _test_mode(data: dict, errors: dict) -> bool:
    value = data.get("testMode", False)
    if not isinstance(value, bool):
        errors["testMode"] = "must be true or false"
        return False
    return value


def _contact_ids(data: dict, errors: dict) -> list[int]:
    ids = data.get("contactIds")
    if not isinstance(ids, list) or not ids:
        errors["contactIds"] = "send_immediate needs a non-empty list of contact ids"
        return []
    if len(ids) > MAX_CONTACTS:
        errors["contactIds"] = f"send at most {MAX_CONTACTS} contact ids per request"
        return []
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        errors["contactIds"] = "every contact id must be a positive whole number"
        return []
    return ids


def process_json(result: automation.ProcessResult) -> dict:
    return {"sent": result.sent, "failed": result.failed, "retried": result.retried,
            "cancelled": result.cancelled, "deferred": result.deferred, "details": result.details}


def trigger_json(result: automation.TriggerResult) -> dict:
    return {"enrolled": result.enrolled, "skipped": result.skipped, "details": result.details}


def status_json(status: automation.AutomationStatus) -> dict:
    return {
        "total": status.total, "pending": status.pending, "processing": status.processing,
        "completed": status.completed, "failed": status.failed, "cancelled": status.cancelled,
        "test": status.test, "due_now": status.due_now,
        "success_rate": status.success_rate,
        "per_minute": status.per_minute,
        "backlog_eta_seconds": int(status.backlog_eta.total_seconds()) if status.backlog_eta is not None else None,
        "next_due_at": status.next_due_at.isoformat() if status.next_due_at else None,
    }


def job_json(row: automation.JobRow) -> dict:
    return {
        "job_id": row.job_id, "send_id": row.send_id, "contact_id": row.contact_id, "contact_name": row.contact_name,
        "step": row.step_position, "channel": row.channel, "to": row.to, "due_at": row.due_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None, "status": row.status,
        "attempts": row.attempts, "error": row.error, "error_class": row.error_class, "test_mode": row.test_mode,
    }


def _deadline() -> float:
    return time.monotonic() + REQUEST_BUDGET_SECONDS


@bp.post("/campaigns/<int:campaign_id>/automation")
@api_key_required
def campaign_automation(campaign_id: int):  # noqa: ANN201
    """Run one automation action on a sequence campaign of the key's workspace."""
    campaign = _campaign(campaign_id)
    if campaign is None:
        return api_error(404, "not_found", "No sequence campaign with this id in your workspace.")
    data, errors = _body()
    if data is None:
        return api_error(422, "invalid_body", "The body must be a JSON object.", fields=errors)
    action = data.get("action")
    if action not in ACTIONS:
        errors["action"] = f"must be one of {', '.join(ACTIONS)}"
    test_mode = _test_mode(data, errors)
    ids = _contact_ids(data, errors) if action == "send_immediate" else []
    if errors:
        return api_error(422, "invalid_body", "Some fields are not valid; see `fields`.", fields=errors)
    now = clock.now()
    answer: dict = {"action": action, "testMode": test_mode, "campaign_id": campaign.id}
    if action == "trigger_new_client":
        answer.update(trigger_json(automation.trigger_new_contacts(
            db.session, org_id=campaign.org_id, campaign_id=campaign.id, test_mode=test_mode, now=now)))
        db.session.commit()
    elif action == "process_sequence":
        org_id, campaign_id = campaign.org_id, campaign.id
        db.session.commit()  # no transaction may stay open while messages are sent
        answer.update(process_json(automation.process_due(
            current_app._get_current_object(), org_id=org_id, campaign_id=campaign_id,
            test_mode=test_mode, now=now, deadline=_deadline())))
        db.session.commit()
    else:
        try:
            result = automation.send_immediate(db.session, campaign, ids, test_mode=test_mode, now=now,
                                               app=current_app._get_current_object())
        except NotFound as exc:
            db.session.rollback()
            return api_error(422, "invalid_body", str(exc), fields={"contactIds": str(exc)})
        answer.update(process_json(result))
    return jsonify(answer)


@bp.get("/campaigns/<int:campaign_id>/automation")
@api_key_required
def campaign_automation_state(campaign_id: int):  # noqa: ANN201
    """`action=status` (default): job counts and rates; `action=jobs`: the recent jobs."""
    campaign = _campaign(campaign_id)
    if campaign is None:
        return api_error(404, "not_found", "No sequence campaign with this id in your workspace.")
    action = request.args.get("action", "status")
    errors: dict[str, str] = {}
    if action not in ("status", "jobs"):
        errors["action"] = "must be status or jobs"
    page = _int_arg("page", 1, 1, 1_000_000, errors)
    per_page = _int_arg("per_page", 25, 1, 200, errors)
    status = request.args.get("status") or None
    if status is not None and status not in automation.STATUS_FILTERS:
        errors["status"] = f"must be one of {', '.join(automation.STATUS_FILTERS)}"
    if errors:
        return api_error(422, "invalid_query", "Some parameters are not valid; see `fields`.", fields=errors)
    now = clock.now()
    if action == "status":
        body = {"campaign_id": campaign.id, "name": campaign.name, "status": campaign.status,
                "automation": status_json(automation.automation_status(db.session, campaign, now=now))}
    else:
        rows, has_more = automation.recent_jobs(db.session, campaign, page=page, per_page=per_page, status=status)
        body = {"campaign_id": campaign.id, "jobs": [job_json(r) for r in rows], "page": page,
                "per_page": per_page, "has_next": has_more}
    db.session.commit()  # the key's last-used time
    return jsonify(body)


def _int_arg(name: str, default: int, low: int, high: int, errors: dict) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = "must be a whole number"
        return default
    if not low <= value <= high:
        errors[name] = f"must be between {low} and {high}"
    return value


def _optional_test_mode() -> tuple[bool | None, dict]:
    if not request.data:
        return False, {}
    data, errors = _body()
    if data is None:
        return None, errors
    test_mode = _test_mode(data, errors)
    return test_mode, errors


@bp.post("/automation/trigger-new-clients")
@service_token_required
def trigger_all():  # noqa: ANN201
    """Enrol new contacts into every workspace's active sequences (for an external cron)."""
    test_mode, errors = _optional_test_mode()
    if errors:
        return api_error(422, "invalid_body", "Some fields are not valid; see `fields`.", fields=errors)
    result = automation.trigger_new_contacts(db.session, org_id=None, test_mode=bool(test_mode), now=clock.now())
    db.session.commit()
    return jsonify({"action": "trigger_new_clients", "testMode": bool(test_mode), **trigger_json(result)})


@bp.post("/automation/process-pending")
@service_token_required
def process_all():  # noqa: ANN201
    """Send every workspace's due messages, for up to 25 seconds (for an external cron)."""
    test_mode, errors = _optional_test_mode()
    if errors:
        return api_error(422, "invalid_body", "Some fields are not valid; see `fields`.", fields=errors)
    db.session.commit()
    result = automation.process_due(current_app._get_current_object(), test_mode=None if not test_mode else True,
                                    now=clock.now(), deadline=_deadline())
    summary = automation.summary(db.session, now=clock.now())
    db.session.commit()
    return jsonify({"action": "process_pending", **process_json(result), "due_left": summary["due_now"]})


@bp.get("/automation/summary")
@service_token_required
def automation_summary():  # noqa: ANN201
    """Totals of the sequence queue across every workspace."""
    body = automation.summary(db.session, now=clock.now())
    db.session.commit()
    return jsonify(body)
