"""JSON API for leads: POST /api/v1/leads (create or merge) and GET /api/v1/leads (a page)."""

from __future__ import annotations

from flask import Response, g, jsonify

from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Organization
from webapp.services.leads import search as lead_search
from webapp.services.leads.capture import LeadInvalid, capture_lead
from webapp.web.api.auth import api_error, api_key_required
from webapp.web.api.schemas import LeadInput, LeadOut, LeadPage, LeadQuery, LeadSaved
from webapp.web.api.spec import operation
from webapp.web.api.validation import Invalid, NotJson, read_body, read_query
from webapp.web.api.views import bp

INVALID_LEAD = "Some fields are not valid; see `fields`."


@bp.post("/leads")
@operation(
    "Create a lead, or merge it into the one with the same email or phone",
    operation_id="createLead",
    body=LeadInput,
    answers={201: (LeadSaved, "Created."), 200: (LeadSaved, "Merged into an existing lead.")},
    errors=(400, 422),
)
@api_key_required
def create_lead() -> tuple[Response, int]:
    """Create a lead (201) or merge it into the one with the same email or phone (200)."""
    try:
        data = read_body().model_dump(exclude_unset=True)
        lead, created = capture_lead(db.session, g.api_org_id, data, source="api", now=clock.now())
    except NotJson:
        return api_error(
            400,
            "json_required",
            'Send a JSON object with `Content-Type: application/json`, such as {"email": "ana@example.com"}.',
        )
    except (Invalid, LeadInvalid) as exc:
        db.session.rollback()  # nothing of the lead is kept
        fields = exc.fields if isinstance(exc, Invalid) else exc.errors
        return api_error(422, "invalid_lead", INVALID_LEAD, fields=fields)
    db.session.commit()
    body = LeadSaved(lead=LeadOut.of(lead), created=created)
    return jsonify(body.model_dump(mode="json")), 201 if created else 200


@bp.get("/leads")
@operation(
    "A page of leads",
    operation_id="listLeads",
    query=LeadQuery,
    answers={200: (LeadPage, "One page.")},
    errors=(422,),
)
@api_key_required
def list_leads() -> Response | tuple[Response, int]:
    """A page of leads: `q`, `status`, `source`, `since`, `until` (YYYY-MM-DD in the
    workspace's zone), `min_score`, `sort` (newest|oldest|score|name), `page`, `per_page`."""
    try:
        query: LeadQuery = read_query()
    except Invalid as exc:
        return api_error(
            422, "invalid_query", "Some parameters are not valid; see `fields`.", fields=exc.fields
        )
    org = db.session.get(Organization, g.api_org_id)
    filters = lead_search.LeadFilter(
        status=query.status,
        source=query.source,
        since=query.since,
        until=query.until,
        min_score=query.min_score,
        tz=org.timezone,
    )
    result = lead_search.search_leads(
        db.session, org.id, query.q, filters, query.sort, query.page, query.per_page
    )
    page = LeadPage(
        leads=[LeadOut.of(lead) for lead in result.rows],
        page=result.page,
        per_page=result.per_page,
        has_next=result.has_next,
        total=result.total,
        total_is_lower_bound=result.total_capped,
    )
    return jsonify(page.model_dump(mode="json"))
