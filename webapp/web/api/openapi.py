"""The OpenAPI 3.1 document of the JSON API, served at GET /api/v1/openapi.json.

Written by hand next to the endpoints (a test checks that every /api/v1 route of the URL
map is described here, so a new endpoint without its description fails the suite).
"""

from __future__ import annotations

from flask import current_app, jsonify

from webapp.web.api.views import bp

API_KEY = [{"apiKey": []}, {"apiKeyHeader": []}]
SERVICE = [{"serviceToken": []}]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "422": {"$ref": "#/components/responses/Invalid"},
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


CAMPAIGN_ID = _path("campaign_id", {"type": "integer", "minimum": 1}, "A sequence campaign of your workspace.")

SCHEMAS: dict = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Per-field problems, when the input was at fault."},
        }}},
    },
    "LeadInput": {
        "type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        "description": "Known fields below; any other field is kept on the lead (up to 30).",
        "properties": {
            "name": {"type": "string"}, "first_name": {"type": "string"}, "last_name": {"type": "string"},
            "email": {"type": "string", "format": "email"}, "phone": {"type": "string", "description": "Any format; stored as E.164."},
            "company": {"type": "string"}, "source": {"type": "string"}, "timezone": {"type": "string", "description": "IANA name, e.g. Europe/London."},
            "country": {"type": "string", "description": "ISO 3166 code, helps read local phone numbers."},
            "campaign_id": {"type": "integer"},
        },
    },
    "Lead": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": ["string", "null"]},
            "phone": {"type": ["string", "null"]}, "company": {"type": "string"}, "source": {"type": "string"},
            "status": {"type": "string", "enum": ["new", "contacted", "qualified", "won", "lost"]},
            "score": {"type": "integer"}, "score_reasons": {"type": "array", "items": {"type": "string"}},
            "timezone": {"type": ["string", "null"]}, "campaign_id": {"type": ["integer", "null"]},
            "fields": {"type": "object"}, "unsubscribed": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "MetricRow": {
        "type": "object", "required": ["date"],
        "properties": {
            "date": {"type": "string", "format": "date"}, "campaign": {"type": "string", "description": "Campaign name."},
            "campaign_id": {"type": "integer"}, "impressions": {"type": "integer", "minimum": 0},
            "clicks": {"type": "integer", "minimum": 0}, "spend": {"type": ["number", "string"], "minimum": 0},
            "leads": {"type": "integer", "minimum": 0}, "conversions": {"type": "integer", "minimum": 0},
            "revenue": {"type": ["number", "string"], "minimum": 0},
        },
    },
    "AutomationAction": {
        "type": "object", "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": ["trigger_new_client", "process_sequence", "send_immediate"],
                       "description": "Enrol new contacts; send what is due; or enrol the given contacts and send step 1 now."},
            "testMode": {"type": "boolean", "default": False,
                         "description": "Run the whole flow but record messages as tests; nothing is sent."},
            "contactIds": {"type": "array", "items": {"type": "integer"}, "maxItems": 1000,
                           "description": "For send_immediate: the contacts (leads) to send to."},
        },
    },
    "ProcessResult": {
        "type": "object",
        "properties": {
            "sent": {"type": "integer"}, "failed": {"type": "integer"}, "retried": {"type": "integer"},
            "cancelled": {"type": "integer"}, "deferred": {"type": "integer", "description": "Put back for later by pacing or an open circuit."},
            "details": {"type": "array", "items": {"type": "string"}},
        },
    },
    "TriggerResult": {
        "type": "object",
        "properties": {"enrolled": {"type": "integer"}, "skipped": {"type": "integer"},
                       "details": {"type": "array", "items": {"type": "string"}}},
    },
    "AutomationStatus": {
        "type": "object",
        "properties": {
            **{name: {"type": "integer"} for name in ("total", "pending", "processing", "completed", "failed",
                                                      "cancelled", "test", "due_now")},
            "success_rate": {"type": ["number", "null"], "description": "completed ÷ (completed + failed)."},
            "per_minute": {"type": ["number", "null"], "description": "Pacing of the channel; null when unpaced."},
            "backlog_eta_seconds": {"type": ["integer", "null"]},
            "next_due_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "Job": {
        "type": "object",
        "properties": {
            "job_id": {"type": ["integer", "null"]}, "send_id": {"type": "integer"}, "contact_id": {"type": "integer"},
            "contact_name": {"type": "string"}, "step": {"type": "integer"},
            "channel": {"type": "string", "enum": ["email", "sms", "whatsapp"]}, "to": {"type": "string"},
            "due_at": {"type": "string", "format": "date-time"}, "sent_at": {"type": ["string", "null"], "format": "date-time"},
            "status": {"type": "string", "enum": ["pending", "processing", "completed", "failed", "cancelled"]},
            "attempts": {"type": "integer"}, "error": {"type": ["string", "null"]},
            "error_class": {"type": ["string", "null"]}, "test_mode": {"type": "boolean"},
        },
    },
    "JobRun": {
        "type": ["object", "null"],
        "properties": {
            "id": {"type": "integer"}, "status": {"type": "string"}, "trigger": {"type": "string"},
            "period": {"type": "string"}, "started_at": {"type": "string", "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
            "duration_ms": {"type": ["integer", "null"]}, "summary": {"type": "object"}, "error": {"type": ["string", "null"]},
        },
    },
}

TEST_MODE_BODY = {
    "required": False,
    "content": {"application/json": {"schema": {"type": "object", "properties": {"testMode": {"type": "boolean"}}}}},
}

PATHS: dict = {
    "/api/v1/openapi.json": {"get": {
        "summary": "This document", "operationId": "openapi", "security": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 description of this API."}},
    }},
    "/api/v1/leads": {
        "post": {
            "summary": "Create a lead, or merge it into the one with the same email or phone",
            "operationId": "createLead", "security": API_KEY,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LeadInput")}}},
            "responses": {
                "201": _json({"type": "object", "properties": {"lead": _ref("Lead"), "created": {"const": True}}}, "Created."),
                "200": _json({"type": "object", "properties": {"lead": _ref("Lead"), "created": {"const": False}}}, "Merged into an existing lead."),
                "400": {"$ref": "#/components/responses/BadRequest"}, **ERRORS,
            },
        },
        "get": {
            "summary": "A page of leads", "operationId": "listLeads", "security": API_KEY,
            "parameters": [
                _query("q", {"type": "string"}, "Search in name, email, company and phone."),
                _query("status", {"type": "string", "enum": ["new", "contacted", "qualified", "won", "lost"]}, "Only this status."),
                _query("source", {"type": "string"}, "Only this source."),
                _query("since", {"type": "string", "format": "date"}, "Created on or after (workspace's zone)."),
                _query("until", {"type": "string", "format": "date"}, "Created on or before (workspace's zone)."),
                _query("min_score", {"type": "integer", "minimum": 0, "maximum": 100}, "Minimum score."),
                _query("sort", {"type": "string", "enum": ["newest", "oldest", "score", "name"]}, "Order."),
                _query("page", {"type": "integer", "minimum": 1}, "Page number."),
                _query("per_page", {"type": "integer", "minimum": 1}, "Rows per page."),
            ],
            "responses": {"200": _json({"type": "object", "properties": {
                "leads": {"type": "array", "items": _ref("Lead")}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}, "has_next": {"type": "boolean"}, "total": {"type": "integer"},
                "total_is_lower_bound": {"type": "boolean"},
            }}, "One page."), **ERRORS},
        },
    },
    "/api/v1/metrics": {"post": {
        "summary": "Push daily campaign results (all rows saved, or none)", "operationId": "postMetrics",
        "security": API_KEY,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
            {"type": "array", "items": _ref("MetricRow"), "maxItems": 5000},
            {"type": "object", "properties": {"rows": {"type": "array", "items": _ref("MetricRow"), "maxItems": 5000}}},
        ]}}}},
        "responses": {
            "200": _json({"type": "object", "properties": {"saved": {"type": "integer"}, "days_created": {"type": "integer"},
                                                           "days_updated": {"type": "integer"}}}, "Saved."),
            "400": {"$ref": "#/components/responses/BadRequest"},
            "413": _json(_ref("Error"), "Too many rows."), **ERRORS,
        },
    }},
    "/api/v1/campaigns/{campaign_id}/automation": {
        "post": {
            "summary": "Run an automation action on a sequence campaign", "operationId": "runCampaignAutomation",
            "security": API_KEY, "parameters": [CAMPAIGN_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AutomationAction")}}},
            "responses": {
                "200": _json({"allOf": [
                    {"type": "object", "properties": {"action": {"type": "string"}, "testMode": {"type": "boolean"},
                                                      "campaign_id": {"type": "integer"}}},
                    {"oneOf": [_ref("TriggerResult"), _ref("ProcessResult")]},
                ]}, "What the action did."),
                "404": {"$ref": "#/components/responses/NotFound"}, **ERRORS,
            },
        },
        "get": {
            "summary": "The automation status of a sequence campaign, or its recent jobs",
            "operationId": "getCampaignAutomation", "security": API_KEY,
            "parameters": [
                CAMPAIGN_ID,
                _query("action", {"type": "string", "enum": ["status", "jobs"], "default": "status"}, "What to return."),
                _query("status", {"type": "string", "enum": ["pending", "processing", "completed", "failed", "cancelled"]},
                       "jobs: only this state."),
                _query("page", {"type": "integer", "minimum": 1}, "jobs: page number."),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "jobs: rows per page."),
            ],
            "responses": {
                "200": _json({"oneOf": [
                    {"type": "object", "properties": {"campaign_id": {"type": "integer"}, "name": {"type": "string"},
                                                      "status": {"type": "string"}, "automation": _ref("AutomationStatus")}},
                    {"type": "object", "properties": {"campaign_id": {"type": "integer"},
                                                      "jobs": {"type": "array", "items": _ref("Job")},
                                                      "page": {"type": "integer"}, "per_page": {"type": "integer"},
                                                      "has_next": {"type": "boolean"}}},
                ]}, "Status or jobs."),
                "404": {"$ref": "#/components/responses/NotFound"}, **ERRORS,
            },
        },
    },
    "/api/v1/automation/trigger-new-clients": {"post": {
        "summary": "Enrol new contacts into every workspace's active sequences (external cron)",
        "operationId": "triggerNewClients", "security": SERVICE, "requestBody": TEST_MODE_BODY,
        "responses": {"200": _json(_ref("TriggerResult"), "What was enrolled."), **ERRORS,
                      "403": {"$ref": "#/components/responses/NoServiceToken"}},
    }},
    "/api/v1/automation/process-pending": {"post": {
        "summary": "Send the due messages of every workspace for up to 25 s (external cron)",
        "operationId": "processPending", "security": SERVICE, "requestBody": TEST_MODE_BODY,
        "responses": {"200": _json({"allOf": [_ref("ProcessResult"), {"type": "object", "properties": {
            "due_left": {"type": "integer", "description": "Still due after this call; call again or let the job send them."}}}]},
            "What was sent."), **ERRORS, "403": {"$ref": "#/components/responses/NoServiceToken"}},
    }},
    "/api/v1/automation/summary": {"get": {
        "summary": "Totals of the sequence queue across workspaces", "operationId": "automationSummary",
        "security": SERVICE,
        "responses": {"200": _json({"type": "object", "properties": {
            "jobs": {"type": "object", "additionalProperties": {"type": "integer"}}, "due_now": {"type": "integer"},
            "active_sequences": {"type": "integer"}, "active_enrollments": {"type": "integer"},
            "oldest_pending_due": {"type": ["string", "null"], "format": "date-time"},
        }}, "Totals."), "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/NoServiceToken"}},
    }},
    "/api/v1/jobs": {"get": {
        "summary": "The scheduled jobs with their schedule, next and last run", "operationId": "listJobs",
        "security": SERVICE,
        "responses": {"200": _json({"type": "object", "properties": {"jobs": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}, "schedule": {"type": "string"},
                                             "next_run": {"type": "string", "format": "date-time"},
                                             "last_run": _ref("JobRun")}}}}}, "The jobs."),
            "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/NoServiceToken"}},
    }},
    "/api/v1/jobs/{job_name}/run": {"post": {
        "summary": "Run a scheduled job now and wait for it", "operationId": "runJob", "security": SERVICE,
        "parameters": [_path("job_name", {"type": "string"}, "A job name from GET /api/v1/jobs.")],
        "responses": {
            "200": _json({"type": "object", "properties": {"job": {"type": "string"}, "status": {"type": "string"},
                                                           "run_id": {"type": ["integer", "null"]}, "message": {"type": "string"}}},
                         "It ran."),
            "404": {"$ref": "#/components/responses/NotFound"},
            "409": _json(_ref("Error"), "Another run holds the job, or this period already ran."),
            "500": _json(_ref("Error"), "The job failed."), "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/NoServiceToken"},
        },
    }},
}


def document(server_url: str) -> dict:
    """The whole OpenAPI document, with this deployment's address as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Marketing Autopilot API", "version": "1",
            "description": (
                "Workspace endpoints take a workspace API key (Settings → API keys) as "
                "`Authorization: Bearer <key>` (or `X-API-Key`). Cron endpoints take the deployment's "
                "SERVICE_TOKEN the same way. Errors are JSON: {\"error\": {\"code\", \"message\", \"fields\"?}}."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "A workspace API key (ap_…)."},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                                 "description": "The same key in a header instead."},
                "serviceToken": {"type": "http", "scheme": "bearer", "description": "The deployment's SERVICE_TOKEN."},
            },
            "schemas": SCHEMAS,
            "responses": {
                "BadRequest": _json(_ref("Error"), "The body was not JSON of the right shape."),
                "Unauthorized": _json(_ref("Error"), "Missing or wrong key or token."),
                "NoServiceToken": _json(_ref("Error"), "SERVICE_TOKEN is not set on this deployment."),
                "NotFound": _json(_ref("Error"), "No such resource in your workspace."),
                "Invalid": _json(_ref("Error"), "Some input is not valid; see `fields`."),
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():  # noqa: ANN201
    """The OpenAPI 3.1 description of every /api/v1 endpoint (no key needed)."""
    public = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    return jsonify(document(public))
